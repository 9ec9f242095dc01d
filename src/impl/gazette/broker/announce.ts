/**
 * announce: a broker's member key (Gazette's allocator.Announce, within
 * StartSession's lease handling).
 *
 * It grants a fresh lease of `ttlSeconds` and keeps it alive, then creates
 * `<root>/members/<zone>#<suffix>` under that lease with a create-only txn (the
 * key must not exist). A previous incarnation's key blocks it until that lease
 * expires: the txn is retried with a bounded, jittered backoff until it
 * succeeds or the caller's signal aborts ("gazette.announce.key-exists"). A txn
 * whose outcome is unknown is settled by the next attempt: its failure branch
 * reads the key, and a key bound to our own lease is ours.
 *
 * The Announcement's `lost` signal aborts when the lease can no longer be
 * renewed (no renewal succeeded within its TTL: the keep-alive's "lost", or
 * etcd answered TTL 0: "expired") or it was revoked. Keep-alive counts the TTL
 * from when each renewal was sent, so `lost` fires no later than etcd may
 * expire the lease: a broker that stops serving on `lost` stops before its
 * successor's assignments can exist.
 */
import type { Env, Timer } from "../../../sim/env.ts";
import type { EtcdClient } from "../../etcd/client/client.ts";
import { Compares, Ops } from "../../etcd/client/txn-builder.ts";
import type { KeepAlive } from "../../etcd/client/keep-alive.ts";
import { ErrLeaseNotFound, EtcdError } from "../../etcd/errors.ts";
import type { Compare, TxnResponse } from "../../etcd/types.ts";
import { encodeBrokerSpec, memberKey, sleep, validateBrokerSpec, validateRoot } from "./keyspace.ts";
import type { BrokerSpec } from "./types.ts";

/** First wait between announce attempts (ms); it doubles up to ANNOUNCE_RETRY_MAX_MS. Gazette waits 10 s flat. */
export const ANNOUNCE_RETRY_MS = 100;
export const ANNOUNCE_RETRY_MAX_MS = 1_000;
/** Revoke attempts at most (revoke is idempotent: a missing lease is done). */
export const REVOKE_ATTEMPTS_MAX = 3;

export const ANNOUNCE_PROBES = {
  "gazette.announce.key-exists":
    "the member key still existed (a previous incarnation's lease lives): the announcement waits",
  "gazette.announce.lease-lost":
    "the member's lease could not be renewed within its TTL, or etcd said it expired: `lost` aborted",
} as const;

/**
 * The announcement's decisions, a seam for test fixtures (DEFAULT_ANNOUNCE_RULES
 * are Gazette's): how the member key is created, and when and how a lease is lost.
 */
export interface AnnounceRules {
  /** The compares the member key's put is guarded by: create-only (the key must not exist). */
  keyCompares(key: string): Compare[];
  /** Whether renewals failing for a whole TTL lose the lease (else only etcd's own answer, TTL 0, does). */
  readonly lostWithoutRenewals: boolean;
  /** The keep-alive once the lease is lost: cancelled, never renewed again (undefined). */
  afterLoss(etcd: EtcdClient, lease: number, keep: KeepAlive | undefined): KeepAlive | undefined;
}

export const DEFAULT_ANNOUNCE_RULES: AnnounceRules = {
  keyCompares: (key) => [Compares.createRevision(key, "=", 0)],
  lostWithoutRenewals: true,
  afterLoss: (_etcd, _lease, keep) => {
    keep?.cancel();
    return keep;
  },
};

export interface AnnounceOptions {
  readonly ttlSeconds: number;
  /**
   * Gives up announcing (ErrAnnounceAborted) when it aborts. It does not end an Announcement once made: use revoke().
   */
  readonly signal: AbortSignal;
  /** The announcement's decisions (a seam for test fixtures); default DEFAULT_ANNOUNCE_RULES. */
  readonly rules?: AnnounceRules;
}

export interface Announcement {
  readonly lease: number;
  readonly key: string;
  /** The revision that created the key (the member's createRevision: the allocator leader is the lowest). */
  readonly revision: number;
  /** Aborts when the lease can no longer be renewed, or was revoked. */
  readonly lost: AbortSignal;
  /** Stops renewing and revokes the lease (its keys, the member key and its assignments, go at one revision). */
  revoke(): Promise<void>;
}

/** The caller's signal aborted before the key was announced (the lease granted meanwhile was revoked). */
export class ErrAnnounceAborted extends Error {
  override readonly name = "ErrAnnounceAborted";
  constructor(readonly key: string) {
    super(`announcement of ${key} aborted`);
  }
}

/** Announces `spec` (see the file's comment). Resolves once the key exists under our lease. */
export async function announce(
  env: Env,
  etcd: EtcdClient,
  keySpaceRoot: string,
  spec: BrokerSpec,
  options: AnnounceOptions,
): Promise<Announcement> {
  validateRoot(keySpaceRoot);
  validateBrokerSpec(spec);
  const key = memberKey(keySpaceRoot, spec.id);
  for (let failures = 0; !options.signal.aborted; failures++) {
    const granted = await grant(env, etcd, options);
    if (granted === undefined) break;
    const lease = granted.id;
    const session = keepLease(env, etcd, granted, options.rules ?? DEFAULT_ANNOUNCE_RULES);
    const revision = await createKey(env, etcd, key, encodeBrokerSpec(spec), lease, options, session.lost);
    if (revision !== undefined) {
      env.trace("gazette.announced", { key, lease, revision });
      return { lease, key, revision, lost: session.lost, revoke: () => session.revoke() };
    }
    // Aborted, or the lease was lost while we waited: revoke it (best effort) and start over.
    await session.revoke();
    if (!options.signal.aborted) await sleep(env, backoffMs(env, failures), options.signal);
  }
  throw new ErrAnnounceAborted(key);
}

interface Granted {
  readonly id: number;
  /** The lease lives at least until then (host-local monotonic ms): sent time + TTL. */
  readonly deadline: number;
}

async function grant(env: Env, etcd: EtcdClient, options: AnnounceOptions): Promise<Granted | undefined> {
  for (let failures = 0; !options.signal.aborted; failures++) {
    const sentAt = env.clock.monotonic();
    try {
      const response = await etcd.grant(options.ttlSeconds);
      return { id: response.id, deadline: sentAt + response.ttl * 1000 };
    } catch (error) {
      if (!(error instanceof EtcdError)) throw error;
      env.log.warn("announce: lease grant failed (will retry)", { error: error.message });
    }
    await sleep(env, backoffMs(env, failures), options.signal);
  }
  return undefined;
}

/**
 * The create-only txn, retried until it succeeds (the key's createRevision), the signal aborts or the lease is lost
 * (undefined).
 */
async function createKey(
  env: Env,
  etcd: EtcdClient,
  key: string,
  value: string,
  lease: number,
  options: AnnounceOptions,
  lost: AbortSignal,
): Promise<number | undefined> {
  for (let failures = 0; !options.signal.aborted && !lost.aborted; failures++) {
    try {
      const compares = (options.rules ?? DEFAULT_ANNOUNCE_RULES).keyCompares(key);
      const response = await etcd
        .txn()
        .if(...compares)
        .then(Ops.put(key, value, { lease }))
        .else(Ops.get(key))
        .commit();
      const revision = ownedAt(response, lease);
      if (revision !== undefined) return revision;
      env.probe("gazette.announce.key-exists");
      env.log.info("announce: member key exists (will retry)", { key });
    } catch (error) {
      if (!(error instanceof EtcdError)) throw error;
      env.log.warn("announce: txn failed (will retry)", { key, error: error.message });
    }
    await sleep(env, backoffMs(env, failures), options.signal);
  }
  return undefined;
}

/**
 * The key's createRevision if the txn created it, or its failure branch found it under `lease` (an earlier attempt
 * did).
 */
function ownedAt(response: TxnResponse, lease: number): number | undefined {
  if (response.succeeded) return response.header.revision;
  const first = response.responses[0];
  const kv = first !== undefined && "range" in first ? first.range.kvs[0] : undefined;
  return kv !== undefined && kv.lease === lease ? kv.createRevision : undefined;
}

interface LeaseSession {
  readonly lost: AbortSignal;
  revoke(): Promise<void>;
}

/**
 * Keeps the lease alive. `lost` aborts when the keep-alive ends on its own, or
 * at the deadline of the last renewal (sent time + TTL) if no later one
 * succeeded: a renewal still in flight then does not delay it.
 */
function keepLease(env: Env, etcd: EtcdClient, granted: Granted, rules: AnnounceRules): LeaseSession {
  const lost = new AbortController();
  const lose = (reason: string) => {
    if (lost.signal.aborted) return;
    env.probe("gazette.announce.lease-lost");
    env.log.warn("announce: lease lost", { lease: granted.id, reason });
    lost.abort(reason);
    // A lost lease is never renewed again: renewals would keep the member key (and our assignments)
    // alive after this broker stopped, and its next incarnation could not announce. (The keep-alive
    // itself sends none past the lease's TTL.)
    const kept = rules.afterLoss(etcd, granted.id, held.keep);
    if (kept !== undefined) held.keep = kept;
  };
  let deadline = granted.deadline;
  let timer: Timer | undefined;
  // Set just below; `lose` runs only from timers and the keep-alive's end, after that.
  const held: { keep?: KeepAlive } = {};
  const arm = () => {
    timer?.cancel();
    if (!rules.lostWithoutRenewals) return;
    timer = env.clock.setTimer(Math.max(0, deadline - env.clock.monotonic()), () => lose("lost"));
  };
  arm();
  const keep = etcd.keepAlive(granted.id, {
    onRenewed: (ttlSeconds, sentAtMs) => {
      deadline = Math.max(deadline, sentAtMs + ttlSeconds * 1000);
      if (!lost.signal.aborted) arm();
    },
  });
  held.keep = keep;
  void keep.done.then((end) => {
    timer?.cancel();
    if (end.reason === "cancelled") return;
    if (end.reason === "lost" && !rules.lostWithoutRenewals) return;
    lose(end.reason);
  });
  return {
    lost: lost.signal,
    revoke: async () => {
      keep.cancel();
      timer?.cancel();
      if (!lost.signal.aborted) lost.abort("revoked");
      await revoke(env, etcd, granted.id);
    },
  };
}

async function revoke(env: Env, etcd: EtcdClient, lease: number): Promise<void> {
  for (let attempt = 0; attempt < REVOKE_ATTEMPTS_MAX; attempt++) {
    try {
      await etcd.revoke(lease);
      return;
    } catch (error) {
      if (error instanceof ErrLeaseNotFound) return;
      if (!(error instanceof EtcdError)) throw error;
      env.log.warn("announce: revoke failed", { lease, error: error.message });
    }
  }
}

function backoffMs(env: Env, failures: number): number {
  const ceiling = Math.min(ANNOUNCE_RETRY_MAX_MS, ANNOUNCE_RETRY_MS * 2 ** Math.min(failures, 10));
  return ceiling / 2 + env.random.float(0, ceiling / 2);
}
