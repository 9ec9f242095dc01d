/**
 * What the BMDB scenarios share: the record of who holds which work (for the
 * mutual-exclusion check), and the work-history check.
 *
 * - Holds: an agent holds a machine and process from the moment `work()` returns
 *   until its last act (a step or a commit) taken while its session was alive.
 *   `bmdb.mutual-exclusion` breaks when a session takes a key another session
 *   still acts on, or acts on a key after another session took it.
 * - `bmdb.history`: per machine and process, every terminal event (Finished,
 *   Canceled, Failed) follows a Started with no terminal event in between. A
 *   Started left open is allowed (session collection released it silently).
 * - Client operations: `bmdbFailed` gives a traced operation (scenarios/harness/client-operations.ts)
 *   the outcome of a BMDB error.
 * - Knobs (BMDB_KNOBS): the database's shape and tuning each seed draws.
 */
import { Connection, ErrTransactionFailed, type HistoryRow } from "../../src/impl/bmdb/index.ts";
import type { Env } from "../../src/sim/env.ts";
import { pickKnob } from "../../src/sim/knobs.ts";
import type { KnobReader, Scenario, ScenarioContext } from "../../src/sim/runner.ts";
import { invokeOperation, type TracedOperation } from "../harness/client-operations.ts";
import { DISK_SYNC_KNOB, disksOfKnob } from "../harness/disk-knob.ts";
import { checkReplicas, DQLITE_KNOBS, queryLeader, quiesce, type DqliteCluster } from "../dqlite/cluster.ts";
import { withVariant, type BmdbBrokenVariant } from "./variants.ts";

/**
 * Swarm testing of the replicated SQLite under BMDB: 3 or 5 dqlite servers, the
 * dqlite tuning of DQLITE_KNOBS (checkpoint threshold, election timeout, snapshot
 * threshold, trailing log, entries per append) and the disk's sync latency. Each
 * scenario adds its session interval (`sessionIntervalSeconds`).
 */
export const BMDB_KNOBS = {
  servers: pickKnob([3, 5], 3),
  ...DQLITE_KNOBS,
  ...DISK_SYNC_KNOB,
} as const satisfies Scenario["knobs"];

/** The dqlite servers a run has: n1..n3 or n1..n5 (the `servers` knob). */
export function bmdbServersOf(knob: KnobReader): string[] {
  return Array.from({ length: knob<number>("servers") }, (_, index) => `n${index + 1}`);
}

/** What both BMDB scenarios take besides DQLITE_SCENARIO_BASE: disks whose sync latency is a knob. */
export const BMDB_KNOB_BASE = {
  createDisks: disksOfKnob,
} as const satisfies Partial<Scenario>;

/** How long the final phase waits for the clients to stop, at most. */
const QUIESCE_MS_MAX = 5_000;

/**
 * Completes `traced` by a BMDB error: "info" for a transaction whose commit may have happened, else "fail" (refused,
 * expired, nothing to do).
 */
export function bmdbFailed(traced: TracedOperation, error: unknown): void {
  traced.failedWith(error, error instanceof ErrTransactionFailed && error.outcomeUnknown);
}

/** One agent's hold of a machine and process, in true virtual time. */
export interface Hold {
  readonly agent: string;
  readonly session: string;
  readonly key: string;
  readonly from: number;
  /** The last time the agent acted (a step or a commit) believing its session alive. */
  to: number;
  /** The work was released or abandoned. */
  ended: boolean;
}

/** Every hold of a run, the latest per key (kept after it ended), and the mutual-exclusion breaks found. */
export interface Holds {
  readonly all: Hold[];
  readonly latest: Map<string, Hold>;
  readonly problems: string[];
}

export function newHolds(): Holds {
  return { all: [], latest: new Map(), problems: [] };
}

/** Records that `agent` holds `key` from now, checking no other session holds it. */
export function startHold(context: ScenarioContext, holds: Holds, agent: string, session: string, key: string): Hold {
  const now = context.world.now;
  const hold: Hold = { agent, session, key, from: now, to: now, ended: false };
  holds.all.push(hold);
  const other = holds.latest.get(key);
  if (other !== undefined && !other.ended && other.session !== session && other.to >= now) {
    holds.problems.push(
      `${agent} (session ${session}) took ${key} at ${now.toFixed(1)} ms while ${other.agent} (session ${other.session}) held it, acting at ${other.to.toFixed(1)} ms`,
    );
  }
  holds.latest.set(key, hold);
  return hold;
}

/** The agent acts on `hold` now: nobody else may have taken the key since it did (even if they are done with it). */
export function extendHold(context: ScenarioContext, holds: Holds, hold: Hold): void {
  const now = context.world.now;
  hold.to = now;
  const latest = holds.latest.get(hold.key);
  if (latest !== undefined && latest !== hold && latest.from <= now) {
    holds.problems.push(
      `${hold.agent} (session ${hold.session}) acted on ${hold.key} at ${now.toFixed(1)} ms after ${latest.agent} (session ${latest.session}) took it at ${latest.from.toFixed(1)} ms`,
    );
  }
}

/** The hold is over (the work was released or abandoned): others may take the key from now. */
export function endHold(hold: Hold): void {
  hold.ended = true;
}

/** Reports the mutual-exclusion breaks found since the last call; returns the new count reported. */
export function reportHolds(context: ScenarioContext, holds: Holds, reported: number): number {
  for (; reported < holds.problems.length; reported++) {
    context.world.violate({
      invariant: "bmdb.mutual-exclusion",
      kind: "safety",
      details: holds.problems[reported] as string,
    });
  }
  return reported;
}

/** The work history, read on the ready leader's own copy (undefined: no ready leader). */
export async function readHistory(
  context: ScenarioContext,
  cluster: DqliteCluster,
  database: string,
): Promise<HistoryRow[] | undefined> {
  const rows = await queryLeader(
    context,
    cluster,
    database,
    "SELECT history_id, machine_id, process, event, timestamp FROM work_history ORDER BY history_id",
  );
  return rows?.map(
    (row): HistoryRow => ({
      historyId: Number(row[0]),
      machineId: String(row[1]),
      process: String(row[2]),
      event: String(row[3]) as HistoryRow["event"],
      failedCause: null,
      timestamp: Number(row[4]),
    }),
  );
}

/** bmdb.history: per key, a terminal event only after a Started, and at most one per Started. */
export function checkHistory(context: ScenarioContext, history: readonly HistoryRow[]): void {
  const open = new Map<string, boolean>();
  for (const row of history) {
    const key = `${row.machineId}/${row.process}`;
    if (row.event === "Started") {
      // An item left open was released by session collection (no terminal event): allowed.
      open.set(key, true);
      continue;
    }
    if (open.get(key) !== true) {
      context.world.violate({
        invariant: "bmdb.history",
        kind: "safety",
        details: `${row.event} of ${key} (history ${row.historyId}) without an open Started`,
      });
      return;
    }
    open.set(key, false);
  }
}

/**
 * The final checks every BMDB scenario makes: stops the clients (sessions poke the
 * database until canceled) and waits for them, reports what they found, then
 * compares the replicas and checks the work history. Resolves with the history
 * for further checks, or undefined once a violation is recorded.
 */
export async function finishBmdbRun(
  context: ScenarioContext,
  cluster: DqliteCluster,
  database: string,
  clients: { stop(): void; running(): boolean; report(): void },
): Promise<HistoryRow[] | undefined> {
  const { world } = context;
  clients.stop();
  await quiesce(context, cluster, clients.running, QUIESCE_MS_MAX);
  clients.report();
  if (world.violations.length > 0) return undefined;
  await checkReplicas(context, cluster, [database], "bmdb");
  if (world.violations.length > 0) return undefined;
  const history = await readHistory(context, cluster, database);
  if (history === undefined) return undefined;
  checkHistory(context, history);
  return world.violations.length > 0 ? undefined : history;
}

/** Resolves after `ms` of true virtual time (for scenario drivers, which have no Env). */
export function sleepVirtual(context: ScenarioContext, ms: number): Promise<void> {
  return new Promise((resolve) => context.world.scheduler.schedule(ms, resolve));
}

/** What a BMDB scenario's client shares with the run while it connects. */
export interface Connecting {
  readonly servers: readonly string[];
  /** Set when the run stops: the client gives up connecting. */
  readonly stopping: boolean;
  readonly counts: Record<string, number>;
}

/**
 * Connects to BMDB (database "bmdb") as `componentName` until it succeeds, or until the run stops (undefined); each
 * failed attempt is traced and counted as `connect:failed`.
 */
export async function connectUntilStopped(
  env: Env,
  state: Connecting,
  componentName: string,
  variant: BmdbBrokenVariant | undefined,
): Promise<Connection | undefined> {
  while (!state.stopping) {
    const traced = invokeOperation(env, "connect");
    try {
      const connection = await Connection.connect(
        env,
        withVariant({ servers: state.servers, database: "bmdb", componentName }, variant),
      );
      traced.ok();
      return connection;
    } catch (error) {
      if (!(error instanceof ErrTransactionFailed)) throw error;
      bmdbFailed(traced, error);
      state.counts["connect:failed"] = (state.counts["connect:failed"] ?? 0) + 1;
    }
  }
  return undefined;
}
