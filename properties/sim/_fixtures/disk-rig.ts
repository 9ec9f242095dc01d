/**
 * A simulated disk on its own scheduler, for component tests: issue operations,
 * run the scheduler until quiescent, and look at how each operation settled.
 */
import { DiskError } from "../../../src/sim/env.ts";
import type { Disk } from "../../../src/sim/env.ts";
import { StandaloneContext } from "../../../src/sim/process-context.ts";
import { Random } from "../../../src/sim/random.ts";
import { Scheduler } from "../../../src/sim/scheduler.ts";
import { SimDisk } from "../../../src/sim/disk/sim-disk.ts";
import type { SimDiskOptions } from "../../../src/sim/disk/sim-disk.ts";

/** How a promise settled, or that it has not. */
export type Outcome<T> =
  | { readonly settled: false }
  | { readonly settled: true; readonly ok: true; readonly value: T }
  | { readonly settled: true; readonly ok: false; readonly error: unknown };

/** Watches a promise without awaiting it. */
export function track<T>(promise: Promise<T>): () => Outcome<T> {
  let outcome: Outcome<T> = { settled: false };
  promise.then(
    (value) => {
      outcome = { settled: true, ok: true, value };
    },
    (error: unknown) => {
      outcome = { settled: true, ok: false, error };
    },
  );
  return () => outcome;
}

/** "ok", the DiskError code, "pending", or "not-a-disk-error" (a bug). */
export function outcomeCode(outcome: Outcome<unknown>): string {
  if (!outcome.settled) return "pending";
  if (outcome.ok) return "ok";
  return outcome.error instanceof DiskError ? outcome.error.code : "not-a-disk-error";
}

export type DiskFactory = (options: SimDiskOptions) => SimDisk;

export const shippingDisk: DiskFactory = (options) => new SimDisk(options);

export interface DiskRigOptions extends Partial<Omit<SimDiskOptions, "random">> {
  seed?: string;
  factory?: DiskFactory;
}

export class DiskRig {
  readonly scheduler = new Scheduler();
  readonly disk: SimDisk;
  readonly traces: { kind: string; fields: Record<string, unknown> }[] = [];
  context: StandaloneContext;
  view: Disk;
  private incarnation = 1;

  constructor(options: DiskRigOptions = {}) {
    const { seed = "disk-rig", factory = shippingDisk, ...rest } = options;
    this.disk = factory({
      ...rest,
      random: new Random(seed),
      trace: (kind, fields) => this.traces.push({ kind, fields }),
    });
    this.context = new StandaloneContext(this.scheduler, "test", this.incarnation);
    this.view = this.disk.view(this.context);
  }

  /** Issues an operation, runs the scheduler until quiescent, and reports how it settled. */
  async run<T>(start: (disk: Disk) => Promise<T>): Promise<Outcome<T>> {
    const outcome = track(start(this.view));
    await this.scheduler.run();
    return outcome();
  }

  /** Like `run`, but the operation must succeed. */
  async must<T>(start: (disk: Disk) => Promise<T>): Promise<T> {
    const outcome = await this.run(start);
    if (!outcome.settled) throw new Error("operation did not settle");
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** Kills the current incarnation and, if asked, crashes the disk; then starts a new incarnation. */
  restart(crash: boolean): void {
    this.context.kill();
    if (crash) this.disk.crash();
    this.incarnation++;
    this.context = new StandaloneContext(this.scheduler, "test", this.incarnation);
    this.view = this.disk.view(this.context);
  }
}

/** Bytes (tag + i) mod 256: distinct per tag, so torn prefixes and overlaps show. */
export function patternBytes(length: number, tag: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (tag + index * 7) & 0xff;
  return bytes;
}

/** Sorted [path, bytes as array] pairs, for readable deep equality. */
export function filesOf(snapshot: { files: ReadonlyMap<string, Uint8Array> }): [string, number[]][] {
  return [...snapshot.files.entries()]
    .map(([path, bytes]): [string, number[]] => [path, [...bytes]])
    .sort(([left], [right]) => (left < right ? -1 : 1));
}

/** Sorted directory paths. */
export function directoriesOf(snapshot: { directories: ReadonlySet<string> }): string[] {
  return [...snapshot.directories].sort();
}
