/**
 * One simulated host's disk and an Env on it, for the WAL tests: DatabaseFiles runs
 * on the real simulated disk (latency, scheduler), and the test drives virtual time
 * until each operation settles. Only `disk` and `random` of the Env are live; the
 * rest throws if touched (the WAL code must not need it).
 */
import type { DiskFaults } from "../../../../src/sim/disk/disk-faults.ts";
import { SimDisk } from "../../../../src/sim/disk/sim-disk.ts";
import type { Disk, Env } from "../../../../src/sim/env.ts";
import { StandaloneContext } from "../../../../src/sim/process-context.ts";
import { Random } from "../../../../src/sim/random.ts";
import { Scheduler } from "../../../../src/sim/scheduler.ts";

export class DiskHost {
  readonly scheduler = new Scheduler();
  readonly simDisk: SimDisk;
  readonly disk: Disk;
  readonly env: Env;

  constructor(seed: string) {
    const random = new Random(seed);
    this.simDisk = new SimDisk({ random: random.fork("disk") });
    this.disk = this.simDisk.view(new StandaloneContext(this.scheduler, "n1", 1));
    this.env = envWith(this.disk, random.fork("env"));
  }

  /** Starts `operation`, runs virtual time until nothing is left to do, and returns its outcome. */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    operation().then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    await this.scheduler.run();
    if (outcome === undefined) throw new Error("the operation did not settle");
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** The file's bytes, or an empty array if it does not exist. */
  async readFile(path: string): Promise<Uint8Array> {
    return this.run(async () => ((await this.disk.exists(path)) ? this.disk.readFile(path) : new Uint8Array(0)));
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    await this.run(() => this.disk.writeFile(path, data));
  }

  async exists(path: string): Promise<boolean> {
    return this.run(() => this.disk.exists(path));
  }

  setFaults(faults: Partial<DiskFaults>): void {
    this.simDisk.setFaults(faults);
  }
}

function envWith(disk: Disk, random: Random): Env {
  const unavailable = (what: string) => (): never => {
    throw new Error(`the WAL code touched env.${what}`);
  };
  const fields: Record<string, unknown> = {
    host: "n1",
    disk,
    random,
    trace: () => undefined,
    buggify: () => false,
    probe: () => undefined,
    lifetime: { signal: new AbortController().signal, incarnation: 1 },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  };
  return new Proxy(fields, {
    get: (target, key) => {
      if (typeof key === "symbol" || key === "then") return undefined;
      return key in target ? target[key] : unavailable(key)();
    },
  }) as unknown as Env;
}
