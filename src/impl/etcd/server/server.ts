/**
 * runEtcdServer: one etcd member. It starts a RaftNode whose FSM is an EtcdFsm,
 * the leader's Lessor, and the RPC services (KV, lease, watch) on ETCD_PORT.
 *
 * Ids: the member id is a 53-bit FNV-1a hash of the host name, the cluster id one
 * of the sorted bootstrap voters (etcd hashes its member URLs and cluster token).
 *
 * Limits: ETCD_INFLIGHT_REQUESTS_MAX unary requests served at once (then ErrRetry),
 * ETCD_WATCHERS_MAX watch streams, Raft's window of pending applies (then ErrRetry
 * after WRITE_ENQUEUE_TIMEOUT_MS).
 *
 * Seams for testing: EtcdServerParts builds the store, the lessor and the
 * ReadIndex (the shipping classes by default; subclasses that break one rule in
 * scenarios/etcd/variants.ts).
 */
import type { Env } from "../../../sim/env.ts";
import { RaftError, RaftNode, resolveNodeOptions, type RaftNodeOptions } from "../../raft/index.ts";
import { EtcdError } from "../errors.ts";
import type { MvccStore } from "../mvcc/store.ts";
import { EtcdFsm, type FsmObserver, type FsmResult } from "./fsm.ts";
import { serveKv } from "./kv-service.ts";
import { serveLeases } from "./lease-service.ts";
import { Lessor } from "./lessor.ts";
import { AutoCompactor } from "./auto-compactor.ts";
import { Member } from "./member.ts";
import { ReadIndex } from "./read-index.ts";
import { WatchHub } from "./watch-hub.ts";
import { serveWatch } from "./watch-service.ts";

/** etcd's client port. */
export const ETCD_PORT = 2379;
export const ETCD_INFLIGHT_REQUESTS_MAX = 1024;
export const ETCD_WATCHERS_MAX = 1024;
export const DEFAULT_LEASE_CHECK_INTERVAL_MS = 100;
export const DEFAULT_WATCH_PROGRESS_INTERVAL_MS = 200;

/** How a member builds its parts: each a seam for test fixtures, the shipping class when not given. */
export interface EtcdServerParts {
  /** The FSM's MVCC store, at start and at each snapshot restore. Default `new MvccStore()`. */
  readonly createStore?: () => MvccStore;
  /** The leader's side of leases. Default `new Lessor(...)`. */
  readonly createLessor?: (...args: ConstructorParameters<typeof Lessor>) => Lessor;
  /** How the leader confirms a linearizable read. Default `new ReadIndex(node)`. */
  readonly createReadIndex?: (node: RaftNode) => ReadIndex;
}

export interface EtcdServerOptions {
  /** Options of the RaftNode (its FSM is the server's EtcdFsm). */
  readonly raft: Omit<RaftNodeOptions, "fsm">;
  readonly port?: number;
  /** Raise lease TTLs below this (seconds). Default: etcd's rule on the Raft timing (lessor.ts). */
  readonly minLeaseTtlSeconds?: number;
  readonly leaseCheckIntervalMs?: number;
  readonly watchProgressIntervalMs?: number;
  /** etcd's revision-mode auto compaction: keep this many revisions of history (default: off). */
  readonly autoCompactionRetentionRevisions?: number;
  /** How often the leader considers an auto compaction, in ms. Default 1000. */
  readonly autoCompactionIntervalMs?: number;
  /** Sees every applied entry, and the other FSM events (tests and scenarios). */
  readonly observer?: FsmObserver;
  /** Builds the member's parts (seams for test fixtures). Default: the shipping classes. */
  readonly parts?: EtcdServerParts;
}

/** A running member. */
export interface EtcdServer {
  readonly node: RaftNode;
  readonly fsm: EtcdFsm;
  readonly lessor: Lessor;
  readonly memberId: number;
  readonly clusterId: number;
  readonly minLeaseTtlSeconds: number;
  /** Resolves when the node stops (as RaftNode.terminated); the services are closed by then. */
  readonly terminated: RaftNode["terminated"];
  shutdown(): Promise<void>;
}

/** A 53-bit FNV-1a hash of `text` (member and cluster ids). */
export function idOf(text: string): number {
  let low = 0x811c9dc5;
  let high = 0x2f3a1b7;
  for (let index = 0; index < text.length; index++) {
    low = Math.imul(low ^ text.charCodeAt(index), 0x01000193) >>> 0;
    high = Math.imul(high ^ (low >>> 11), 0x01000193) >>> 0;
  }
  return (high & 0x1fffff) * 2 ** 32 + low || 1;
}

/** Starts the member (see the file's comment). Rejects if the node cannot start. */
export async function runEtcdServer(env: Env, options: EtcdServerOptions): Promise<EtcdServer> {
  const clusterId = idOf([...(options.raft.bootstrapVoters ?? [env.host])].sort().join(","));
  const memberId = idOf(env.host);
  const parts = options.parts ?? {};
  const fsm = new EtcdFsm({ clusterId, memberId, createStore: parts.createStore });
  const timing = resolveNodeOptions({ ...options.raft, fsm });
  const electionTimeoutMs = timing.electionTimeoutTicks * timing.tickIntervalMs;
  const minLeaseTtlSeconds = options.minLeaseTtlSeconds ?? Math.max(1, Math.ceil((1.5 * electionTimeoutMs) / 1000));
  const started: { member: Member | undefined } = { member: undefined };
  const createLessor = parts.createLessor ?? ((...args: ConstructorParameters<typeof Lessor>) => new Lessor(...args));
  const lessor = createLessor(
    env,
    () => fsm.mvcc,
    (id) => revokeExpired(started.member, id),
    {
      checkIntervalMs: options.leaseCheckIntervalMs ?? DEFAULT_LEASE_CHECK_INTERVAL_MS,
      promoteExtendMs: electionTimeoutMs,
    },
  );
  const hub = new WatchHub(env.clock, ETCD_WATCHERS_MAX);
  fsm.observe({
    leaseGranted: (id, ttl) => lessor.leaseGranted(id, ttl),
    leaseRevoked: (id) => lessor.leaseRevoked(id),
    restored: () => lessor.restored(),
    changed: () => hub.changed(),
  });
  if (options.observer !== undefined) fsm.observe(options.observer);
  const node = await RaftNode.start(env, { ...options.raft, fsm });
  const readIndex = parts.createReadIndex?.(node) ?? new ReadIndex(node);
  const member = new Member(env, node, fsm, lessor, readIndex, hub, clusterId, memberId, ETCD_INFLIGHT_REQUESTS_MAX);
  started.member = member;
  const compactor =
    options.autoCompactionRetentionRevisions === undefined
      ? undefined
      : new AutoCompactor(
          env,
          member,
          options.autoCompactionRetentionRevisions,
          options.autoCompactionIntervalMs ?? 1_000,
        );
  compactor?.start();
  node.observeLeadership((event) => lessor.leadership(event.isLeader));
  lessor.leadership(node.state() === "Leader");
  lessor.start();
  const server = env.rpc.serve(options.port ?? ETCD_PORT);
  serveKv(server, member);
  serveLeases(server, member, minLeaseTtlSeconds);
  serveWatch(server, member, options.watchProgressIntervalMs ?? DEFAULT_WATCH_PROGRESS_INTERVAL_MS);
  const terminated = node.terminated.then((reason) => {
    server.close();
    lessor.stop();
    compactor?.stop();
    hub.changed();
    return reason;
  });
  env.trace("etcd.started", { memberId, clusterId, minLeaseTtlSeconds });
  return { node, fsm, lessor, memberId, clusterId, minLeaseTtlSeconds, terminated, shutdown: () => node.shutdown() };
}

/** The lessor's revoke of an expired lease: true once applied (false: not leader, or the outcome is unknown). */
async function revokeExpired(member: Member | undefined, id: number): Promise<boolean> {
  if (member === undefined) return false;
  try {
    await member.propose({ type: "leaseRevoke", id, expired: true });
    return true;
  } catch (error) {
    if (error instanceof EtcdError || error instanceof RaftError) return false;
    throw error;
  }
}

export type { FsmObserver, FsmResult };
