/**
 * The watch service of one member (etcdserverpb.Watch): `etcd.watch`, a server
 * stream of one watcher over a key or a range.
 *
 * Messages, in order:
 * - `{ created: true, startRevision, header }` first: the revision the watch starts
 *   at (the request's, or the store's revision + 1 when it gave none);
 * - `{ events, header }`: the matching events of one or more consecutive revisions,
 *   in revision order, a revision never split;
 * - `{ progress: true, header }` when nothing was sent for `progressIntervalMs`
 *   (the client's sign of a live stream);
 * - a last `{ canceled: true, compactRevision, cancelReason }` when the watcher's
 *   next revision was compacted away (ErrCompacted), or
 *   `{ canceled: true, cancelReason: "etcdserver: no leader" }` when the member
 *   knows no leader (etcd's WithRequireLeader), after which the client resumes elsewhere.
 * Any member serves watches from its own replica: its events are the committed
 * ones, in log order, whatever member it is.
 * Buggify point "etcd.watch-cancelled-after-events" ends a stream after a message
 * of events, as a stream reset does.
 */
import type { RpcServer, WireValue } from "../../../sim/env.ts";
import { inSpan, keySpan, toBinary } from "../bytes.ts";
import { ErrCompacted, ErrNoLeader, ErrRetry } from "../errors.ts";
import type { WatchEvent } from "../types.ts";
import { bytesField, fieldsOf, integerField, toWire } from "../wire.ts";
import { asRefusal, type Member } from "./member.ts";

/** Revisions scanned per message at most (a revision's events are never split). */
export const WATCH_REVISIONS_PER_MESSAGE_MAX = 64;

interface WatchRequest {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array | undefined;
  readonly startRevision: number;
  readonly prevKv: boolean;
}

function decodeWatchRequest(value: unknown): WatchRequest {
  const fields = fieldsOf(value, "watch");
  const rangeEnd =
    fields.rangeEnd === undefined || fields.rangeEnd === null ? undefined : bytesField(fields, "rangeEnd", "watch");
  const startRevision =
    fields.startRevision === undefined || fields.startRevision === null
      ? 0
      : integerField(fields, "startRevision", "watch");
  const prevKv = fields.prevKv === true;
  return { key: bytesField(fields, "key", "watch"), rangeEnd, startRevision, prevKv };
}

export function serveWatch(server: RpcServer, member: Member, progressIntervalMs: number): void {
  server.serverStream("etcd.watch", async (request, send, context) => {
    let acquired = false;
    try {
      const watch = decodeWatchRequest(request);
      if (member.node.leader() === undefined) throw new ErrNoLeader();
      acquired = member.hub.acquire();
      if (!acquired) throw new ErrRetry("too many watchers");
      await stream(member, watch, send, context.signal, progressIntervalMs);
    } catch (error) {
      throw asRefusal(error, member.node);
    } finally {
      if (acquired) member.hub.release();
    }
  });
}

async function stream(
  member: Member,
  watch: WatchRequest,
  send: (message: WireValue) => Promise<void>,
  signal: AbortSignal,
  progressIntervalMs: number,
): Promise<void> {
  const span = keySpan(watch.key, watch.rangeEnd);
  const clock = member.env.clock;
  let next = watch.startRevision > 0 ? watch.startRevision : member.fsm.mvcc.revision + 1;
  await send(toWire({ created: true, startRevision: next, header: member.header() }));
  let lastSentAt = clock.monotonic();
  while (!signal.aborted) {
    if (member.node.leader() === undefined) {
      await send(toWire({ canceled: true, cancelReason: new ErrNoLeader().message, header: member.header() }));
      return;
    }
    const store = member.fsm.mvcc;
    if (next < store.compactRevision) {
      member.env.probe("etcd.compacted-revision-refused");
      const error = new ErrCompacted(store.compactRevision);
      await send(
        toWire({
          canceled: true,
          compactRevision: store.compactRevision,
          cancelReason: error.message,
          header: member.header(),
        }),
      );
      return;
    }
    if (store.revision >= next) {
      const through = Math.min(store.revision, next + WATCH_REVISIONS_PER_MESSAGE_MAX - 1);
      const events: WatchEvent[] = [];
      for (const { events: changes } of store.events(next, through)) {
        for (const event of changes) {
          if (!inSpan(span, toBinary(event.kv.key))) continue;
          events.push(watch.prevKv || event.prevKv === undefined ? event : { type: event.type, kv: event.kv });
        }
      }
      next = through + 1;
      if (events.length > 0) {
        await send(toWire({ events, header: member.header() }));
        lastSentAt = clock.monotonic();
        // Buggify: the stream ends here, as a reset one would; the client resumes from `next`.
        if (member.env.buggify("etcd.watch-cancelled-after-events")) return;
      }
      continue;
    }
    if (clock.monotonic() - lastSentAt >= progressIntervalMs) {
      await send(toWire({ progress: true, header: member.header() }));
      lastSentAt = clock.monotonic();
    }
    await member.hub.wait(progressIntervalMs, signal);
  }
}
