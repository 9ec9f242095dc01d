/**
 * bmdb-provisioning: agents provision machines through the BMDB (src/impl/bmdb)
 * on the replicated SQLite, under partitions, pauses and crashes of both the
 * agents and the database servers.
 *
 * Goal: show that BMDB's work locking is mutually exclusive across sessions, that
 * sessions cut off expire and release their work, that the work history and the
 * backoffs are consistent, and that every machine gets provisioned once the faults
 * heal; and that broken variants are caught.
 * Method: three or five dqlite servers (n1..n5; size and tuning are the seed's
 * knobs, BMDB_KNOBS) and three agent hosts (a1..a3). Agent a1
 * first adds MACHINES machines tagged "new". Every agent keeps a session (interval
 * 2, 3 or 5 s, a knob; a new one when it expires) and loops: take work for
 * "InstallOS" (machines tagged "new", not "os-installed") or "Verify" (tagged
 * "os-installed", not "verified"), do it in WORK_STEPS steps of a few ms, checking
 * before each step that its session is still alive (abandoning the work if not),
 * then fail it with probability FAIL_PROBABILITY (backoff BACKOFF) or finish it
 * (tagging the machine with the process's done tag). Those failures are faults the
 * workload injects: like the swarm's, they stop when the liveness phase begins. A
 * monitor host (m0, never faulted) counts verified machines. The swarm partitions,
 * isolates, clogs, pauses and crashes servers and agents (no clock skew: sessions
 * are leases, and leases assume clocks agree within LEASE_MARGIN_MS).
 * Invariants:
 * - raft.election-safety, dqlite.fsm-invariant (continuous: dqlite-cluster.ts);
 * - bmdb.mutual-exclusion (continuous): no two sessions act on the same machine and
 *   process at overlapping times (an agent acts from the moment work() returns to
 *   its last step or commit taken while its session was alive);
 * - bmdb.history (final): per machine and process, every terminal event (Finished,
 *   Canceled, Failed) follows a Started with no terminal event in between;
 * - bmdb.backoff (final): no Started of a machine and process before the backoff of
 *   its last Failed expired, and each failure's backoff is `nextBackoffSeconds` of
 *   the previous one since the last Finished;
 * - bmdb.integrity, bmdb.replicas-identical (final: checkReplicas);
 * - progress: every machine is verified, and every replica caught up.
 */
import {
  ErrNothingToDo,
  ErrSessionExpired,
  ErrTransactionFailed,
  ErrWorkAlreadyDone,
  ErrWorkConflict,
  nextBackoffSeconds,
  SESSION_INTERVAL_SECONDS_DEFAULT,
  type Backoff,
  type HistoryRow,
  type Queries,
  type Session,
  type Work,
} from "../../src/impl/bmdb/index.ts";
import { DqliteClient, DqliteError } from "../../src/impl/dqlite/index.ts";
import type { Env } from "../../src/sim/env.ts";
import { pickKnob } from "../../src/sim/knobs.ts";
import type { Random } from "../../src/sim/random.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { invokeOperation } from "../harness/client-operations.ts";
import {
  BMDB_KNOB_BASE,
  BMDB_KNOBS,
  bmdbFailed,
  connectUntilStopped,
  bmdbServersOf,
  endHold,
  extendHold,
  finishBmdbRun,
  newHolds,
  reportHolds,
  startHold,
  type Holds,
} from "./work-records.ts";
import { DQLITE_SCENARIO_BASE, dqliteTuningOf, reportProblems, startDqliteCluster } from "../dqlite/cluster.ts";
import { BMDB_BROKEN_VARIANTS, isSessionVariant, type BmdbBrokenVariant } from "./variants.ts";

const AGENTS = ["a1", "a2", "a3"] as const;
const MONITOR = "m0";
const DATABASE = "bmdb";
const MACHINES = 6;
const WORK_STEPS = 4;
const WORK_STEP_MS_MAX = 250;
const FAIL_PROBABILITY = 0.3;
const BACKOFF: Backoff = { initialMs: 1_000, maximumMs: 4_000, exponent: 2 };
const IDLE_MS = 100;
const MONITOR_EVERY_MS = 200;

const PROCESSES = [
  { process: "InstallOS", requiredTag: "new", doneTag: "os-installed" },
  { process: "Verify", requiredTag: "os-installed", doneTag: "verified" },
] as const;

/** Broken variants of the scenario's own agents (the user code of BMDB). */
export const AGENT_BROKEN_VARIANTS = {
  "retrieval-ignores-backoff": "the agents' retrieval query hands out machines still in backoff",
} as const;

type AgentBrokenVariant = keyof typeof AGENT_BROKEN_VARIANTS;

/** What an agent asks BMDB for when it looks for work: the eligibility query's parameters (its user code's seam). */
type Retrieval = (spec: (typeof PROCESSES)[number], now: number) => Parameters<Queries["machinesEligible"]>[0];

/** The agents' own retrieval: one machine of the process, backoffs honoured. */
const RETRIEVAL: Retrieval = (spec, now) => ({ ...spec, limit: 1, now });

const BROKEN_RETRIEVALS: Readonly<Record<AgentBrokenVariant, Retrieval>> = {
  "retrieval-ignores-backoff": (spec, now) => ({ ...RETRIEVAL(spec, now), backoffUntilAfter: Number.MAX_SAFE_INTEGER }),
};

/** The agents' retrieval under `variant` (their own unless it names one of AGENT_BROKEN_VARIANTS). */
function retrievalOf(variant: string | undefined): Retrieval {
  return variant !== undefined && Object.hasOwn(BROKEN_RETRIEVALS, variant)
    ? BROKEN_RETRIEVALS[variant as AgentBrokenVariant]
    : RETRIEVAL;
}

export const bmdbProvisioning: Scenario = {
  name: "bmdb-provisioning",
  description:
    "3 agents provision 6 machines through BMDB sessions and work on a 3- or 5-node replicated SQLite (tuned per seed), under partitions, pauses and crashes; work is exclusive, history and backoffs consistent, every machine provisioned",
  safetyMs: 8_000,
  livenessMs: 20_000,
  swarm: {
    hosts: (knob) => [...bmdbServersOf(knob), ...AGENTS],
    kinds: ["partition", "isolate", "clog", "pause", "crash"],
  },
  ...DQLITE_SCENARIO_BASE,
  ...BMDB_KNOB_BASE,
  // The seed's 5 s session interval, or shorter so that sessions cut off expire within the safety phase.
  knobs: {
    ...BMDB_KNOBS,
    sessionIntervalSeconds: pickKnob([2, 3, SESSION_INTERVAL_SECONDS_DEFAULT], SESSION_INTERVAL_SECONDS_DEFAULT),
  },
  variants: { ...BMDB_BROKEN_VARIANTS, ...AGENT_BROKEN_VARIANTS },
  probePrefixes: ["bmdb.", "dqlite.", "raft."],
  rareStates: {
    "session-expired": "bmdb.session-expired",
    "expired-session-work-collected": "bmdb.expired-sessions-collected",
    "leadership-lost-with-pending": "raft.leadership-lost-with-pending",
  },
  setup,
};

/** A Fail an agent attempted: its backoff in whole seconds, and whether it surely committed. */
interface Failure {
  readonly key: string;
  readonly seconds: number;
  /** "committed", "unknown" (it may have), or "not-committed". */
  readonly outcome: "committed" | "unknown" | "not-committed";
}

interface Provisioning {
  /** The dqlite servers (the `servers` knob) and the session interval (a knob). */
  readonly servers: readonly string[];
  readonly intervalSeconds: number;
  /** How the agents ask for work (retrievalOf the run's variant). */
  readonly retrieval: Retrieval;
  machinesAdded: boolean;
  /** Set by the final phase: agents cancel their sessions and return; the monitor returns. */
  stopping: boolean;
  running: number;
  verified: number;
  readonly holds: Holds;
  readonly failures: Failure[];
  readonly counts: Record<string, number>;
}

function setup(context: ScenarioContext): ScenarioHooks {
  const { world } = context;
  const bmdbVariant = isSessionVariant(context.variant) ? context.variant : undefined;
  const servers = bmdbServersOf(context.knob);
  const cluster = startDqliteCluster(context, { servers, tuning: dqliteTuningOf(context.knob) });
  const state: Provisioning = {
    servers,
    intervalSeconds: context.knob<number>("sessionIntervalSeconds"),
    retrieval: retrievalOf(context.variant),
    machinesAdded: false,
    stopping: false,
    running: AGENTS.length + 1,
    verified: 0,
    holds: newHolds(),
    failures: [],
    counts: {},
  };
  for (const agent of AGENTS) {
    const random = context.random.fork(`agent/${agent}`);
    world
      .addHost(agent, (env) =>
        runAgent(env, context, random, state, bmdbVariant, agent === AGENTS[0]).finally(() => state.running--),
      )
      .start();
  }
  world.addHost(MONITOR, (env) => runMonitor(env, state).finally(() => state.running--)).start();
  let reported = 0;
  let problemsReported = 0;
  const report = () => {
    reported = reportProblems(context, cluster, reported);
    problemsReported = reportHolds(context, state.holds, problemsReported);
  };
  return {
    check: report,
    progress: () => state.verified === MACHINES,
    finish: async () => {
      const history = await finishBmdbRun(context, cluster, DATABASE, {
        stop: () => (state.stopping = true),
        running: () => state.running > 0,
        report,
      });
      if (history !== undefined) checkBackoffs(context, history, state);
    },
    summary: () => ({
      ...state.counts,
      verified: state.verified,
      holds: state.holds.all.length,
      terms: cluster.leadersByTerm.size,
      ...cluster.failures,
    }),
  };
}

function tally(state: Provisioning, name: string): void {
  state.counts[name] = (state.counts[name] ?? 0) + 1;
}

/** Counts verified machines every MONITOR_EVERY_MS (the progress condition). */
async function runMonitor(env: Env, state: Provisioning): Promise<void> {
  const client = new DqliteClient(env, {
    servers: state.servers,
    database: DATABASE,
    operationTimeoutMs: 1_000,
    callDeadlineMs: 400,
    attemptsMax: 10,
  });
  while (!state.stopping) {
    await env.clock.sleep(MONITOR_EVERY_MS);
    const traced = invokeOperation(env, "count-verified");
    try {
      const reply = await client.query("SELECT count(*) FROM machine_tags WHERE tag = 'verified'");
      state.verified = Number(reply.rows[0]?.[0] ?? 0);
      traced.ok({ verified: state.verified });
    } catch (error) {
      if (!(error instanceof DqliteError)) throw error;
      traced.failedWith(error, false);
    }
  }
}

async function runAgent(
  env: Env,
  context: ScenarioContext,
  random: Random,
  state: Provisioning,
  variant: BmdbBrokenVariant | undefined,
  seeder: boolean,
): Promise<void> {
  const connection = await connectUntilStopped(env, state, `agent-${env.host}`, variant);
  if (connection === undefined) return;
  let session: Session | undefined;
  for (;;) {
    if (state.stopping) {
      session?.cancel();
      await session?.heartbeatDone();
      return;
    }
    if (session === undefined || session.expired()) {
      const traced = invokeOperation(env, "start-session");
      try {
        session = await connection.startSession({ processor: "provisioning", intervalSeconds: state.intervalSeconds });
        traced.ok({ session: session.id });
        tally(state, "session:started");
      } catch (error) {
        if (!(error instanceof ErrTransactionFailed)) throw error;
        bmdbFailed(traced, error);
        tally(state, "session:start-failed");
        await env.clock.sleep(IDLE_MS);
        continue;
      }
    }
    if (seeder && !state.machinesAdded) {
      await addMachines(env, session, state);
      continue;
    }
    const spec = random.pick(PROCESSES);
    let work: Work;
    const traced = invokeOperation(env, "take-work", { process: spec.process });
    try {
      work = await session.work(spec.process, (q, now) => q.machinesEligible(state.retrieval(spec, now)));
      traced.ok({ machine: work.machineId });
    } catch (error) {
      if (
        error instanceof ErrNothingToDo ||
        error instanceof ErrWorkConflict ||
        error instanceof ErrSessionExpired ||
        error instanceof ErrTransactionFailed
      ) {
        bmdbFailed(traced, error);
        tally(state, `work:${error.name}`);
        // The work may have been taken without our knowing: end the session, so that collection releases it.
        if (error instanceof ErrTransactionFailed && error.outcomeUnknown) session.cancel();
        await env.clock.sleep(IDLE_MS);
        continue;
      }
      throw error;
    }
    await doWork(env, context, random, state, session, work, spec.doneTag);
  }
}

async function addMachines(env: Env, session: Session, state: Provisioning): Promise<void> {
  const traced = invokeOperation(env, "add-machines", { machines: MACHINES });
  try {
    await session.transact(async (q, now) => {
      for (let i = 1; i <= MACHINES; i++) {
        await q.machineAdd(`m${i}`, now + i);
        await q.machineTag(`m${i}`, "new");
      }
    });
    traced.ok();
    state.machinesAdded = true;
  } catch (error) {
    if (!(error instanceof ErrSessionExpired) && !(error instanceof ErrTransactionFailed)) throw error;
    bmdbFailed(traced, error);
    tally(state, "seed:failed");
    // An unknown outcome may have added them: the statements are idempotent, so adding again is safe.
    await env.clock.sleep(IDLE_MS);
  }
}

/** Does the work in steps while the session lives, then fails or finishes it. */
async function doWork(
  env: Env,
  context: ScenarioContext,
  random: Random,
  state: Provisioning,
  session: Session,
  work: Work,
  doneTag: string,
): Promise<void> {
  const key = `${work.machineId}/${work.process}`;
  const hold = startHold(context, state.holds, env.host, session.id, key);
  try {
    for (let step = 0; step < WORK_STEPS; step++) {
      if (session.expired()) {
        tally(state, "work:abandoned");
        return;
      }
      extendHold(context, state.holds, hold);
      await env.clock.sleep(random.int(1, WORK_STEP_MS_MAX));
    }
    if (session.expired()) {
      tally(state, "work:abandoned");
      return;
    }
    // The commit is the last act: the transaction checks the session itself (after it, others may take the machine at
    // once).
    extendHold(context, state.holds, hold);
    // Drawn in every phase, so that the agent's stream is the same; acted on only before the liveness phase.
    if (random.bool(FAIL_PROBABILITY) && context.livenessStartedAt() === undefined)
      await failWork(env, state, work, key);
    else await finishWork(env, state, work, doneTag);
  } catch (error) {
    if (
      !(error instanceof ErrSessionExpired) &&
      !(error instanceof ErrTransactionFailed) &&
      !(error instanceof ErrWorkAlreadyDone)
    )
      throw error;
    tally(state, `commit:${error.name}`);
    // Not released: cancel it, and if even that fails, end the session so that collection releases it.
    if (!(error instanceof ErrSessionExpired)) {
      const canceling = invokeOperation(env, "cancel-work", { machine: work.machineId, process: work.process });
      const released = await work.cancel();
      canceling.complete(released ? "ok" : "info");
      if (!released) session.cancel();
    }
  } finally {
    endHold(hold);
  }
}

/** Fails the work with the next backoff, recording the failure and whether it committed. */
async function failWork(env: Env, state: Provisioning, work: Work, key: string): Promise<void> {
  const seconds = nextBackoffSeconds(BACKOFF, work.backoff);
  const traced = invokeOperation(env, "fail-work", {
    machine: work.machineId,
    process: work.process,
    backoffSeconds: seconds,
  });
  try {
    await work.fail(BACKOFF, "provisioning failed");
    traced.ok();
    state.failures.push({ key, seconds, outcome: "committed" });
  } catch (error) {
    bmdbFailed(traced, error);
    const unknown = error instanceof ErrTransactionFailed && error.outcomeUnknown;
    state.failures.push({ key, seconds, outcome: unknown ? "unknown" : "not-committed" });
    throw error;
  }
  tally(state, "work:failed");
}

/** Finishes the work, tagging the machine done in the same transaction. */
async function finishWork(env: Env, state: Provisioning, work: Work, doneTag: string): Promise<void> {
  const traced = invokeOperation(env, "finish-work", { machine: work.machineId, process: work.process });
  try {
    await work.finish(async (q) => {
      await q.machineTag(work.machineId, doneTag);
    });
  } catch (error) {
    bmdbFailed(traced, error);
    throw error;
  }
  traced.ok();
  tally(state, "work:finished");
}

/**
 * bmdb.backoff: a Started never comes before the backoff of the last Failed of its
 * key expired, and each failure's backoff follows the previous one (reset by Finished).
 */
function checkBackoffs(context: ScenarioContext, history: readonly HistoryRow[], state: Provisioning): void {
  const until = new Map<string, number>();
  const last = new Map<string, number | undefined>();
  // Per key, the backoffs of the Fails that surely committed, in order; keys with a Fail of unknown outcome are not
  // compared.
  const committed = new Map<string, number[]>();
  const uncertain = new Set(
    state.failures.filter((failure) => failure.outcome === "unknown").map((failure) => failure.key),
  );
  for (const failure of state.failures)
    if (failure.outcome === "committed")
      committed.set(failure.key, [...(committed.get(failure.key) ?? []), failure.seconds]);
  const violate = (details: string) => context.world.violate({ invariant: "bmdb.backoff", kind: "safety", details });
  for (const row of history) {
    const key = `${row.machineId}/${row.process}`;
    if (row.event === "Started") {
      const end = until.get(key);
      if (end !== undefined && row.timestamp < end)
        return violate(`${key} started at ${row.timestamp} ms, in its backoff until ${end} ms`);
    } else if (row.event === "Finished") {
      last.set(key, undefined);
    } else if (row.event === "Failed") {
      const previous = last.get(key);
      const expected = nextBackoffSeconds(
        BACKOFF,
        previous === undefined ? undefined : { lastIntervalSeconds: previous },
      );
      const seen = uncertain.has(key) ? undefined : committed.get(key)?.shift();
      if (seen !== undefined && seen !== expected)
        return violate(`${key} failed with a backoff of ${seen} s, expected ${expected} s after ${previous ?? "none"}`);
      last.set(key, expected);
      until.set(key, row.timestamp + expected * 1_000);
    }
  }
}
