/**
 * Synchronous rounds over a CoreCluster for example-based tests: every node ticks
 * and syncs, then every message in flight is delivered in order (the receiver
 * syncs after each), until nothing is left in flight.
 */
import type { CoreCluster } from "./core-cluster.ts";

/** Deliveries in one round at most (a runaway guard). */
export const ROUND_DELIVERIES_MAX = 1_000;

export interface RoundOptions {
  /** Nodes that do not tick (their clocks stand still). */
  readonly frozen?: ReadonlySet<string>;
}

/** Delivers until nothing is in flight. */
export function settle(cluster: CoreCluster): void {
  for (const id of cluster.ids) cluster.sync(id);
  for (let delivered = 0; cluster.network.length > 0; delivered++) {
    if (delivered >= ROUND_DELIVERIES_MAX) throw new Error("the cluster does not settle: messages keep flowing");
    const receiver = cluster.network[0]?.message.to as string;
    cluster.deliver(0);
    cluster.sync(receiver);
  }
}

export function round(cluster: CoreCluster, options: RoundOptions = {}): void {
  for (const id of cluster.ids) {
    if (options.frozen?.has(id) === true) continue;
    cluster.tick(id);
    cluster.sync(id);
  }
  settle(cluster);
}

/** Runs rounds until `done` holds; throws after `roundsMax`. Returns the rounds it took. */
export function roundsUntil(
  cluster: CoreCluster,
  done: () => boolean,
  roundsMax = 100,
  options: RoundOptions = {},
): number {
  for (let count = 0; count < roundsMax; count++) {
    if (done()) return count;
    round(cluster, options);
  }
  if (done()) return roundsMax;
  throw new Error(`condition not reached within ${roundsMax} rounds`);
}

/** The one node that leads in the highest term, if any. */
export function leaderOf(cluster: CoreCluster): string | undefined {
  let best: { id: string; term: number } | undefined;
  for (const id of cluster.ids) {
    const status = cluster.node(id).core.status();
    if (status.role === "leader" && (best === undefined || status.term > best.term)) best = { id, term: status.term };
  }
  return best?.id;
}

/** Runs rounds until some node leads; returns it. */
export function electLeader(cluster: CoreCluster, roundsMax = 100, options: RoundOptions = {}): string {
  roundsUntil(cluster, () => leaderOf(cluster) !== undefined, roundsMax, options);
  return leaderOf(cluster) as string;
}
