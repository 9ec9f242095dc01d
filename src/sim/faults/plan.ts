/**
 * Fault plans as data: a serialisable list of timed fault events.
 *
 * A plan comes from the swarm generator (the seed picks the fault mix) or from
 * fast-check arbitraries (so fast-check can shrink it), or from a file. Parsing is
 * strict: a malformed plan is a `FaultPlanError` naming the event and field, never
 * a crash later in the run.
 */

export const FAULT_PLAN_VERSION = 1;

/** Probabilities of disk faults per operation while they are on. */
export interface DiskFaultRates {
  readErrorProbability?: number;
  writeErrorProbability?: number;
  syncErrorProbability?: number;
  /** Silent corruption of data returned by a read. */
  readCorruptionProbability?: number;
  /** A write reported as done but never stored. */
  lostWriteProbability?: number;
  /** On crash, a file may keep a torn prefix of its unsynced writes. */
  tornWrites?: boolean;
  /** Shrinks the disk to this many bytes (ENOSPC beyond). */
  capacityBytes?: number;
}

/**
 * When a role-targeted event strikes the role's next holder rather than its
 * current one: from atMs it waits up to `withinMs` for a host to take the role
 * (one that did not hold it a moment before: a newly elected leader), lets
 * `nth - 1` such holders pass, then strikes the nth `delayMs` after it took the
 * role; if that does not happen in time, the event is skipped (and traced).
 * "Isolate the next leader the moment it is elected" leaves that leader's first
 * entries on it alone.
 */
export interface NextHolder {
  withinMs: number;
  delayMs: number;
  /** Which new holder to strike (default 1: the first). */
  nth?: number;
}

export type FaultEvent =
  | { atMs: number; kind: "partition"; groups: string[][]; oneWay?: boolean }
  | {
      atMs: number;
      kind: "isolate";
      host: string;
      /** Cut the host off from these hosts only (default: from every host, clients too). */
      from?: string[];
      /** Only what the host sends is dropped (it still hears the others): a leader that cannot reach its followers. */
      outbound?: boolean;
      /** Undo this isolation alone after this long (default: it lasts until the next heal). */
      durationMs?: number;
      next?: NextHolder;
    }
  | { atMs: number; kind: "heal" }
  | { atMs: number; kind: "clog"; from: string; to: string; durationMs: number }
  | {
      atMs: number;
      kind: "crash";
      host: string;
      /**
       * Restart the crashed host after this long (required when `host` names a role: no restart event could name it).
       */
      durationMs?: number;
      next?: NextHolder;
    }
  | { atMs: number; kind: "restart"; host: string }
  | { atMs: number; kind: "pause"; host: string; durationMs: number; next?: NextHolder }
  /**
   * A jump of the host's wall clock (`offsetMs`), a change of its drift (`drift`), or
   * both at the same instant; at least one. Without `offsetMs` the clock does not jump.
   */
  | { atMs: number; kind: "clock-skew"; host: string; offsetMs?: number; drift?: number }
  | {
      atMs: number;
      kind: "link-quality";
      /** One link only (both or neither): traffic from `from` to `to`; without them, every link. */
      from?: string;
      to?: string;
      lossProbability?: number;
      duplicateProbability?: number;
      reorderProbability?: number;
      latencyMsMean?: number;
    }
  | { atMs: number; kind: "disk-faults"; host: string; rates: DiskFaultRates; durationMs: number };

export type FaultKind = FaultEvent["kind"];

export const FAULT_KINDS: readonly FaultKind[] = [
  "partition",
  "isolate",
  "heal",
  "clog",
  "crash",
  "restart",
  "pause",
  "clock-skew",
  "link-quality",
  "disk-faults",
];

/** The fields each kind may carry besides atMs and kind: anything else is a typo, and rejected. */
const EVENT_FIELDS: Record<FaultKind, readonly string[]> = {
  partition: ["groups", "oneWay"],
  isolate: ["host", "from", "outbound", "durationMs", "next"],
  heal: [],
  clog: ["from", "to", "durationMs"],
  crash: ["host", "durationMs", "next"],
  restart: ["host"],
  pause: ["host", "durationMs", "next"],
  "clock-skew": ["host", "offsetMs", "drift"],
  "link-quality": ["from", "to", "lossProbability", "duplicateProbability", "reorderProbability", "latencyMsMean"],
  "disk-faults": ["host", "rates", "durationMs"],
};

/**
 * A role instead of a host ("@leader"): the host that holds the role when the
 * event applies (World.resolveRole; a scenario declares the roles it resolves),
 * or its next holder (`next`). Isolations, pauses and crashes may name one: a
 * fault aimed at the leader builds the states protocol bugs live in (appends in
 * flight, a stale leader healed back, a new leader's first entries stranded).
 */
export const ROLE_TARGET = /^@[a-z][a-z-]*$/;

export interface FaultPlan {
  version: number;
  /** Sorted by atMs (stable). */
  faults: FaultEvent[];
  /** How the plan was made, for reports: e.g. the swarm's chosen mix. */
  origin?: Record<string, unknown>;
}

export class FaultPlanError extends Error {
  override readonly name = "FaultPlanError";
}

export function emptyPlan(): FaultPlan {
  return { version: FAULT_PLAN_VERSION, faults: [] };
}

/** Sorts events by time, keeping the order of events at the same time. */
export function normalizePlan(plan: FaultPlan): FaultPlan {
  const faults = plan.faults.map((fault, index) => ({ fault, index }));
  faults.sort((a, b) => a.fault.atMs - b.fault.atMs || a.index - b.index);
  const result: FaultPlan = { version: plan.version, faults: faults.map((entry) => entry.fault) };
  if (plan.origin !== undefined) result.origin = plan.origin;
  return result;
}

/** Validates untrusted JSON as a plan over `hosts`. Throws FaultPlanError. */
export function parsePlan(value: unknown, hosts?: readonly string[]): FaultPlan {
  if (!isObject(value)) throw new FaultPlanError("fault plan: expected an object with 'version' and 'faults'");
  if (value.version !== FAULT_PLAN_VERSION)
    throw new FaultPlanError(
      `fault plan: unsupported version ${String(value.version)} (expected ${FAULT_PLAN_VERSION})`,
    );
  if (!Array.isArray(value.faults)) throw new FaultPlanError("fault plan: 'faults' must be an array");
  const faults = value.faults.map((event, index) => parseEvent(event, index, hosts));
  const plan: FaultPlan = { version: FAULT_PLAN_VERSION, faults };
  if (isObject(value.origin)) plan.origin = value.origin;
  return normalizePlan(plan);
}

function parseEvent(value: unknown, index: number, hosts: readonly string[] | undefined): FaultEvent {
  const where = `fault plan: event ${index}`;
  if (!isObject(value)) throw new FaultPlanError(`${where}: expected an object`);
  const field = new FieldReader(value, where, hosts);
  const atMs = field.number("atMs", 0);
  const known = EVENT_FIELDS[value.kind as FaultKind];
  if (known !== undefined) {
    for (const key of Object.keys(value)) {
      if (key !== "atMs" && key !== "kind" && !known.includes(key)) {
        throw new FaultPlanError(
          `${where}: unknown field '${key}' for kind ${String(value.kind)} (fields: ${["atMs", "kind", ...known].join(", ")})`,
        );
      }
    }
  }
  return parseKind(value, atMs, field, where);
}

/**
 * The fields of an event of `value.kind` (the unknown ones already refused): the network's kinds here, the hosts'
 * in parseHostKind.
 */
function parseKind(value: Record<string, unknown>, atMs: number, field: FieldReader, where: string): FaultEvent {
  switch (value.kind) {
    case "partition": {
      const groups = value.groups;
      if (!Array.isArray(groups) || groups.length < 2)
        throw new FaultPlanError(`${where}: 'groups' must list at least two groups`);
      const parsed = groups.map((group, g) => {
        if (!Array.isArray(group)) throw new FaultPlanError(`${where}: group ${g} must be an array of hosts`);
        return group.map((host) => field.hostValue(host, `groups[${g}]`));
      });
      const event: FaultEvent = { atMs, kind: "partition", groups: parsed };
      if (value.oneWay !== undefined) event.oneWay = field.boolean("oneWay");
      return event;
    }
    case "isolate": {
      const event: FaultEvent = { atMs, kind: "isolate", host: field.target("host") };
      if (value.from !== undefined) event.from = field.hostList("from");
      if (value.outbound !== undefined) event.outbound = field.boolean("outbound");
      if (value.durationMs !== undefined) event.durationMs = field.number("durationMs", 0);
      if (value.next !== undefined) event.next = field.next(event.host);
      return event;
    }
    case "heal":
      return { atMs, kind: "heal" };
    case "clog":
      return {
        atMs,
        kind: "clog",
        from: field.host("from"),
        to: field.host("to"),
        durationMs: field.number("durationMs", 0),
      };
    case "link-quality": {
      const event: FaultEvent = { atMs, kind: "link-quality" };
      if ((value.from === undefined) !== (value.to === undefined))
        throw new FaultPlanError(`${where}: a link's quality names both 'from' and 'to', or neither`);
      if (value.from !== undefined) {
        event.from = field.host("from");
        event.to = field.host("to");
      }
      for (const name of ["lossProbability", "duplicateProbability", "reorderProbability"] as const) {
        if (value[name] !== undefined) event[name] = field.number(name, 0, 1);
      }
      if (value.latencyMsMean !== undefined) event.latencyMsMean = field.number("latencyMsMean", 0, 60_000);
      return event;
    }
    default:
      return parseHostKind(value, atMs, field, where);
  }
}

/** The fields of an event that faults one host (crash, restart, pause, clock-skew, disk-faults). */
function parseHostKind(value: Record<string, unknown>, atMs: number, field: FieldReader, where: string): FaultEvent {
  switch (value.kind) {
    case "crash": {
      const event: FaultEvent = { atMs, kind: "crash", host: field.target("host") };
      if (value.durationMs !== undefined) event.durationMs = field.number("durationMs", 0);
      if (ROLE_TARGET.test(event.host) && event.durationMs === undefined)
        throw new FaultPlanError(
          `${where}: a crash of a role (${event.host}) needs 'durationMs': no restart event could name the host`,
        );
      if (value.next !== undefined) event.next = field.next(event.host);
      return event;
    }
    case "restart":
      return { atMs, kind: "restart", host: field.host("host") };
    case "pause": {
      const event: FaultEvent = {
        atMs,
        kind: "pause",
        host: field.target("host"),
        durationMs: field.number("durationMs", 0),
      };
      if (value.next !== undefined) event.next = field.next(event.host);
      return event;
    }
    case "clock-skew": {
      if (value.offsetMs === undefined && value.drift === undefined)
        throw new FaultPlanError(`${where}: a clock-skew sets 'offsetMs', 'drift' or both`);
      const event: FaultEvent = { atMs, kind: "clock-skew", host: field.host("host") };
      if (value.offsetMs !== undefined) event.offsetMs = field.number("offsetMs");
      if (value.drift !== undefined) event.drift = field.number("drift", -0.49, 0.49);
      return event;
    }
    case "disk-faults":
      return {
        atMs,
        kind: "disk-faults",
        host: field.host("host"),
        rates: parseRates(value.rates, where),
        durationMs: field.number("durationMs", 0),
      };
    default:
      throw new FaultPlanError(
        `${where}: unknown kind ${JSON.stringify(value.kind)} (known: ${FAULT_KINDS.join(", ")})`,
      );
  }
}

function parseRates(value: unknown, where: string): DiskFaultRates {
  if (!isObject(value)) throw new FaultPlanError(`${where}: 'rates' must be an object`);
  const field = new FieldReader(value, `${where}.rates`, undefined);
  const rates: DiskFaultRates = {};
  for (const name of [
    "readErrorProbability",
    "writeErrorProbability",
    "syncErrorProbability",
    "readCorruptionProbability",
    "lostWriteProbability",
  ] as const) {
    if (value[name] !== undefined) rates[name] = field.number(name, 0, 1);
  }
  if (value.tornWrites !== undefined) rates.tornWrites = field.boolean("tornWrites");
  if (value.capacityBytes !== undefined) rates.capacityBytes = field.number("capacityBytes", 0);
  const known = new Set([
    "readErrorProbability",
    "writeErrorProbability",
    "syncErrorProbability",
    "readCorruptionProbability",
    "lostWriteProbability",
    "tornWrites",
    "capacityBytes",
  ]);
  for (const key of Object.keys(value))
    if (!known.has(key)) throw new FaultPlanError(`${where}.rates: unknown field '${key}'`);
  return rates;
}

class FieldReader {
  constructor(
    private readonly value: Record<string, unknown>,
    private readonly where: string,
    private readonly hosts: readonly string[] | undefined,
  ) {}

  number(name: string, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY): number {
    const field = this.value[name];
    if (typeof field !== "number" || !Number.isFinite(field))
      throw new FaultPlanError(`${this.where}: '${name}' must be a finite number`);
    if (field < min || field > max)
      throw new FaultPlanError(`${this.where}: '${name}' = ${field} is outside [${min}, ${max}]`);
    return field;
  }

  boolean(name: string): boolean {
    const field = this.value[name];
    if (typeof field !== "boolean") throw new FaultPlanError(`${this.where}: '${name}' must be true or false`);
    return field;
  }

  host(name: string): string {
    return this.hostValue(this.value[name], name);
  }

  /** A host, or a role the scenario resolves when the event applies ("@leader": see ROLE_TARGET). */
  target(name: string): string {
    const field = this.value[name];
    if (typeof field === "string" && ROLE_TARGET.test(field)) return field;
    return this.hostValue(field, name);
  }

  /** A non-empty list of hosts. */
  hostList(name: string): string[] {
    const field = this.value[name];
    if (!Array.isArray(field) || field.length === 0)
      throw new FaultPlanError(`${this.where}: '${name}' must be a non-empty array of hosts`);
    return field.map((host, index) => this.hostValue(host, `${name}[${index}]`));
  }

  /** A NextHolder, for an event aimed at `target` (which must be a role). */
  next(target: string): NextHolder {
    if (!ROLE_TARGET.test(target))
      throw new FaultPlanError(`${this.where}: 'next' needs a role target, not the host '${target}'`);
    const field = this.value.next;
    if (!isObject(field))
      throw new FaultPlanError(`${this.where}: 'next' must be an object with 'withinMs' and 'delayMs'`);
    const reader = new FieldReader(field, `${this.where}.next`, undefined);
    for (const key of Object.keys(field))
      if (!["withinMs", "delayMs", "nth"].includes(key))
        throw new FaultPlanError(`${this.where}.next: unknown field '${key}'`);
    const next: NextHolder = { withinMs: reader.number("withinMs", 0), delayMs: reader.number("delayMs", 0) };
    if (field.nth !== undefined) {
      next.nth = reader.number("nth", 1);
      if (!Number.isInteger(next.nth)) throw new FaultPlanError(`${this.where}.next: 'nth' must be a whole number`);
    }
    return next;
  }

  hostValue(field: unknown, name: string): string {
    if (typeof field !== "string" || field.length === 0)
      throw new FaultPlanError(`${this.where}: '${name}' must be a host name`);
    if (this.hosts !== undefined && !this.hosts.includes(field)) {
      throw new FaultPlanError(`${this.where}: unknown host '${field}' in '${name}' (hosts: ${this.hosts.join(", ")})`);
    }
    return field;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Counts of a plan, for before/after reports. */
export function planSize(plan: FaultPlan): { faults: number; lastAtMs: number } {
  const last = plan.faults[plan.faults.length - 1];
  return { faults: plan.faults.length, lastAtMs: last === undefined ? 0 : last.atMs };
}
