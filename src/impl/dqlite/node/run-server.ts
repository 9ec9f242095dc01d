/**
 * The main of a dqlite server process: starts the node (SQLite, FSM, Raft) and
 * serves clients on its port until Raft stops.
 */
import type { Env } from "../../../sim/env.ts";
import type { RaftError } from "../../raft/index.ts";
import { DqliteNode, DQLITE_PORT, type DqliteNodeOptions } from "./dqlite-node.ts";
import { DqliteServer } from "./server.ts";

export interface RunningDqliteServer {
  readonly node: DqliteNode;
  readonly server: DqliteServer;
  /** Resolves when the node's Raft stops (undefined after a clean shutdown). */
  readonly terminated: Promise<RaftError | undefined>;
}

export async function runDqliteServer(env: Env, options: DqliteNodeOptions): Promise<RunningDqliteServer> {
  const node = await DqliteNode.start(env, options);
  const createServer =
    options.parts?.createServer ?? ((serverEnv, serverNode) => new DqliteServer(serverEnv, serverNode));
  const server = createServer(env, node).listen(options.port ?? DQLITE_PORT);
  return { node, server, terminated: node.raft.terminated };
}
