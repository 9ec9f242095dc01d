/**
 * Member: what every RPC handler of one etcd server shares: the Raft node, the FSM,
 * the lessor, the read index and the watch hub, plus the three paths a request
 * takes (propose a command, read linearizably, refuse with a typed error) and the
 * bound on requests in flight.
 *
 * Raft's failures become refusals by what they say about the outcome:
 * ErrNotLeader -> ErrNotLeader with the leader hint (not appended: retry there);
 * ErrEnqueueTimeout, a shutdown before the command was taken, and the like ->
 * ErrRetry (not appended); ErrLeadershipLost and a shutdown with the command in
 * flight -> ErrOutcomeUnknown (appended, may still commit).
 */
import { RpcError, type Env, type WireValue } from "../../../sim/env.ts";
import { ErrNotLeader as RaftErrNotLeader, RaftError, type RaftNode } from "../../raft/index.ts";
import { encodeCommand, type EtcdCommand } from "../commands.ts";
import { ErrNotLeader, ErrOutcomeUnknown, ErrRequestTooLarge, ErrRetry, EtcdError, refusalFor } from "../errors.ts";
import { MAX_REQUEST_BYTES } from "../mvcc/check.ts";
import type { ResponseHeader } from "../types.ts";
import type { EtcdFsm, FsmResult } from "./fsm.ts";
import type { Lessor } from "./lessor.ts";
import type { ReadIndex } from "./read-index.ts";
import type { WatchHub } from "./watch-hub.ts";

/** How long a write waits for room in the leader's apply window, in ms. */
export const WRITE_ENQUEUE_TIMEOUT_MS = 200;

export class Member {
  private inflight = 0;

  constructor(
    readonly env: Env,
    readonly node: RaftNode,
    readonly fsm: EtcdFsm,
    readonly lessor: Lessor,
    readonly readIndex: ReadIndex,
    readonly hub: WatchHub,
    readonly clusterId: number,
    readonly memberId: number,
    /** Unary requests served at once at most; beyond it ErrRetry. */
    private readonly inflightMax: number,
  ) {}

  /** Runs a request handler within the in-flight bound, turning typed errors into refusals. */
  async serve(handler: () => Promise<WireValue>): Promise<WireValue> {
    if (this.inflight >= this.inflightMax) throw refusalFor(new ErrRetry("too many requests in flight"));
    this.inflight++;
    try {
      return await handler();
    } catch (error) {
      throw asRefusal(error, this.node);
    } finally {
      this.inflight--;
    }
  }

  /** A header at `revision` (default: the store's) in the current term. */
  header(revision = this.fsm.mvcc.revision): ResponseHeader {
    return { clusterId: this.clusterId, memberId: this.memberId, revision, raftTerm: Number(this.node.stats().term) };
  }

  /** Proposes `command` (leader only) and resolves with the FSM's response; throws a typed error if refused. */
  async propose(command: EtcdCommand): Promise<unknown> {
    const data = encodeCommand(command);
    if (data.length > MAX_REQUEST_BYTES) throw new ErrRequestTooLarge();
    if (this.node.state() !== "Leader") throw new ErrNotLeader(this.node.leader() ?? null);
    const applied = await this.node.apply(data, WRITE_ENQUEUE_TIMEOUT_MS);
    const result = applied.response as FsmResult;
    if (!result.ok) throw result.error;
    return result.response;
  }

  /** Resolves once a read of the local store is linearizable (leader only). */
  async linearizable(): Promise<void> {
    await this.readIndex.confirm();
  }
}

/** The refusal `error` stands for; anything that is no expected error is rethrown as is. */
export function asRefusal(error: unknown, node: RaftNode): unknown {
  if (error instanceof RpcError) return error;
  if (error instanceof EtcdError) return refusalFor(error);
  if (error instanceof RaftErrNotLeader) return refusalFor(new ErrNotLeader(error.leaderId ?? null));
  if (error instanceof RaftError) {
    return refusalFor(
      error.outcomeUnknown
        ? new ErrOutcomeUnknown(error.message)
        : new ErrRetry(`${error.message}; leader ${node.leader() ?? "unknown"}`),
    );
  }
  return error;
}
