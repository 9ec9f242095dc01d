/**
 * EtcdClient: a cluster-aware etcd v3 client (clientv3 in TypeScript idiom).
 *
 * Given the members' addresses it finds the leader (following not-leader
 * redirects, trying the next member when one is unreachable or knows no leader,
 * backing off with jitter: common/leader-caller.ts), and every call is bounded by
 * an operation timeout and a number of attempts.
 *
 * Errors (errors.ts), by what they say about the outcome:
 * - ErrOutcomeUnknown: a write that may have been applied (its entry was appended
 *   and leadership was lost, or the answer never came). It is never retried and
 *   never reported as a failure;
 * - the etcd errors (ErrCompacted, ErrDuplicateKey, ErrLeaseNotFound, ...): the
 *   server refused it, nothing changed;
 * - ErrNoLeader: no attempt reached a leader in time; nothing changed.
 * Reads change nothing, so they are retried whatever happened.
 *
 * Also `keepAlive` (client/keep-alive.ts) and `watch` (client/watch.ts), which
 * resumes across member failures without skipping or repeating a revision.
 */
import { RpcError, type Env } from "../../../sim/env.ts";
import {
  LeaderCaller,
  type CallOutcome,
  type CallTiming,
  type LeaderCallerOptions,
  type Refusal,
} from "../../common/leader-caller.ts";
import { toBytes } from "../bytes.ts";
import { ErrNoLeader, ErrOutcomeUnknown, errorFromRefusal, refusalOf, type EtcdError } from "../errors.ts";
import { ETCD_PORT } from "../server/server.ts";
import type {
  CompactionResponse,
  DeleteRangeResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseRevokeResponse,
  LeaseTimeToLiveResponse,
  PutResponse,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
  TxnResponse,
} from "../types.ts";
import { toWire } from "../wire.ts";
import { keepAlive, type KeepAlive, type KeepAliveOptions } from "./keep-alive.ts";
import { rangeEndOf, TxnBuilder, type KeyRangeOptions } from "./txn-builder.ts";
import { DEFAULT_WATCH_RESUME, watch, type WatchOptions, type WatchResume } from "./watch.ts";
import type { WatchResponse } from "../types.ts";

type Bytes = string | Uint8Array;

export interface EtcdClientOptions extends Omit<LeaderCallerOptions, "port" | "servers"> {
  /** Addresses of the members. */
  readonly endpoints: readonly string[];
  readonly port?: number;
  /**
   * Where a watch's streams start across failures (watch.ts; a seam for test fixtures). Default DEFAULT_WATCH_RESUME.
   */
  readonly watchResume?: WatchResume;
}

export interface GetOptions extends KeyRangeOptions {
  readonly limit?: number;
  readonly revision?: number;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  /** Served by any member from its own replica (may be stale). */
  readonly serializable?: boolean;
}

export interface PutOptions {
  readonly lease?: number;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
}

/** A client of an etcd cluster (see the file's comment). Calls may run concurrently. */
export class EtcdClient {
  private readonly caller: LeaderCaller;
  readonly port: number;
  readonly endpoints: readonly string[];

  constructor(
    readonly env: Env,
    private readonly options: EtcdClientOptions,
  ) {
    this.port = options.port ?? ETCD_PORT;
    this.endpoints = options.endpoints;
    this.caller = new LeaderCaller(env, { ...options, servers: options.endpoints, port: this.port }, readRefusal);
  }

  /** The leader this client last heard of. */
  get leader(): string | undefined {
    return this.caller.leader;
  }

  async get(key: Bytes, options: GetOptions = {}): Promise<RangeResponse> {
    const rangeEnd = rangeEndOf(key, options);
    const request = {
      key: toBytes(key),
      ...(rangeEnd !== undefined ? { rangeEnd } : {}),
      limit: options.limit ?? 0,
      revision: options.revision ?? 0,
      keysOnly: options.keysOnly ?? false,
      countOnly: options.countOnly ?? false,
      serializable: options.serializable ?? false,
    };
    return (await this.call("etcd.range", request, true)) as RangeResponse;
  }

  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResponse> {
    const request = {
      key: toBytes(key),
      value: toBytes(value),
      lease: options.lease ?? 0,
      prevKv: options.prevKv ?? false,
      ignoreValue: options.ignoreValue ?? false,
      ignoreLease: options.ignoreLease ?? false,
    };
    return (await this.call("etcd.put", request, false)) as PutResponse;
  }

  async delete(
    key: Bytes,
    options: KeyRangeOptions & { readonly prevKv?: boolean } = {},
  ): Promise<DeleteRangeResponse> {
    const rangeEnd = rangeEndOf(key, options);
    return (await this.call(
      "etcd.deleteRange",
      { key: toBytes(key), ...(rangeEnd !== undefined ? { rangeEnd } : {}), prevKv: options.prevKv ?? false },
      false,
    )) as DeleteRangeResponse;
  }

  /** A txn builder (`.if(...).then(...).else(...).commit()`), or runs `request` directly. */
  txn(): TxnBuilder;
  txn(request: TxnRequest): Promise<TxnResponse>;
  txn(request?: TxnRequest): TxnBuilder | Promise<TxnResponse> {
    const run = async (txn: TxnRequest) => (await this.call("etcd.txn", txn, false)) as TxnResponse;
    return request === undefined ? new TxnBuilder(run) : run(request);
  }

  async compact(revision: number): Promise<CompactionResponse> {
    return (await this.call("etcd.compact", { revision }, false)) as CompactionResponse;
  }

  /** Grants a lease of `ttlSeconds` (raised to the cluster's minimum); `id` 0 lets the leader choose. */
  async grant(ttlSeconds: number, id = 0): Promise<LeaseGrantResponse> {
    return (await this.call("etcd.leaseGrant", { ttl: ttlSeconds, id }, false)) as LeaseGrantResponse;
  }

  /** Revokes a lease: its keys are deleted at one revision. */
  async revoke(id: number): Promise<LeaseRevokeResponse> {
    return (await this.call("etcd.leaseRevoke", { id }, false)) as LeaseRevokeResponse;
  }

  /** Renews a lease once; `ttl` 0 means it no longer exists. Renewing is idempotent, so it is retried freely. */
  /** One renewal; `timing` replaces the client's operation timeout for it (keep-alive.ts bounds it by the lease). */
  async keepAliveOnce(id: number, timing: CallTiming = {}): Promise<LeaseKeepAliveResponse> {
    return (await this.call("etcd.leaseKeepAlive", { id }, true, timing)) as LeaseKeepAliveResponse;
  }

  /** Keeps a lease alive, renewing at TTL/3, until cancelled or it cannot be renewed (keep-alive.ts). */
  keepAlive(id: number, options: KeepAliveOptions = {}): KeepAlive {
    return keepAlive(this, id, options);
  }

  async timeToLive(id: number, options: { readonly keys?: boolean } = {}): Promise<LeaseTimeToLiveResponse> {
    return (await this.call(
      "etcd.leaseTimeToLive",
      { id, keys: options.keys ?? false },
      true,
    )) as LeaseTimeToLiveResponse;
  }

  /** The member's view: its header, the leader it knows, its commit and applied indexes. */
  async status(endpoint: string): Promise<{
    header: ResponseHeader;
    leader: string | null;
    raftIndex: number;
    appliedIndex: number;
    raftTerm: number;
  }> {
    try {
      return (await this.env.rpc.call(
        endpoint,
        this.port,
        "etcd.status",
        {},
        { deadlineMs: this.options.callDeadlineMs ?? 300 },
      )) as unknown as {
        header: ResponseHeader;
        leader: string | null;
        raftIndex: number;
        appliedIndex: number;
        raftTerm: number;
      };
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      throw errorOf({ type: "fail", reason: error.message, error });
    }
  }

  /**
   * Watches a key or range from a revision: events in revision order, each revision once, across failures (watch.ts).
   */
  watch(key: Bytes, options: WatchOptions = {}): AsyncIterable<WatchResponse> {
    return watch(this, key, options, this.options.watchResume ?? DEFAULT_WATCH_RESUME);
  }

  /** One call through the leader caller; resolves with the reply or throws the typed error. */
  async call(method: string, request: object, idempotent: boolean, timing: CallTiming = {}): Promise<unknown> {
    const outcome = await this.caller.call(method, toWire(request), idempotent, timing);
    if (outcome.type === "ok") return outcome.value;
    throw errorOf(outcome);
  }
}

/** How the client reads a refusal (see the file's comment). */
function readRefusal(error: RpcError, idempotent: boolean): Refusal | undefined {
  const refused = refusalOf(error);
  switch (refused?.code) {
    case undefined:
      return undefined;
    case "not-leader":
      return { kind: "redirect", leader: refused.leader };
    case "no-leader":
      return { kind: "redirect", leader: null };
    case "retry":
      return { kind: "retry" };
    case "outcome-unknown":
      return idempotent ? { kind: "retry" } : { kind: "unknown" };
    default:
      return { kind: "fail" };
  }
}

function errorOf(outcome: Exclude<CallOutcome, { type: "ok" }>): EtcdError {
  if (outcome.type === "info") return new ErrOutcomeUnknown(outcome.reason);
  const refused = outcome.error === undefined ? undefined : refusalOf(outcome.error);
  if (
    refused !== undefined &&
    refused.code !== "not-leader" &&
    refused.code !== "retry" &&
    refused.code !== "no-leader"
  )
    return errorFromRefusal(refused);
  return new ErrNoLeader(outcome.reason);
}
