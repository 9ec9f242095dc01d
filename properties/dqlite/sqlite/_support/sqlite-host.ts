/**
 * One simulated host (a World with a SimDisk) running a process that holds a
 * SqliteEngine, for the SQLite tests: the test issues engine calls, and virtual
 * time runs until each settles. Crash and restart go through the world, so the
 * disk keeps only what was durable and the engine of the dead incarnation is gone.
 */
import type { DiskFaults } from "../../../../src/sim/disk/disk-faults.ts";
import { createSimDisks, type SimDiskSystem } from "../../../../src/sim/disk/system.ts";
import type { Env } from "../../../../src/sim/env.ts";
import { World } from "../../../../src/sim/world.ts";
import { createWaSqliteModule } from "../../../../src/sim/wasm/wa-sqlite-module.ts";
import { SqliteEngine, type SqliteEngineOptions } from "../../../../src/impl/dqlite/sqlite/engine.ts";
import type { SqliteModuleFactory } from "../../../../src/impl/dqlite/sqlite/module.ts";

export const HOST = "n1";
export const DIRECTORY = "/db";
/** Virtual time one operation may take at most before the test calls it stuck. */
const OPERATION_TIME_MAX_MS = 60_000;

export interface SqliteHostOptions {
  readonly seed?: string;
  readonly factory?: SqliteModuleFactory;
  readonly engine?: Partial<SqliteEngineOptions>;
}

/** How an operation ended, or that it never did. */
export type Settled<T> =
  | { readonly state: "ok"; readonly value: T }
  | { readonly state: "error"; readonly error: unknown }
  | { readonly state: "pending" };

export class SqliteHost {
  readonly world: World;
  readonly disks: SimDiskSystem;
  private current: { env: Env; engine: SqliteEngine } | undefined;
  private readonly factory: SqliteModuleFactory;
  private readonly engineOptions: SqliteEngineOptions;

  private constructor(options: SqliteHostOptions) {
    this.disks = createSimDisks();
    this.world = new World({ seed: options.seed ?? "sqlite-host", disks: this.disks });
    this.factory = options.factory ?? createWaSqliteModule;
    this.engineOptions = { directory: DIRECTORY, ...options.engine };
    this.world.addHost(HOST, async (env) => {
      if (!(await env.disk.exists(DIRECTORY))) {
        await env.disk.mkdir(DIRECTORY);
        await env.disk.syncDirectory("/");
      }
      this.current = { env, engine: await SqliteEngine.create(env, this.factory, this.engineOptions) };
      // The process lives until the test crashes it.
      await new Promise<void>(() => undefined);
    });
  }

  /** A host whose process has started and made its engine. */
  static async start(options: SqliteHostOptions = {}): Promise<SqliteHost> {
    const host = new SqliteHost(options);
    await host.boot();
    return host;
  }

  get engine(): SqliteEngine {
    if (this.current === undefined) throw new Error("the host's process is down");
    return this.current.engine;
  }

  get env(): Env {
    if (this.current === undefined) throw new Error("the host's process is down");
    return this.current.env;
  }

  /** Runs `operation` (started now) until it settles; rejects as it rejects. */
  async run<T>(operation: (engine: SqliteEngine) => Promise<T>): Promise<T> {
    const settled = await this.settle(operation);
    if (settled.state === "pending") throw new Error("the operation did not settle");
    if (settled.state === "error") throw settled.error;
    return settled.value;
  }

  /** Runs `operation` until it settles or nothing is left to do. */
  async settle<T>(operation: (engine: SqliteEngine) => Promise<T>): Promise<Settled<T>> {
    let settled: Settled<T> = { state: "pending" };
    operation(this.engine).then(
      (value) => (settled = { state: "ok", value }),
      (error: unknown) => (settled = { state: "error", error }),
    );
    await this.world.scheduler.run({
      predicate: () => settled.state !== "pending",
      untilTime: this.world.now + OPERATION_TIME_MAX_MS,
    });
    return settled;
  }

  /** Power loss: the process dies, the disk keeps what was durable. Then a new process starts. */
  async crashAndRestart(): Promise<void> {
    this.current = undefined;
    this.world.host(HOST).crash();
    await this.boot();
  }

  setDiskFaults(faults: Partial<DiskFaults>): void {
    this.disks.disk(HOST).setFaults(faults);
  }

  clearDiskFaults(): void {
    this.disks.disk(HOST).clearFaults();
  }

  /** The live bytes of a file on the host's disk (empty when absent). */
  file(path: string): Uint8Array {
    return this.disks.disk(HOST).liveSnapshot().files.get(path) ?? new Uint8Array(0);
  }

  /** Paths of the files on the host's disk, sorted. */
  paths(): string[] {
    return [...this.disks.disk(HOST).liveSnapshot().files.keys()].sort();
  }

  private async boot(): Promise<void> {
    this.world.host(HOST).start();
    await this.world.scheduler.run({
      predicate: () => this.current !== undefined,
      untilTime: this.world.now + OPERATION_TIME_MAX_MS,
    });
    if (this.current === undefined)
      throw new Error(`the host did not start: ${this.world.violations.map((v) => v.details).join("; ")}`);
  }
}
