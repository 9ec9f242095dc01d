/**
 * runKvServer: one server of the replicated key-value store. It starts a RaftNode
 * with a KvFsm and serves the RPC methods `kv.get`, `kv.put` and `kv.cas` on
 * KV_PORT. Only the leader executes them; a follower refuses with a "not-leader"
 * redirect carrying the leader it knows of (errors.ts).
 *
 * Reads are linearizable in either read mode:
 * - "log" (default): a get is a log entry like any command;
 * - "barrier": the leader commits a barrier entry, then reads its own replica
 *   (everything committed before the read began is applied by then).
 *
 * Raft's failures map to refusals by what they say about the outcome: ErrNotLeader
 * → "not-leader"; ErrEnqueueTimeout and a shutdown before the command was taken →
 * "retry"; ErrLeadershipLost and a shutdown with the command in flight →
 * "outcome-unknown".
 */
import type { Env, RpcServer, WireValue } from "../../sim/env.ts";
import { ErrNotLeader, RaftError, RaftNode, type RaftNodeOptions } from "../raft/index.ts";
import { encodeCommand, isCommand, type KvCommand, type KvResponse } from "./commands.ts";
import { refusal } from "./errors.ts";
import { KvFsm, type ApplyObserver } from "./kv-fsm.ts";

/** Port of the KV service on every server. */
export const KV_PORT = 7200;
/** How long a request waits for room in the leader's apply window, in ms. */
export const KV_ENQUEUE_TIMEOUT_MS = 200;

export type KvReadMode = "log" | "barrier";

/** Options of `runKvServer`. */
export interface KvServerOptions {
  /** Options of the RaftNode (its FSM is the server's KvFsm). */
  readonly raft: Omit<RaftNodeOptions, "fsm">;
  readonly port?: number;
  readonly readMode?: KvReadMode;
  /** Sees every applied entry (tests and scenarios record what each replica applied). */
  readonly onApply?: ApplyObserver;
}

/** A running server. */
export interface KvServer {
  readonly node: RaftNode;
  readonly fsm: KvFsm;
  /** Resolves when the node stops (as RaftNode.terminated); the RPC service is closed by then. */
  readonly terminated: RaftNode["terminated"];
  shutdown(): Promise<void>;
}

/** Starts the node and the RPC service (see the file's comment). Rejects if the node cannot start. */
export async function runKvServer(env: Env, options: KvServerOptions): Promise<KvServer> {
  const fsm = new KvFsm(options.onApply);
  const node = await RaftNode.start(env, { ...options.raft, fsm });
  const server = env.rpc.serve(options.port ?? KV_PORT);
  const readMode = options.readMode ?? "log";
  serveMethods(server, node, fsm, readMode);
  const terminated = node.terminated.then((reason) => {
    server.close();
    return reason;
  });
  env.trace("raft-kv.started", { readMode });
  return { node, fsm, terminated, shutdown: () => node.shutdown() };
}

function serveMethods(server: RpcServer, node: RaftNode, fsm: KvFsm, readMode: KvReadMode): void {
  for (const kind of ["get", "put", "cas"] as const) {
    server.unary(`kv.${kind}`, async (request) => {
      const command = { ...(request as Record<string, unknown>), kind };
      if (!isCommand(command)) throw refusal("invalid", `malformed ${kind} request`);
      const response = await execute(node, fsm, command, readMode);
      return { value: response.value, swapped: response.swapped } satisfies Record<string, WireValue>;
    });
  }
}

async function execute(node: RaftNode, fsm: KvFsm, command: KvCommand, readMode: KvReadMode): Promise<KvResponse> {
  if (node.state() !== "Leader") throw refusal("not-leader", "this server is not the leader", node.leader() ?? null);
  try {
    if (command.kind === "get" && readMode === "barrier") {
      await node.barrier(KV_ENQUEUE_TIMEOUT_MS);
      return { value: fsm.read(command.key), swapped: false };
    }
    const result = await node.apply(encodeCommand(command), KV_ENQUEUE_TIMEOUT_MS);
    return result.response as KvResponse;
  } catch (error) {
    if (error instanceof ErrNotLeader) throw refusal("not-leader", error.message, error.leaderId ?? null);
    if (error instanceof RaftError)
      throw refusal(error.outcomeUnknown ? "outcome-unknown" : "retry", error.message, node.leader() ?? null);
    throw error;
  }
}
