/**
 * watch: a watch that survives member failures (clientv3's watcher with its
 * resume logic), as an async iterable of WatchResponses.
 *
 * It opens an `etcd.watch` stream on the leader it knows of (or the next member),
 * and remembers the next revision it owes its caller: the stream's start revision
 * (from the server's `created` message when the caller gave none), then the last
 * delivered event's revision + 1. When the stream breaks (the member crashed, was
 * cut off, lost its leader, the stream's deadline passed, or nothing arrived for
 * `idleTimeoutMs`: the server sends progress messages while idle), it opens a new
 * one from that revision on another member, so the caller never sees a revision
 * skipped or repeated (probe "etcd.watch-resumed").
 *
 * It ends when the caller's signal aborts or it stops iterating; it throws
 * ErrCompacted (with the compaction revision) when the next revision was compacted
 * away, and ErrWatchUnavailable after `attemptsMax` consecutive attempts that
 * delivered nothing.
 *
 * A seam for testing: where each stream starts is a WatchResume
 * (EtcdClientOptions.watchResume, DEFAULT_WATCH_RESUME by default); broken ones
 * live in scenarios/etcd/variants.ts.
 */
import { RpcError, type WireValue } from "../../../sim/env.ts";
import { toBytes } from "../bytes.ts";
import { ErrCompacted, ErrWatchUnavailable, errorFromRefusal, refusalOf } from "../errors.ts";
import type { WatchEvent, WatchResponse } from "../types.ts";
import type { EtcdClient } from "./client.ts";
import { rangeEndOf, type KeyRangeOptions } from "./txn-builder.ts";

/** Where a watch's streams start: its one decision across failures (see the file's comment). */
export interface WatchResume {
  /**
   * The start revision of the watch's `stream`-th stream (1: the first), given the
   * revision owed to the caller (0: not known yet) and the last one delivered (0:
   * none). 0 asks for the store's current revision + 1, which the stream's created
   * message then names.
   */
  startRevision(owed: number, lastDelivered: number, stream: number): number;
}

/** clientv3's resume: every stream starts at the revision owed, so none is skipped or repeated. */
export const DEFAULT_WATCH_RESUME: WatchResume = Object.freeze({
  startRevision: (owed: number) => owed,
});

export interface WatchOptions extends KeyRangeOptions {
  /** First revision to deliver; default: the store's current revision + 1. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  readonly signal?: AbortSignal;
  /** Deadline of one stream, in ms; it is then reopened. Default 10 000. */
  readonly streamDeadlineMs?: number;
  /** A stream silent this long is dead, in ms. Default 1 000. */
  readonly idleTimeoutMs?: number;
  /** Consecutive attempts that deliver nothing before giving up. Default 60. */
  readonly attemptsMax?: number;
  /** First backoff between attempts, doubling up to 500 ms. Default 20 ms. */
  readonly backoffMs?: number;
}

type Next =
  | { readonly kind: "message"; readonly value: WireValue }
  | { readonly kind: "end" }
  | { readonly kind: "idle" }
  | { readonly kind: "error"; readonly error: RpcError };

export function watch(
  client: EtcdClient,
  key: string | Uint8Array,
  options: WatchOptions,
  resume: WatchResume,
): AsyncIterable<WatchResponse> {
  return {
    [Symbol.asyncIterator]: () => run(client, key, options, resume)[Symbol.asyncIterator](),
  };
}

/** Where a watch stands across its streams. */
interface Cursor {
  /** The next revision owed to the caller; 0 until the first stream told us where it started. */
  next: number;
  /** The revision of the last event delivered; 0: none. */
  lastDelivered: number;
  /** The member the next stream goes to. */
  target: string;
}

/** What one step of a stream means to the watch: events to deliver, its start learned, nothing, or the stream's end. */
type StreamStep =
  | { readonly kind: "created" | "read-on" | "broken" }
  | { readonly kind: "events"; readonly response: WatchResponse };

async function* run(
  client: EtcdClient,
  key: string | Uint8Array,
  options: WatchOptions,
  resume: WatchResume,
): AsyncGenerator<WatchResponse> {
  const rangeEnd = rangeEndOf(key, options);
  const attemptsMax = options.attemptsMax ?? 60;
  const signal = options.signal;
  const cursor: Cursor = {
    next: options.startRevision ?? 0,
    lastDelivered: 0,
    target: client.leader ?? (client.endpoints[0] as string),
  };
  let failures = 0;
  let streams = 0;
  while (!aborted(signal)) {
    if (streams > 0) client.env.probe("etcd.watch-resumed");
    streams++;
    const startRevision = resume.startRevision(cursor.next, cursor.lastDelivered, streams);
    const iterator = openStream(client, key, rangeEnd, options, cursor.target, startRevision);
    let delivered = false;
    for (;;) {
      const step = readStep(await nextMessage(client, iterator, options.idleTimeoutMs ?? 1_000, signal), {
        cursor,
        startRevision,
        iterator,
      });
      if (step.kind === "broken") break;
      if (step.kind !== "read-on") delivered = true;
      if (step.kind === "events") yield step.response;
    }
    failures = delivered ? 0 : failures + 1;
    if (failures >= attemptsMax)
      throw new ErrWatchUnavailable(cursor.next, `${failures} consecutive attempts delivered nothing`);
    if (aborted(signal)) break;
    cursor.target = nextTarget(client, cursor.target);
    await backoff(client, options.backoffMs ?? 20, failures, signal);
  }
}

/** Opens an `etcd.watch` stream on `target` from `startRevision`. */
function openStream(
  client: EtcdClient,
  key: string | Uint8Array,
  rangeEnd: Uint8Array | undefined,
  options: WatchOptions,
  target: string,
  startRevision: number,
): AsyncIterator<WireValue> {
  const request = {
    key: toBytes(key),
    ...(rangeEnd !== undefined ? { rangeEnd } : {}),
    startRevision,
    prevKv: options.prevKv ?? false,
  };
  return client.env.rpc
    .serverStream(target, client.port, "etcd.watch", request, { deadlineMs: options.streamDeadlineMs ?? 10_000 })
    [Symbol.asyncIterator]();
}

/**
 * Reads one step of the stream into the cursor. A refusal naming the leader redirects the next stream; a compacted
 * revision throws ErrCompacted; a stream that ended otherwise is closed.
 */
function readStep(
  next: Next,
  stream: { readonly cursor: Cursor; readonly startRevision: number; readonly iterator: AsyncIterator<WireValue> },
): StreamStep {
  const { cursor, iterator } = stream;
  if (next.kind !== "message") {
    if (next.kind === "error") {
      const refused = refusalOf(next.error);
      if (refused?.code === "compacted") throw errorFromRefusal(refused);
      if (refused?.code === "not-leader" && refused.leader !== null) cursor.target = refused.leader;
    }
    if (next.kind !== "end") void iterator.return?.();
    return { kind: "broken" };
  }
  const message = next.value as Record<string, unknown>;
  if (message.created === true) {
    // A stream asked from the current revision (0) learns from its created message, its first, where it starts.
    if (stream.startRevision === 0) cursor.next = message.startRevision as number;
    return { kind: "created" };
  }
  if (message.canceled === true) {
    if (typeof message.compactRevision === "number") {
      void iterator.return?.();
      throw new ErrCompacted(message.compactRevision);
    }
    return { kind: "broken" };
  }
  const events = (message.events ?? []) as WatchEvent[];
  if (events.length === 0) return { kind: "read-on" };
  const last = (events[events.length - 1] as WatchEvent).kv.modRevision;
  cursor.lastDelivered = last;
  cursor.next = last + 1;
  return { kind: "events", response: { header: message.header as WatchResponse["header"], events } };
}

/** Another member than `target` for the next stream, unless a redirect named one; the leader we heard of first. */
function nextTarget(client: EtcdClient, target: string): string {
  const members = client.endpoints;
  return client.leader !== undefined && client.leader !== target
    ? client.leader
    : (members[(members.indexOf(target) + 1) % members.length] as string);
}

/**
 * The next message of the stream, or why there is none: its end, an error, silence past `idleMs`, or the caller's abort
 * (as "end").
 */
function nextMessage(
  client: EtcdClient,
  iterator: AsyncIterator<WireValue>,
  idleMs: number,
  signal: AbortSignal | undefined,
): Promise<Next> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (next: Next) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      signal?.removeEventListener("abort", onAbort);
      resolve(next);
    };
    const onAbort = () => settle({ kind: "idle" });
    const timer = client.env.clock.setTimer(idleMs, () => settle({ kind: "idle" }));
    signal?.addEventListener("abort", onAbort);
    if (signal?.aborted === true) onAbort();
    iterator.next().then(
      (result) => settle(result.done === true ? { kind: "end" } : { kind: "message", value: result.value }),
      (error: unknown) => {
        if (!(error instanceof RpcError)) throw error;
        settle({ kind: "error", error });
      },
    );
  });
}

/** Whether the caller stopped the watch (a function, so that narrowing does not outlive an await). */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function backoff(client: EtcdClient, baseMs: number, failures: number, signal: AbortSignal | undefined): Promise<void> {
  const ceiling = Math.min(500, baseMs * 2 ** Math.min(failures, 10));
  const durationMs = ceiling / 2 + client.env.random.float(0, ceiling / 2);
  return new Promise((resolve) => {
    const done = () => {
      timer.cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = client.env.clock.setTimer(durationMs, done);
    signal?.addEventListener("abort", done);
  });
}
