/**
 * Fine control of a CoreCluster for scripted scenarios (Figure 8 and friends):
 * tick one node until a condition holds, and deliver, drop or hold back exactly
 * the messages a predicate picks.
 */
import type { Message, RaftRole } from "../../../src/impl/raft/core/index.ts";
import type { CoreCluster } from "./core-cluster.ts";

/** Ticks in one `tickUntil` at most. */
export const SCRIPT_TICKS_MAX = 100;
/** Deliveries in one `deliverMatching` at most. */
export const SCRIPT_DELIVERIES_MAX = 1_000;

export type MessagePredicate = (message: Message) => boolean;

export function roleOf(cluster: CoreCluster, id: string): RaftRole {
  return cluster.node(id).core.status().role;
}

/** Ticks `id` (syncing it) until `done` holds. */
export function tickUntil(cluster: CoreCluster, id: string, done: () => boolean): void {
  for (let ticks = 0; !done(); ticks++) {
    if (ticks >= SCRIPT_TICKS_MAX) throw new Error(`${id}: condition not reached within ${SCRIPT_TICKS_MAX} ticks`);
    cluster.tick(id);
    cluster.sync(id);
  }
}

/**
 * Delivers the messages `predicate` picks, in order, syncing each receiver (unless
 * `sync` is false), until none is left (messages produced meanwhile count too);
 * the others stay in flight.
 */
export function deliverMatching(cluster: CoreCluster, predicate: MessagePredicate, sync = true): void {
  for (let delivered = 0; ; delivered++) {
    if (delivered >= SCRIPT_DELIVERIES_MAX) throw new Error("deliverMatching: messages keep flowing");
    const position = cluster.network.findIndex((inFlight) => predicate(inFlight.message));
    if (position < 0) return;
    const receiver = (cluster.network[position] as { message: Message }).message.to;
    cluster.deliver(position);
    if (sync) cluster.sync(receiver);
  }
}

/** Loses every message in flight that `predicate` picks. */
export function dropMatching(cluster: CoreCluster, predicate: MessagePredicate): void {
  cluster.network = cluster.network.filter((inFlight) => !predicate(inFlight.message));
}

/** Holds back every message in flight that `predicate` picks (until `cluster.releaseHeld()`). */
export function delayMatching(cluster: CoreCluster, predicate: MessagePredicate): void {
  for (let position = cluster.network.length - 1; position >= 0; position--) {
    if (predicate((cluster.network[position] as { message: Message }).message)) cluster.delay(position);
  }
}

export const between =
  (a: string, b: string): MessagePredicate =>
  (message) =>
    (message.from === a && message.to === b) || (message.from === b && message.to === a);

export const from =
  (id: string): MessagePredicate =>
  (message) =>
    message.from === id;

export const anything: MessagePredicate = () => true;
