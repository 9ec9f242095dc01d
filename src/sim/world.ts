/**
 * The world of one run: scheduler, root random stream, trace, network, hosts and
 * their disks, and the violations found so far. Everything a run does is driven
 * from here, by one seed.
 *
 * It injects no faults by itself; it applies the fault events of a plan (see
 * faults/apply.ts) through the host, network and disk models.
 */
import type { BuggifyOptions, Env, ProcessMain, Random as RandomContract } from "./env.ts";
import { Host, type HostHooks, type Incarnation } from "./host.ts";
import { Links } from "./net/links.ts";
import { Network } from "./net/network.ts";
import type { WireMode } from "./net/rpc/frame-channel.ts";
import { Random } from "./random.ts";
import { Scheduler } from "./scheduler.ts";
import { Trace, type TraceOptions } from "./trace.ts";
import { buildEnv, type DiskProvider } from "./world-env.ts";

export type ViolationKind = "safety" | "liveness" | "kernel";

/** A broken invariant: data, never a stray exception. */
export interface Violation {
  /** The invariant's name, e.g. "counter.acknowledged-write-lost". */
  invariant: string;
  kind: ViolationKind;
  /** Virtual time in ms. */
  time: number;
  host?: string;
  details: string;
  /**
   * Facts for tools, recorded in the violation's trace record beside its
   * invariant, kind and details (e.g. a linearizability counterexample's key and
   * operation ids, which `dst view` draws). JSON values only.
   */
  fields?: Record<string, unknown>;
}

export interface WorldOptions {
  seed: number | string;
  trace?: TraceOptions;
  /** Enables `buggify` fault points for this run. */
  buggify?: boolean;
  /** Gives each host its disk (the world knows no disk implementation itself). */
  disks?: DiskProvider;
  /** How RPC frames cross the network: copied objects (default) or encoded bytes (see net/rpc/frame-channel.ts). */
  wireMode?: WireMode;
  /**
   * The runtime determinism guard (ambient-guard.ts), on unless false: an ambient call
   * (`Date.now()`, `Math.random()`, a real timer...) made by code the scheduler runs
   * becomes the violation `determinism.ambient-call`, naming the call site.
   */
  ambientGuard?: boolean;
}

/** The violation of an ambient call refused by the determinism guard. */
export const AMBIENT_CALL_INVARIANT = "determinism.ambient-call";

/** Probability that a buggify point is active in a run that enables buggify. */
export const BUGGIFY_ACTIVATION_PROBABILITY = 0.25;
/** Probability that an active buggify point fires each time it is reached. */
export const BUGGIFY_FIRE_PROBABILITY = 0.25;

export class World {
  readonly seed: string;
  readonly wireMode: WireMode;
  readonly scheduler = new Scheduler();
  readonly random: Random;
  readonly trace: Trace;
  readonly links: Links;
  readonly network: Network;
  readonly violations: Violation[] = [];
  readonly probes = new Map<string, number>();
  readonly buggifyHits = new Map<string, number>();
  private readonly hostsByName = new Map<string, Host>();
  private readonly buggifyActive = new Map<string, boolean>();
  private readonly buggifyEnabled: boolean;
  /** Set when every fault healed (quietBuggify): no point fires from then on. */
  private buggifyQuiet = false;
  private readonly disks: DiskProvider | undefined;
  private readonly processErrors: Array<{ host: string; error: unknown }> = [];
  private readonly roles = new Map<string, () => string | undefined>();

  constructor(options: WorldOptions) {
    this.seed = String(options.seed);
    this.random = new Random(this.seed);
    this.trace = new Trace(options.trace);
    this.buggifyEnabled = options.buggify ?? false;
    this.wireMode = options.wireMode ?? "objects";
    this.disks = options.disks;
    if (options.ambientGuard !== false) {
      this.scheduler.ambientSink = {
        refuse: (ambient) =>
          this.violate({
            invariant: AMBIENT_CALL_INVARIANT,
            kind: "kernel",
            details: `${ambient.call} called inside the simulation at ${ambient.site}: not deterministic; use ${ambient.instead}`,
            fields: { call: ambient.call, site: ambient.site },
          }),
      };
    }
    this.links = new Links(this.random.fork("net"));
    this.network = new Network(
      this.links,
      {
        hostNames: () => [...this.hostsByName.keys()],
        liveIncarnation: (name) => this.hostsByName.get(name)?.incarnation,
        toTrueDuration: (name, localMs) => this.host(name).clock.toTrueDuration(localMs),
      },
      { trace: (host, kind, fields) => this.record(host, kind, fields) },
    );
  }

  get now(): number {
    return this.scheduler.now;
  }

  get hosts(): readonly Host[] {
    return [...this.hostsByName.values()];
  }

  get hostNames(): string[] {
    return [...this.hostsByName.keys()];
  }

  /** Adds a host (down until started). Names are addresses: unique, non-empty. */
  addHost(name: string, main?: ProcessMain): Host {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`invalid host name "${name}"`);
    if (this.hostsByName.has(name)) throw new Error(`host "${name}" exists`);
    const host = new Host(name, this.scheduler, this.hostHooks());
    if (main !== undefined) host.main = main;
    this.hostsByName.set(name, host);
    this.disks?.create(name, this.random.fork(`disk/${name}`), (kind, fields) => this.record(name, kind, fields));
    return host;
  }

  host(name: string): Host {
    const host = this.hostsByName.get(name);
    if (host === undefined) throw new Error(`unknown host "${name}"`);
    return host;
  }

  hasHost(name: string): boolean {
    return this.hostsByName.has(name);
  }

  /**
   * Replaces `host`'s disk by an empty one, as an operator replaces a volume that can
   * no longer be read. The host must be down (its process would otherwise lose its
   * files under it); throws without a disk provider that can wipe.
   */
  wipeDisk(name: string): void {
    const host = this.host(name);
    if (host.state !== "down") throw new Error(`host "${name}" must be down to wipe its disk`);
    if (this.disks?.wipe === undefined) throw new Error(`host "${name}" has no disk that can be wiped`);
    this.disks.wipe(name);
  }

  /** Records a trace event at the current virtual time. */
  record(host: string | undefined, kind: string, fields?: Record<string, unknown>): void {
    this.trace.record(this.scheduler.now, host, kind, fields);
  }

  /** Records a violation (and a trace record of it). */
  violate(violation: Omit<Violation, "time"> & { time?: number }): void {
    const full: Violation = { ...violation, time: violation.time ?? this.scheduler.now };
    this.violations.push(full);
    // Named fields first (the event list reads them first), and they win over any field of the same name.
    const named = { invariant: full.invariant, kind: full.kind, details: full.details };
    this.record(full.host, "violation", full.fields === undefined ? named : { ...named, ...full.fields, ...named });
  }

  probe(name: string, host?: string): void {
    this.probes.set(name, (this.probes.get(name) ?? 0) + 1);
    this.record(host, "probe", { name });
  }

  /** FoundationDB-style buggify: a point is active in a run with some probability, then fires sometimes. */
  buggify(name: string, host: string, options?: BuggifyOptions): boolean {
    if (!this.buggifyEnabled || (this.buggifyQuiet && options?.afterHeal !== true)) return false;
    let active = this.buggifyActive.get(name);
    if (active === undefined) {
      active = this.random.fork(`buggify/${name}`).bool(BUGGIFY_ACTIVATION_PROBABILITY);
      this.buggifyActive.set(name, active);
    }
    if (!active) return false;
    const fires = this.random
      .fork(`buggify/${name}/${host}/${this.buggifyHits.get(name) ?? 0}`)
      .bool(BUGGIFY_FIRE_PROBABILITY);
    this.buggifyHits.set(name, (this.buggifyHits.get(name) ?? 0) + 1);
    if (fires) {
      this.probes.set(`buggify:${name}`, (this.probes.get(`buggify:${name}`) ?? 0) + 1);
      this.record(host, "buggify", { name });
    }
    return fires;
  }

  /**
   * Buggify points that are faults stop firing for the rest of the run: the runner
   * calls it when it heals every fault for the liveness phase. Such a point is a fault
   * the code must stand (a dropped message, a slow fsync), and a liveness phase judges
   * progress without faults; FoundationDB's simulator likewise stops its fault-injecting
   * buggify sites (`speedUpSimulation`) before checking that the database is quiet.
   * Points marked `afterHeal` (a rare path, no fault) keep firing. Recorded in runs
   * that enable buggify.
   */
  quietBuggify(): void {
    if (this.buggifyQuiet) return;
    this.buggifyQuiet = true;
    if (this.buggifyEnabled) this.record(undefined, "buggify.quiet");
  }

  /**
   * Lets fault plans aim at `role` ("@role"): `resolve` names the host that holds
   * it at the moment, or undefined when none does (the event is then skipped).
   */
  setRole(role: string, resolve: () => string | undefined): void {
    this.roles.set(role, resolve);
  }

  /** The host a fault target names: itself, or the holder of "@role" now (undefined: nobody, or an unknown role). */
  resolveTarget(target: string): string | undefined {
    if (!target.startsWith("@")) return target;
    const host = this.roles.get(target.slice(1))?.();
    return host !== undefined && this.hasHost(host) ? host : undefined;
  }

  /** A random stream for a named purpose (workloads, fault generators). */
  stream(name: string): RandomContract & Random {
    return this.random.fork(name);
  }

  /** Errors thrown out of process mains (reported as violations by the runner). */
  get uncaughtProcessErrors(): ReadonlyArray<{ host: string; error: unknown }> {
    return this.processErrors;
  }

  private hostHooks(): HostHooks {
    return {
      launch: (host, incarnation) => this.launch(host, incarnation),
      died: (host, incarnation, reason) => {
        this.network.hostDied(incarnation);
        if (reason === "crash") this.disks?.crash(host.name);
      },
      trace: (host, kind, fields) => this.record(host.name, kind, fields),
    };
  }

  private launch(host: Host, incarnation: Incarnation): void {
    const main = host.main;
    if (main === undefined) throw new Error(`host ${host.name} has no main`);
    const env: Env = buildEnv(this, host, incarnation, this.disks);
    // The main starts as an event of the new incarnation, so a paused or crashed host does not run it.
    this.scheduler.schedule(
      0,
      () => {
        main(env).then(
          () => this.record(host.name, "process.exit", { incarnation: incarnation.incarnation }),
          (error: unknown) => {
            if (incarnation.isDead()) return;
            this.processErrors.push({ host: host.name, error });
            this.violate({
              invariant: "process.uncaught-error",
              kind: "safety",
              host: host.name,
              details: describeError(error),
            });
          },
        );
      },
      { owner: incarnation },
    );
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
