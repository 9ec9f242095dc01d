/**
 * bmdb-sessions: BMDB sessions (src/impl/bmdb) through leader failovers of the
 * replicated SQLite, and a session whose heartbeats are cut off.
 *
 * Goal: the session-expiry property. A live session's transactions keep
 * succeeding through leader failovers, even when the failover lands exactly on a
 * heartbeat's commit (the poke's outcome is then unknown, and the heartbeat must
 * retry rather than give up). A session whose heartbeats are cut off (isolation,
 * pause or crash of its host) is expired after its interval: its work is
 * released to others, and its later transactions fail with ErrSessionExpired.
 *
 * Method: three or five dqlite servers (n1..n5; size and tuning are the seed's
 * knobs, BMDB_KNOBS); three live clients (c1..c3) that are never faulted; one
 * client (x1) that is. Sessions have the seed's interval (5 s) or one second less
 * or more (a knob); the driver's timings below scale with it (the figures are for 5 s). Each live client loops:
 * register a machine (a write through
 * `transact`), take work on it (`work`, which also collects expired sessions),
 * finish it; once x1 is cut off, it also tries to take x1's machine. x1 registers
 * "x-m" and holds work on it ("Hold"), then keeps acting on it and writing, until
 * its session ends (with the parameter `x1Acts: 0` it only writes, so that the
 * refusal of its transactions is checked without the mutual-exclusion check
 * firing first); then it starts a new session. The scenario's driver (not the
 * swarm: it has no swarm settings) fails the database leader 2.6-4 s after the last failover ended, by a
 * crash, an isolation or a pause, each lasting 0.3-3 s, and most of them exactly
 * when a live client commits a heartbeat (poke) or a Finish: the client's commit
 * call is intercepted, and the server it went to is cut CUT_DELAY_MS later, while
 * the commit is in flight. Once x1 holds its work, the driver cuts x1 off for
 * 7-9 s (isolation, pause, or a crash and restart). With the knob `takeOverCut`, the
 * failover after that lands on a live client's commit of its takeover of x-m: its
 * outcome is then unknown, and the client must end its session (BMDB's contract: the
 * machine may be locked by it) so that collection releases x-m.
 * Invariants:
 * - raft.election-safety, dqlite.fsm-invariant (continuous: dqlite-cluster.ts);
 * - bmdb.live-session-kept (continuous): no live client's session expires, unless the database committed
 *   nothing for any client from when its next poke fell due until its lease's end (bmdb-session-expiry.ts:
 *   then the client counts it, `live:expired-database-unavailable`, and starts a new session);
 * - bmdb.mutual-exclusion (continuous: bmdb-common.ts), on x-m above all: x1 never
 *   acts on it after a live client took it;
 * - bmdb.expired-work-released (continuous): x1's work is taken over within its
 *   interval + RELEASE_SLACK_MS of the cut, or of a takeover of unknown outcome
 *   (whose client ended its session: the work may be locked by it until its deadline);
 * - bmdb.expired-session-acted (continuous): no transaction of x1's first session
 *   that began after the takeover commits;
 * - bmdb.history, bmdb.integrity, bmdb.replicas-identical (final), and every
 *   machine a live client registered with an acknowledgement is there;
 * - progress: every live client completed a cycle after the faults healed, x1's work
 *   was taken over, and x1 completed a transaction in a new session (which it starts
 *   only once it learned that its first session is over: refused with
 *   ErrSessionExpired, or its lease ran out).
 */
import {
  type Connection,
  ErrNothingToDo,
  ErrSessionExpired,
  ErrTransactionFailed,
  ErrWorkAlreadyDone,
  ErrWorkConflict,
  SESSION_INTERVAL_SECONDS_DEFAULT,
  type Session,
  type Work,
} from "../../src/impl/bmdb/index.ts";
import { BMDB_BROKEN_VARIANTS, type BmdbBrokenVariant } from "./variants.ts";
import type { Env, WireValue } from "../../src/sim/env.ts";
import { boolKnob, pickKnob } from "../../src/sim/knobs.ts";
import type { Random } from "../../src/sim/random.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
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
  sleepVirtual,
  startHold,
  type Hold,
  type Holds,
} from "./work-records.ts";
import { judgeExpiry, newLeaseBook, watchLeases, type LeaseBook } from "./session-expiry.ts";
import { invokeOperation } from "../harness/client-operations.ts";
import {
  DQLITE_SCENARIO_BASE,
  dqliteTuningOf,
  queryLeader,
  reportProblems,
  startDqliteCluster,
  type DqliteCluster,
} from "../dqlite/cluster.ts";

const LIVE = ["c1", "c2", "c3"] as const;
const CUT_CLIENT = "x1";
const DATABASE = "bmdb";
const HOLD_MACHINE = "x-m";
const HOLD_PROCESS = "Hold";
const CYCLE_PROCESS = "Cycle";
/** How long after the intercepted commit call the server is cut (the commit is then in flight). */
const CUT_DELAY_MS = 2;
/**
 * Between failovers, after the leader is back, in intervals: at least half of one, so that every live session pokes
 * once between two failovers (2.6-4 s for 5 s).
 */
const FAILOVER_GAP_INTERVALS = [0.52, 0.8] as const;
const FAILOVER_LENGTH_MS = [300, 3_000] as const;
const PAUSE_LENGTH_MS = [300, 1_500] as const;
/** How long an armed commit cut waits for its commit before the driver gives up on it. */
const ARMED_MS_MAX = 2_500;
/** A failover ends when a ready leader exists again, or after this long. */
const LEADER_WAIT_MS_MAX = 5_000;
const X_CUT_AT_MS = 4_000;
/** How much longer than an interval x1 is cut off (7-9 s for 5 s). */
const X_CUT_BEYOND_INTERVAL_MS = [2_000, 4_000] as const;
/** How long a cut armed on the takeover's commit waits for it, beyond an interval: x1's session must expire first. */
const TAKE_OVER_ARMED_BEYOND_INTERVAL_MS = 4_000;
/** Failovers stop this long before the safety phase ends. */
const FAILOVERS_END_MS = 15_000;
/** x1's work must be taken over within its interval and this much more after the cut. */
const RELEASE_SLACK_MS = 4_000;
const X_STEP_MS = 200;
const LIVE_PAUSE_MS = [100, 300] as const;

type CutKind = "crash" | "isolate" | "pause";
type CommitKind = "poke" | "finish" | "take-over";

interface CutClient {
  /** The first session, its hold of x-m, and when it began. */
  session?: string;
  hold?: Hold;
  cutAt?: number;
  cutKind?: CutKind;
  /** When x1 came back (isolation healed, pause resumed, process restarted). */
  backAt?: number;
  /** When x1 learned its first session was over (a refusal or its lease). */
  endedAt?: number;
  /** Start times (true virtual time) of x1's first session's transactions that committed. */
  readonly committed: number[];
  /** When a transaction of a later session committed. */
  recoveredAt?: number;
  /** When a live client took x-m over. */
  takenAt?: number;
  /** When a live client's takeover of x-m ended with an unknown outcome (it ended its session). */
  unknownTakeOverAt?: number;
}

interface Sessions {
  /** The dqlite servers (the `servers` knob) and the session interval in ms (a knob). */
  readonly servers: readonly string[];
  readonly intervalMs: number;
  stopping: boolean;
  running: number;
  /** The commit cut the driver waits for, if armed. */
  armed?: { readonly commit: CommitKind; readonly kind: CutKind; fired: boolean };
  /** Hosts the driver keeps isolated (a heal re-isolates the others). */
  readonly isolated: Set<string>;
  readonly x: CutClient;
  /** Per live client: the last time it completed a cycle. */
  readonly cycled: Map<string, number>;
  /** Machines registered by live clients with an acknowledgement. */
  readonly acknowledged: string[];
  readonly holds: Holds;
  /** What the clients observed of commits and pokes, for the verdict on a live session's expiry. */
  readonly leases: LeaseBook;
  readonly problems: Array<{ readonly invariant: string; readonly host?: string; readonly details: string }>;
  readonly counts: Record<string, number>;
}

export const bmdbSessions: Scenario = {
  name: "bmdb-sessions",
  description:
    "BMDB sessions through leader failovers timed on heartbeat and Finish commits: live sessions survive and keep committing; a session cut off (isolated, paused, crashed) expires, its work is released and its later transactions are refused",
  safetyMs: 17_000,
  livenessMs: 10_000,
  ...DQLITE_SCENARIO_BASE,
  ...BMDB_KNOB_BASE,
  knobs: {
    ...BMDB_KNOBS,
    sessionIntervalSeconds: pickKnob([4, SESSION_INTERVAL_SECONDS_DEFAULT, 6], SESSION_INTERVAL_SECONDS_DEFAULT),
    /** Whether the failover after x1's cut lands on the commit of a takeover of x-m. */
    takeOverCut: boolKnob(0.5, false),
  },
  variants: BMDB_BROKEN_VARIANTS,
  probePrefixes: ["bmdb.", "dqlite.", "raft."],
  rareStates: {
    "session-expired": "bmdb.session-expired",
    "expired-session-work-collected": "bmdb.expired-sessions-collected",
    "leadership-lost-with-pending": "raft.leadership-lost-with-pending",
    "commit-in-flight-at-leadership-loss": "dqlite.leader.zombie-with-command-in-flight",
  },
  setup,
};

function setup(context: ScenarioContext): ScenarioHooks {
  const { world } = context;
  const variant = context.variant !== undefined ? (context.variant as BmdbBrokenVariant) : undefined;
  const servers = bmdbServersOf(context.knob);
  const cluster = startDqliteCluster(context, { servers, tuning: dqliteTuningOf(context.knob) });
  const state: Sessions = {
    servers,
    intervalMs: context.knob<number>("sessionIntervalSeconds") * 1_000,
    stopping: false,
    running: LIVE.length + 1,
    isolated: new Set(),
    x: { committed: [] },
    cycled: new Map(),
    acknowledged: [],
    holds: newHolds(),
    leases: newLeaseBook(),
    problems: [],
    counts: {},
  };
  startClients(context, state, variant);
  void driveFailovers(context, cluster, state, context.random.fork("driver"));
  let reported = 0;
  let holdsReported = 0;
  let problemsReported = 0;
  let livenessFrom: number | undefined;
  const report = () => {
    reported = reportProblems(context, cluster, reported);
    holdsReported = reportHolds(context, state.holds, holdsReported);
    checkCutClient(context, state);
    for (; problemsReported < state.problems.length; problemsReported++) {
      const problem = state.problems[problemsReported] as Sessions["problems"][number];
      world.violate({
        invariant: problem.invariant,
        kind: "safety",
        ...(problem.host !== undefined ? { host: problem.host } : {}),
        details: problem.details,
      });
    }
  };
  return {
    check: report,
    progress: () => {
      livenessFrom ??= world.now;
      const from = livenessFrom;
      const released = state.x.cutAt === undefined || state.x.takenAt !== undefined;
      return (
        LIVE.every((host) => (state.cycled.get(host) ?? -1) >= from) && released && state.x.recoveredAt !== undefined
      );
    },
    finish: async () => {
      const history = await finishBmdbRun(context, cluster, DATABASE, {
        stop: () => (state.stopping = true),
        running: () => state.running > 0,
        report,
      });
      if (history !== undefined) await checkAcknowledged(context, cluster, state);
    },
    summary: () => ({
      ...state.counts,
      ...machineXTimes(state),
      machines: state.acknowledged.length,
      terms: cluster.leadersByTerm.size,
      ...cluster.failures,
    }),
  };
}

/** The live clients (their commits watched) and the client that is cut off, each with its own lease book. */
function startClients(context: ScenarioContext, state: Sessions, variant: BmdbBrokenVariant | undefined): void {
  const { world } = context;
  for (const host of LIVE) {
    const random = context.random.fork(`client/${host}`);
    const watched = (env: Env) =>
      interceptCommits(
        watchLeases(env, state.leases, () => world.now),
        (server, commit) => onCommit(context, state, server, commit),
      );
    world
      .addHost(host, (env) =>
        runLiveClient(watched(env), context, random, state, variant).finally(() => state.running--),
      )
      .start();
  }
  // A crashed incarnation never returns: only the last one counts down.
  world
    .addHost(CUT_CLIENT, (env) =>
      runCutClient(
        watchLeases(env, state.leases, () => world.now),
        context,
        state,
        variant,
      ).finally(() => state.running--),
    )
    .start();
}

/** When the cut-off client (x1) was cut off, its work taken over, and it came back and ended (those that happened). */
function machineXTimes(state: Sessions): Record<string, number> {
  const x = state.x;
  const times = Object.entries({
    "x:cut-at": x.cutAt,
    "x:taken-at": x.takenAt,
    "x:unknown-take-over-at": x.unknownTakeOverAt,
    "x:back-at": x.backAt,
    "x:ended-at": x.endedAt,
  }).filter((entry): entry is [string, number] => entry[1] !== undefined);
  return Object.fromEntries(times.map(([name, at]) => [name, Math.round(at)]));
}

function tally(state: Sessions, name: string): void {
  state.counts[name] = (state.counts[name] ?? 0) + 1;
}

/**
 * The live client's Env, with its RPC calls watched: a commit call of a
 * transaction that poked the session, or finished work, is reported (with the
 * server it went to) right after it is sent.
 */
function interceptCommits(env: Env, onCommit: (server: string, commit: CommitKind) => void): Env {
  // dqlite session → what its transaction does; bounded: a transaction ends in a commit or a rollback.
  const kinds = new Map<WireValue | undefined, CommitKind>();
  const call: Env["rpc"]["call"] = (address, port, method, request, options) => {
    const fields =
      typeof request === "object" && request !== null && !Array.isArray(request)
        ? (request as { readonly [key: string]: WireValue | undefined })
        : {};
    const sql = fields.sql;
    if (method === "dqlite.session.exec" && typeof sql === "string") {
      if (sql.startsWith("UPDATE sessions SET session_deadline")) kinds.set(fields.session, "poke");
      if (sql.startsWith("DELETE FROM work_backoff")) kinds.set(fields.session, "finish");
      if (sql.startsWith("INSERT INTO work ") && Array.isArray(fields.params) && fields.params[2] === HOLD_PROCESS)
        kinds.set(fields.session, "take-over");
      if (kinds.size > 64) kinds.clear();
    }
    const result = env.rpc.call(address, port, method, request, options);
    if (method === "dqlite.commit" || method === "dqlite.rollback") {
      const kind = kinds.get(fields.session);
      kinds.delete(fields.session);
      if (kind !== undefined && method === "dqlite.commit") onCommit(address, kind);
    }
    return result;
  };
  return { ...env, rpc: { ...env.rpc, call } };
}

/**
 * A live client committed `commit` on `server`: cut that server while the commit is in flight, if the driver waits for
 * it.
 */
function onCommit(context: ScenarioContext, state: Sessions, server: string, commit: CommitKind): void {
  const armed = state.armed;
  if (armed === undefined || armed.fired || armed.commit !== commit) return;
  armed.fired = true;
  context.world.record(undefined, "bmdb-sessions.commit-cut", { server, commit, kind: armed.kind });
  context.world.scheduler.schedule(CUT_DELAY_MS, () =>
    cut(context, state, server, armed.kind, cutLength(context.random.fork("cut"), armed.kind)),
  );
}

/** How long a failover's cut lasts. */
function cutLength(random: Random, kind: CutKind): number {
  const [min, max] = kind === "pause" ? PAUSE_LENGTH_MS : FAILOVER_LENGTH_MS;
  return random.int(min, max);
}

/** Cuts `host` off for `lengthMs` by `kind`, then brings it back. */
function cut(
  context: ScenarioContext,
  state: Sessions,
  host: string,
  kind: CutKind,
  lengthMs: number,
  onBack?: () => void,
): void {
  const { world } = context;
  const process = world.host(host);
  world.record(undefined, "bmdb-sessions.cut", { host, kind, lengthMs });
  if (kind === "crash") {
    process.crash();
  } else if (kind === "pause") {
    process.pause();
  } else {
    state.isolated.add(host);
    world.network.isolate(host);
  }
  world.scheduler.schedule(lengthMs, () => {
    if (kind === "crash") {
      if (process.state === "down") process.start();
    } else if (kind === "pause") {
      process.resume();
    } else {
      state.isolated.delete(host);
      world.network.heal();
      for (const other of state.isolated) world.network.isolate(other);
    }
    world.record(undefined, "bmdb-sessions.back", { host, kind });
    onBack?.();
  });
}

/**
 * Fails the leader every FAILOVER_GAP_MS, mostly on a live client's commit; cuts x1
 * off once it holds its work, and then (knob takeOverCut) fails the leader on the
 * commit of the first takeover of x-m.
 */
async function driveFailovers(
  context: ScenarioContext,
  cluster: DqliteCluster,
  state: Sessions,
  random: Random,
): Promise<void> {
  const { world } = context;
  const kinds: readonly CutKind[] = ["crash", "isolate", "pause"];
  let xCut = false;
  let takeOverArmed = !context.knob<boolean>("takeOverCut");
  while (world.now < FAILOVERS_END_MS && !state.stopping) {
    const [gapMin, gapMax] = FAILOVER_GAP_INTERVALS;
    await sleepVirtual(
      context,
      random.int(Math.round(gapMin * state.intervalMs), Math.round(gapMax * state.intervalMs)),
    );
    if (!xCut && state.x.hold !== undefined && world.now >= X_CUT_AT_MS) {
      xCut = true;
      const kind = random.pick(kinds);
      Object.assign(state.x, { cutAt: world.now, cutKind: kind });
      const [beyondMin, beyondMax] = X_CUT_BEYOND_INTERVAL_MS;
      cut(
        context,
        state,
        CUT_CLIENT,
        kind,
        state.intervalMs + random.int(beyondMin, beyondMax),
        () => (state.x.backAt = world.now),
      );
    }
    const kind = random.pick(kinds);
    const drawn = random.pick(["poke", "poke", "finish", "now"] as const);
    const takeOver = xCut && !takeOverArmed && state.x.takenAt === undefined;
    takeOverArmed ||= takeOver;
    const target: CommitKind | "now" = takeOver ? "take-over" : drawn;
    if (target === "now") {
      const leader = state.servers.find((host) => cluster.live.get(host)?.node.isReadyLeader());
      if (leader !== undefined) cut(context, state, leader, kind, cutLength(random, kind));
      tally(state, `failover:now:${kind}`);
    } else {
      const armed = { commit: target, kind, fired: false };
      state.armed = armed;
      const until = world.now + (takeOver ? state.intervalMs + TAKE_OVER_ARMED_BEYOND_INTERVAL_MS : ARMED_MS_MAX);
      while (!armed.fired && world.now < until) await sleepVirtual(context, 10);
      state.armed = undefined;
      tally(state, armed.fired ? `failover:${target}:${kind}` : `failover:${target}:missed`);
    }
    // The next failover comes after this one is over: a ready leader again.
    const until = world.now + LEADER_WAIT_MS_MAX;
    await sleepVirtual(context, 50);
    while (world.now < until && !state.servers.some((host) => cluster.live.get(host)?.node.isReadyLeader()))
      await sleepVirtual(context, 20);
  }
}

/**
 * The continuous checks on x1: its work released in time, no transaction of its
 * first session after the takeover. A takeover of unknown outcome may have taken
 * x-m for a session its client then ended: x-m is released once that session's
 * deadline (at most an interval after it ended) passes, so the time runs from there.
 */
function checkCutClient(context: ScenarioContext, state: Sessions): void {
  const x = state.x;
  const now = context.world.now;
  const from = Math.max(x.cutAt ?? 0, x.unknownTakeOverAt ?? 0);
  if (
    x.cutAt !== undefined &&
    x.takenAt === undefined &&
    now > from + state.intervalMs + RELEASE_SLACK_MS &&
    !state.problems.some((problem) => problem.invariant === "bmdb.expired-work-released")
  ) {
    const unknown =
      x.unknownTakeOverAt === undefined
        ? ""
        : ` (a takeover of unknown outcome at ${x.unknownTakeOverAt.toFixed(1)} ms)`;
    state.problems.push({
      invariant: "bmdb.expired-work-released",
      host: CUT_CLIENT,
      details: `x1 was cut off (${x.cutKind ?? "?"}) at ${x.cutAt.toFixed(1)} ms and its work on ${HOLD_MACHINE} was not released by ${now.toFixed(1)} ms${unknown}`,
    });
  }
  if (x.takenAt !== undefined) {
    const late = x.committed.find((startedAt) => startedAt > (x.takenAt as number));
    if (late !== undefined && !state.problems.some((problem) => problem.invariant === "bmdb.expired-session-acted")) {
      state.problems.push({
        invariant: "bmdb.expired-session-acted",
        host: CUT_CLIENT,
        details: `a transaction of x1's first session ${x.session ?? "?"} began at ${late.toFixed(1)} ms and committed, after its work was taken over at ${x.takenAt.toFixed(1)} ms`,
      });
    }
  }
}

async function startSession(env: Env, connection: Connection, state: Sessions): Promise<Session | undefined> {
  while (!state.stopping) {
    const traced = invokeOperation(env, "start-session");
    try {
      const session = await connection.startSession({ processor: env.host, intervalSeconds: state.intervalMs / 1_000 });
      traced.ok({ session: session.id });
      return session;
    } catch (error) {
      if (!(error instanceof ErrTransactionFailed)) throw error;
      bmdbFailed(traced, error);
      tally(state, "session:start-failed");
      await env.clock.sleep(100);
    }
  }
  return undefined;
}

/**
 * A live client: registers machines and cycles work on them; takes x1's machine
 * once x1 is cut off. It ends its session itself only after a takeover of unknown
 * outcome (see takeOver), and then goes on with a new one; so it does after an
 * expiry that the database's unavailability excuses (bmdb-session-expiry.ts).
 */
async function runLiveClient(
  env: Env,
  context: ScenarioContext,
  random: Random,
  state: Sessions,
  variant: BmdbBrokenVariant | undefined,
): Promise<void> {
  const connection = await connectUntilStopped(env, state, `client-${env.host}`, variant);
  const first = connection === undefined ? undefined : await startSession(env, connection, state);
  if (connection === undefined || first === undefined) return;
  let session: Session = first;
  const lost = (what: string) => sessionLost(env, context, state, connection, session, what);
  const pool = `pool-${env.host}`;
  for (let n = 1; !state.stopping; n++) {
    await env.clock.sleep(random.int(...LIVE_PAUSE_MS));
    if (session.expired()) {
      const next = await lost("expired() is true");
      if (next === undefined) return;
      session = next;
      continue;
    }
    const machine = `${env.host}-${n}`;
    let traced = invokeOperation(env, "add-machine", { machine });
    try {
      await session.transact(async (q, now) => {
        await q.machineAdd(machine, now);
        await q.machineTag(machine, pool);
      });
      traced.ok();
      state.acknowledged.push(machine);
      traced = invokeOperation(env, "take-work", { process: CYCLE_PROCESS });
      const work = await session.work(CYCLE_PROCESS, (q, now) =>
        q.machinesEligible({ process: CYCLE_PROCESS, requiredTag: pool, doneTag: "cycled", now, limit: 1 }),
      );
      traced.ok({ machine: work.machineId });
      await sleepAndFinish(env, random, work, "cycled");
      state.cycled.set(env.host, context.world.now);
      if (
        state.x.cutAt !== undefined &&
        state.x.takenAt === undefined &&
        (await takeOver(env, context, random, state, session)) === "session-ended"
      ) {
        const next = await startSession(env, connection, state);
        if (next === undefined) return;
        session = next;
      }
    } catch (error) {
      bmdbFailed(traced, error);
      if (error instanceof ErrSessionExpired) {
        const next = await lost(error.message);
        if (next === undefined) return;
        session = next;
        continue;
      }
      if (
        !(
          error instanceof ErrTransactionFailed ||
          error instanceof ErrNothingToDo ||
          error instanceof ErrWorkConflict ||
          error instanceof ErrWorkAlreadyDone
        )
      )
        throw error;
      tally(state, `live:${error.name}`);
    }
  }
  session.cancel();
  await session.heartbeatDone();
}

/**
 * A live client's session expired: the session to go on with if the database's unavailability excuses it, else a
 * violation and undefined.
 */
async function sessionLost(
  env: Env,
  context: ScenarioContext,
  state: Sessions,
  connection: Connection,
  session: Session,
  what: string,
): Promise<Session | undefined> {
  const now = context.world.now;
  const verdict = judgeExpiry(state.leases, session.id, state.intervalMs, now);
  if (!verdict.excused) {
    state.problems.push({
      invariant: "bmdb.live-session-kept",
      host: env.host,
      details: `${env.host}'s session ${session.id} expired (${what}) at ${now.toFixed(1)} ms although its host was never cut off (${verdict.details})`,
    });
    return undefined;
  }
  tally(state, "live:expired-database-unavailable");
  env.probe("bmdb.scenario.live-session-expired-database-unavailable");
  context.world.record(env.host, "bmdb-sessions.expiry-excused", { session: session.id, details: verdict.details });
  return startSession(env, connection, state);
}

/** Finishes `work` after a short step; if the Finish fails, cancels (which records only what it releases). */
async function sleepAndFinish(env: Env, random: Random, work: Work, doneTag: string): Promise<void> {
  await env.clock.sleep(random.int(20, 100));
  const traced = invokeOperation(env, "finish-work", { machine: work.machineId, process: work.process });
  try {
    await work.finish(async (q) => q.machineTag(work.machineId, doneTag));
    traced.ok();
  } catch (error) {
    bmdbFailed(traced, error);
    if (!(error instanceof ErrTransactionFailed)) throw error;
    const canceling = invokeOperation(env, "cancel-work", { machine: work.machineId, process: work.process });
    canceling.complete((await work.cancel()) ? "ok" : "info");
    throw error;
  }
}

/**
 * Tries to take x1's machine: ErrWorkConflict until x1's session is collected. If
 * the take's outcome is unknown, x-m may now be locked by this session without the
 * client knowing: as BMDB's Session.work asks, the client ends the session (its work
 * is released once its deadline passes) and resolves "session-ended".
 */
async function takeOver(
  env: Env,
  context: ScenarioContext,
  random: Random,
  state: Sessions,
  session: Session,
): Promise<"done" | "session-ended"> {
  const traced = invokeOperation(env, "take-work", { process: HOLD_PROCESS });
  let work: Work;
  try {
    work = await session.work(HOLD_PROCESS, (q, now) =>
      q.machinesEligible({ process: HOLD_PROCESS, requiredTag: "hold", doneTag: "held", now, limit: 1 }),
    );
  } catch (error) {
    bmdbFailed(traced, error);
    if (!(error instanceof ErrTransactionFailed && error.outcomeUnknown)) throw error;
    session.cancel();
    state.x.unknownTakeOverAt = context.world.now;
    tally(state, "x:take-over-unknown");
    return "session-ended";
  }
  traced.ok({ machine: work.machineId });
  state.x.takenAt ??= context.world.now;
  const hold = startHold(context, state.holds, env.host, session.id, `${HOLD_MACHINE}/${HOLD_PROCESS}`);
  tally(state, "x:taken-over");
  try {
    await sleepAndFinish(env, random, work, "held");
    extendHold(context, state.holds, hold);
  } finally {
    endHold(hold);
  }
  return "done";
}

/** x1: holds work on x-m and acts on it while its session lives; then starts a new session. */
async function runCutClient(
  env: Env,
  context: ScenarioContext,
  state: Sessions,
  variant: BmdbBrokenVariant | undefined,
): Promise<void> {
  const connection = await connectUntilStopped(env, state, `client-${env.host}`, variant);
  if (connection === undefined) return;
  // A restarted x1 has lost its first session with its memory: it goes straight to a new one.
  if (state.x.session === undefined) await holdUntilExpired(env, context, connection, state);
  let session: Session | undefined;
  for (let n = 1; !state.stopping; n++) {
    if (session === undefined || session.expired()) {
      session = await startSession(env, connection, state);
      if (session === undefined) return;
    }
    const traced = invokeOperation(env, "add-machine", { machine: `x1-late-${env.host}-${n}` });
    try {
      await session.transact(async (q, now) => q.machineAdd(`x1-late-${env.host}-${n}`, now));
      traced.ok();
      state.x.recoveredAt ??= context.world.now;
    } catch (error) {
      bmdbFailed(traced, error);
      if (!(error instanceof ErrTransactionFailed || error instanceof ErrSessionExpired)) throw error;
      tally(state, `x:late:${error.name}`);
    }
    await env.clock.sleep(X_STEP_MS);
  }
  session?.cancel();
  await session?.heartbeatDone();
}

async function holdUntilExpired(
  env: Env,
  context: ScenarioContext,
  connection: Connection,
  state: Sessions,
): Promise<void> {
  const session = await startSession(env, connection, state);
  if (session === undefined) return;
  state.x.session = session.id;
  let hold: Hold | undefined;
  while (hold === undefined && !state.stopping) {
    let traced = invokeOperation(env, "add-machine", { machine: HOLD_MACHINE });
    try {
      await session.transact(async (q, now) => {
        await q.machineAdd(HOLD_MACHINE, now);
        await q.machineTag(HOLD_MACHINE, "hold");
      });
      traced.ok();
      traced = invokeOperation(env, "take-work", { process: HOLD_PROCESS });
      await session.work(HOLD_PROCESS, (q, now) =>
        q.machinesEligible({ process: HOLD_PROCESS, requiredTag: "hold", doneTag: "held", now, limit: 1 }),
      );
      traced.ok({ machine: HOLD_MACHINE });
      hold = startHold(context, state.holds, env.host, session.id, `${HOLD_MACHINE}/${HOLD_PROCESS}`);
      state.x.hold = hold;
    } catch (error) {
      bmdbFailed(traced, error);
      if (error instanceof ErrSessionExpired) {
        // Lost before the cut (a failover outlasted the lease): the scenario has nothing to cut; start over.
        tally(state, "x:lost-before-hold");
        state.x.session = undefined;
        return;
      }
      if (
        !(error instanceof ErrTransactionFailed || error instanceof ErrNothingToDo || error instanceof ErrWorkConflict)
      )
        throw error;
      tally(state, `x:hold:${error.name}`);
      await env.clock.sleep(X_STEP_MS);
    }
  }
  for (let n = 1; hold !== undefined && !state.stopping; n++) {
    if (session.expired()) {
      state.x.endedAt ??= context.world.now;
      tally(state, "x:lease-ran-out");
      break;
    }
    // With the parameter x1Acts = 0, x1 only writes: the refusal of its transactions is then checked on its own.
    if (context.params.x1Acts !== 0) extendHold(context, state.holds, hold);
    const startedAt = context.world.now;
    const traced = invokeOperation(env, "add-machine", { machine: `x1-${n}` });
    try {
      await session.transact(async (q, now) => q.machineAdd(`x1-${n}`, now));
      traced.ok();
      state.x.committed.push(startedAt);
    } catch (error) {
      bmdbFailed(traced, error);
      if (!(error instanceof ErrTransactionFailed || error instanceof ErrSessionExpired)) throw error;
      if (error instanceof ErrSessionExpired) {
        state.x.endedAt ??= context.world.now;
        tally(state, "x:refused");
        break;
      }
    }
    await env.clock.sleep(X_STEP_MS);
  }
  if (hold !== undefined) endHold(hold);
  session.cancel();
}

/** Every machine a live client registered with an acknowledgement is in the database. */
async function checkAcknowledged(context: ScenarioContext, cluster: DqliteCluster, state: Sessions): Promise<void> {
  const rows = await queryLeader(context, cluster, DATABASE, "SELECT machine_id FROM machines");
  if (rows === undefined) return;
  const present = new Set(rows.map((row) => String(row[0])));
  const missing = state.acknowledged.filter((machine) => !present.has(machine));
  if (missing.length > 0) {
    context.world.violate({
      invariant: "bmdb.acknowledged-writes",
      kind: "safety",
      details: `${missing.length} acknowledged machine registration(s) missing: ${missing.slice(0, 5).join(", ")}`,
    });
  }
}
