/**
 * DqliteNode: one server of a Raft-replicated SQLite cluster (go-dqlite's Node).
 *
 * At start the node wipes its database directory: its state is rebuilt from the
 * Raft snapshot and log (go-dqlite kept databases in a volatile VFS for the same
 * reason). It then starts SQLite (one wa-sqlite instance for this incarnation),
 * the FSM and Raft, and serves clients (server.ts).
 *
 * Leadership: on becoming leader the node applies a barrier (every entry of
 * earlier terms is then applied, so no follower frames can reach its files any
 * more), resolves what earlier leaders left (LeaderMethods.resolveLeftovers), and
 * only then takes writes. On losing leadership, transactions with a command in
 * flight become zombies synchronously, and open interactive transactions are
 * rolled back.
 *
 * One SQLite connection per database, used only while leading: the FSM writes the
 * files behind SQLite's back when it applies frames of other leaders, so a
 * connection opened at an older generation of the files is closed and reopened.
 *
 * Seams for testing: `parts` builds the node's parts (DqliteNodeParts), each the
 * shipping one by default; the broken variants of scenarios/dqlite/variants.ts are
 * subclasses of them.
 */
import type { Env } from "../../../sim/env.ts";
import { AsyncLock } from "../../common/async-lock.ts";
import { RaftNode, type RaftNodeOptions } from "../../raft/index.ts";
import { encodeCommand } from "../fsm/commands.ts";
import { DqliteFsm, type DqliteFsmOptions } from "../fsm/fsm.ts";
import { Registry } from "../fsm/registry.ts";
import { heldFramesMaxOf, LeaderMethods } from "../leader/methods.ts";
import { SqliteEngine, type SqliteConnection } from "../sqlite/engine.ts";
import type { SqliteModuleFactory } from "../sqlite/module.ts";
import type { DatabaseStore } from "../types.ts";
import { DiskDatabaseStore, type DatabaseStoreOptions } from "../wal/database-files.ts";
import type { DqliteServer } from "./server.ts";

export const DQLITE_PORT = 9001;
/** go-dqlite checkpoints once the WAL holds this many frames. */
export const CHECKPOINT_THRESHOLD_FRAMES = 1000;
/** Callers waiting for one database at most. */
const DATABASE_WAITERS_MAX = 64;

export interface DqliteNodeOptions {
  /** Instantiates wa-sqlite for this incarnation (scenarios pass createWaSqliteModule). */
  readonly sqlite: SqliteModuleFactory;
  /** The voters of a brand-new cluster (hashicorp/raft's BootstrapCluster). */
  readonly bootstrapVoters: readonly string[];
  /** Client port. Default DQLITE_PORT. */
  readonly port?: number;
  /** Where the databases live on the host's disk. Default "/dqlite". */
  readonly directory?: string;
  /** SQLite page cache of the leader's connections, in pages (small caches spill frames mid-transaction). */
  readonly cacheSizePages?: number;
  readonly checkpointThresholdFrames?: number;
  /** Raft settings (the fsm and voters are the node's). */
  readonly raft?: Omit<RaftNodeOptions, "fsm" | "bootstrapVoters">;
  /** Seams for testing: how the node's parts are built (the shipping parts by default). */
  readonly parts?: DqliteNodeParts;
}

/** Factories of a node's parts (seams for testing), each the shipping part's constructor when absent. */
export interface DqliteNodeParts {
  /** Each database's files on the node's disk. */
  readonly createFiles?: DatabaseStoreOptions["createFiles"];
  /** The replication FSM. */
  readonly createFsm?: (options: DqliteFsmOptions) => DqliteFsm;
  /** The leader's replication hooks. */
  readonly createMethods?: (...args: ConstructorParameters<typeof LeaderMethods>) => LeaderMethods;
  /** The client protocol's server (runDqliteServer serves it). */
  readonly createServer?: (env: Env, node: DqliteNode) => DqliteServer;
}

interface OpenConnection {
  readonly connection: SqliteConnection;
  readonly generation: number;
}

/** One dqlite server (see the file's comment). */
export class DqliteNode {
  private readonly locks = new Map<string, AsyncLock>();
  private readonly connections = new Map<string, OpenConnection>();
  private readyTerm: number | undefined;
  private currentTerm = 0;
  private failed: string | undefined;
  readonly methods: LeaderMethods;

  private constructor(
    readonly env: Env,
    readonly raft: RaftNode,
    readonly fsm: DqliteFsm,
    readonly registry: Registry,
    readonly store: DatabaseStore,
    readonly engine: SqliteEngine,
    private readonly options: DqliteNodeOptions,
  ) {
    const createMethods = options.parts?.createMethods ?? ((...args) => new LeaderMethods(...args));
    this.methods = createMethods(env, raft, registry, store, {
      leaderReady: () => this.isReadyLeader(),
      leaderTerm: () => this.currentTerm,
      fatal: (reason) => this.fail(reason),
      heldFramesMax: heldFramesMaxOf(options.cacheSizePages),
    });
    raft.observeLeadership((event) => {
      if (!event.isLeader) {
        this.readyTerm = undefined;
        this.methods.leadershipLost();
        return;
      }
      this.currentTerm = event.term;
      void this.becomeReady(event.term);
    });
  }

  static async start(env: Env, options: DqliteNodeOptions): Promise<DqliteNode> {
    const directory = options.directory ?? "/dqlite";
    const engine = await SqliteEngine.create(env, options.sqlite, {
      directory,
      cacheSizePages: options.cacheSizePages,
    });
    const template = await engine.emptyDatabaseImage();
    const store = new DiskDatabaseStore(env, directory, template, { createFiles: options.parts?.createFiles });
    await store.clear();
    const registry = new Registry();
    // The FSM asks the node (created after Raft starts) which database its SQLite is using.
    const started: { node?: DqliteNode } = {};
    const createFsm = options.parts?.createFsm ?? ((fsmOptions) => new DqliteFsm(fsmOptions));
    const fsm = createFsm({ env, store, registry, busyDatabase: () => started.node?.busyDatabase() });
    const raft = await RaftNode.start(env, { ...options.raft, fsm, bootstrapVoters: options.bootstrapVoters });
    // Raft restored the FSM from its latest snapshot before replaying the log: the databases came from the snapshot.
    if (raft.stats().last_snapshot_index !== "0") env.probe("dqlite.node.started-from-snapshot");
    started.node = new DqliteNode(env, raft, fsm, registry, store, engine, options);
    return started.node;
  }

  /** True when this node leads a term whose earlier entries are all applied and whose leftovers are resolved. */
  isReadyLeader(): boolean {
    return (
      this.failed === undefined &&
      this.readyTerm !== undefined &&
      this.readyTerm === this.currentTerm &&
      this.raft.state() === "Leader"
    );
  }

  /** Why this node stopped serving, if it did. */
  failure(): string | undefined {
    return this.failed;
  }

  /** A database whose lock is held now (a statement or interactive transaction runs on it), if any. */
  busyDatabase(): string | undefined {
    for (const [filename, lock] of this.locks) if (lock.isHeld()) return filename;
    return undefined;
  }

  /** The lock of one database: one statement or interactive transaction at a time. */
  lock(filename: string): AsyncLock {
    let lock = this.locks.get(filename);
    if (lock === undefined) {
      lock = new AsyncLock(DATABASE_WAITERS_MAX);
      this.locks.set(filename, lock);
    }
    return lock;
  }

  /** Makes sure the database exists cluster-wide (an Open command), leader only. Errors are Raft's. */
  async ensureDatabase(filename: string): Promise<void> {
    if (this.store.get(filename) !== undefined) return;
    const result = await this.raft.apply(encodeCommand({ kind: "open", name: filename }));
    if (result.response instanceof Error) throw result.response;
  }

  /**
   * The leader's connection to a database, reopened if the FSM changed the files since it was opened. Hold the
   * database's lock.
   */
  async connection(filename: string): Promise<SqliteConnection> {
    const files = this.store.get(filename);
    if (files === undefined) throw new Error(`database ${filename} is not open`);
    const open = this.connections.get(filename);
    if (open !== undefined && open.generation === files.generation()) return open.connection;
    if (open !== undefined) {
      this.connections.delete(filename);
      await open.connection.close();
      this.env.probe("dqlite.node.connection-reopened");
    }
    const generation = files.generation();
    this.engine.vfs.setWalInterceptor(filename, this.methods.capture(filename));
    const connection = await this.engine.open(filename);
    this.connections.set(filename, { connection, generation });
    return connection;
  }

  /**
   * After a commit: checkpoint the database cluster-wide once its WAL is long (go-dqlite's leader does). Hold the lock.
   */
  async maybeCheckpoint(filename: string): Promise<void> {
    const files = this.store.get(filename);
    const threshold = this.options.checkpointThresholdFrames ?? CHECKPOINT_THRESHOLD_FRAMES;
    if (files === undefined || files.committedFrames() === 0 || this.registry.txnByFilename(filename) !== undefined)
      return;
    // A checkpoint long before the threshold: the path a long WAL takes, reached in short runs too.
    if (files.committedFrames() < threshold && !this.env.buggify("dqlite.checkpoint-early", { afterHeal: true }))
      return;
    try {
      const result = await this.raft.apply(encodeCommand({ kind: "checkpoint", name: filename }));
      if (result.response instanceof Error)
        this.env.log.warn("dqlite: checkpoint failed", { filename, error: result.response.message });
    } catch (error) {
      this.env.log.info("dqlite: checkpoint not applied", {
        filename,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private async becomeReady(term: number): Promise<void> {
    try {
      await this.raft.barrier();
    } catch {
      return;
    }
    if (this.currentTerm !== term || this.raft.state() !== "Leader") return;
    await this.methods.resolveLeftovers();
    if (this.currentTerm !== term || this.raft.state() !== "Leader") return;
    this.readyTerm = term;
    this.env.trace("dqlite.leader-ready", { term });
  }

  private fail(reason: string): void {
    if (this.failed !== undefined) return;
    this.failed = reason;
    this.env.log.error("dqlite: node stops serving", { reason });
    this.env.trace("dqlite.node-failed", { reason });
    void this.raft.shutdown();
  }
}
