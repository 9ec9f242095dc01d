/**
 * dqlite-register: compare-and-set registers, one SQL row each, on a
 * Raft-replicated SQLite stay linearizable under the swarm's faults.
 *
 * Goal: show that dqlite's autocommit writes and its queries are linearizable
 * (an acknowledged write is never lost, a read never returns a stale or unwritten
 * value, a failed write really did not happen), that the replicas end
 * byte-identical, and that a broken leader (a variant) is caught.
 * Method: three dqlite servers (n1..n3, restarted after a failed start) and three
 * client hosts (c1..c3). c1 first creates `registers (key TEXT PRIMARY KEY, value
 * INTEGER)` with one row of value INITIAL_VALUE per key (INSERT OR IGNORE,
 * retried; an unknown outcome is checked by a query first). Then every client
 * loops over random operations on a random key, recorded in one Jepsen-style
 * history at true virtual time (and traced: scenarios/harness/client-operations.ts):
 * - read: `SELECT value ...` through `query` (the leader confirms its leadership
 *   with a quorum first);
 * - write: `UPDATE ... SET value = ?` of a value no other operation writes;
 * - cas: `UPDATE ... SET value = ? WHERE key = ? AND value = ?` expecting the value
 *   this client last saw; ok when it changed the row, fail when it matched none.
 * An ErrOutcomeUnknown is "info" (the client then continues as a new process, as
 * Jepsen's do); any other DqliteError is "fail" (the client library guarantees
 * nothing committed); a failed read is "fail" whatever the error (a read has no
 * effect). The swarm's plan partitions, isolates, clogs, pauses, skews clocks,
 * degrades links, crashes servers and injects disk faults on a minority. Once a
 * write is acknowledged after the heal, the clients stop.
 * Invariants:
 * - raft.election-safety, dqlite.fsm-invariant (continuous: dqlite-cluster.ts);
 * - dqlite-register.linearizable (final): the history is linearizable per key
 *   against a cas register starting at INITIAL_VALUE (a search that runs out is
 *   dqlite-register.linearizability-unknown, of kind liveness);
 * - dqlite-register.replicas-identical (final): every replica's logical database
 *   is byte-identical;
 * - dqlite-register.integrity (final): PRAGMA integrity_check is ok on every replica;
 * - progress: a write is acknowledged after the heal and every replica applied the
 *   leader's commit index.
 * Broken variants: every server variant of dqlite-cluster.ts, and the client's
 * "unknown-outcome-as-failed" (CLIENT_BROKEN_VARIANTS), which only the history
 * check can catch.
 */
import { DqliteClient, DqliteError, ErrOutcomeUnknown, type ExecReply } from "../../src/impl/dqlite/index.ts";
import {
  keyedCasRegisterModel,
  type Model,
  type RegisterInput,
  type RegisterState,
} from "../../src/sim/check/index.ts";
import type { Env } from "../../src/sim/env.ts";
import type { Random } from "../../src/sim/random.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { TracedHistory } from "../harness/client-operations.ts";
import {
  caughtUp,
  checkReplicas,
  DQLITE_KNOBS,
  DQLITE_SCENARIO_BASE,
  dqliteTuningOf,
  quiesce,
  reportProblems,
  startDqliteCluster,
  type DqliteCluster,
} from "./cluster.ts";
import { DQLITE_SWARM_RARE_STATES } from "./rare-states.ts";
import { checkHistoryLinearizable } from "../harness/history-check.ts";

const SERVERS = ["n1", "n2", "n3"] as const;
const CLIENTS = ["c1", "c2", "c3"] as const;
const KEYS = ["x", "y", "z"] as const;
const INITIAL_VALUE = 0;
const DATABASE = "db";
const THINK_MS_MAX = 20;
const RETRY_MS = 50;
/** Unique written values: client i writes (i + 1) * VALUES_PER_CLIENT + its counter. */
const VALUES_PER_CLIENT = 1_000_000;
/** How long the final phase waits for the clients to stop and the replicas to catch up. */
const QUIESCE_MS_MAX = 5_000;
/** Search steps of the final check at most (an "unknown" verdict is reported as liveness). */
const LINEARIZABILITY_STEPS_MAX = 4_000_000;

/**
 * Deliberately broken clients (test fixtures of this scenario, beside the servers'
 * variants): they show that the history check catches a write whose outcome is
 * misreported.
 */
export const CLIENT_BROKEN_VARIANTS = {
  "unknown-outcome-as-failed":
    "the client records a write that ended in ErrOutcomeUnknown as failed (certainly not done), the mistake of treating go-dqlite's ErrLeadershipLost as a rollback: a write that still committed is then read by others",
} as const;

export const dqliteRegister: Scenario = {
  name: "dqlite-register",
  description:
    "3 dqlite servers, 3 clients doing read/write/cas on 3 register rows under the swarm's faults; the history must be linearizable and the replicas end identical",
  safetyMs: 2_000,
  livenessMs: 6_000,
  swarm: { hosts: SERVERS },
  ...DQLITE_SCENARIO_BASE,
  knobs: DQLITE_KNOBS,
  variants: { ...DQLITE_SCENARIO_BASE.variants, ...CLIENT_BROKEN_VARIANTS },
  rareStates: DQLITE_SWARM_RARE_STATES,
  setup,
};

/** A read, a write of a value, or a cas of `[expected, next]`, each on one row. */
type RegisterRowInput =
  | { readonly f: "read"; readonly key: string; readonly value: null }
  | { readonly f: "write"; readonly key: string; readonly value: number }
  | { readonly f: "cas"; readonly key: string; readonly value: readonly [expected: number, next: number] };

/** A read's value (null: the row was missing), null for a write, true for a cas that swapped. */
type RegisterRowOutput = number | null | boolean;

function registerInput(input: RegisterRowInput): RegisterInput {
  return input as RegisterInput;
}

/** One cas register per key, each starting at INITIAL_VALUE (the row c1 inserts); histories are checked per key. */
const registerRowsModel: Model<RegisterState, RegisterRowInput, RegisterRowOutput> = keyedCasRegisterModel({
  name: "dqlite-register",
  init: () => INITIAL_VALUE,
  registerInput,
});

/** What the clients share and record. */
interface Registers {
  ready: boolean;
  running: number;
  /** True virtual time of the last acknowledged write or swapping cas. */
  lastWriteOkAt: number | undefined;
  /** The "unknown-outcome-as-failed" variant. */
  readonly unknownAsFailed: boolean;
  readonly recorder: TracedHistory<RegisterRowInput, RegisterRowOutput>;
  readonly counts: Record<string, number>;
}

function setup(context: ScenarioContext): ScenarioHooks {
  const clientVariant = context.variant !== undefined && context.variant in CLIENT_BROKEN_VARIANTS;
  const serverVariant = clientVariant ? undefined : context.variant;
  const cluster = startDqliteCluster(context, {
    servers: SERVERS,
    tuning: dqliteTuningOf(context.knob),
    variant: serverVariant,
  });
  const registers: Registers = {
    ready: false,
    running: CLIENTS.length,
    lastWriteOkAt: undefined,
    unknownAsFailed: clientVariant,
    recorder: new TracedHistory(),
    counts: {},
  };
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && registers.lastWriteOkAt !== undefined && registers.lastWriteOkAt >= since;
  };
  CLIENTS.forEach((host, index) => {
    const random = context.random.fork(`client/${host}`);
    context.world
      .addHost(host, async (env) => {
        try {
          await runClient(env, context, registers, { random, index, stop: healedAndAcknowledged });
        } finally {
          registers.running--;
        }
      })
      .start();
  });
  let reported = 0;
  const report = () => {
    reported = reportProblems(context, cluster, reported);
  };
  return {
    check: report,
    progress: () => healedAndAcknowledged() && caughtUp(cluster),
    finish: () => finish(context, cluster, registers, report),
    summary: () => ({
      ...registers.counts,
      historyEvents: registers.recorder.history().length,
      terms: cluster.leadersByTerm.size,
      ...cluster.failures,
    }),
  };
}

function tally(registers: Registers, name: string): void {
  registers.counts[name] = (registers.counts[name] ?? 0) + 1;
}

interface ClientOptions {
  readonly random: Random;
  /** The client's position in CLIENTS (c1, the creator, is 0). */
  readonly index: number;
  readonly stop: () => boolean;
}

/** One client's loop: c1 creates the rows first; then random operations until `stop`, each recorded in the history. */
async function runClient(
  env: Env,
  context: ScenarioContext,
  registers: Registers,
  options: ClientOptions,
): Promise<void> {
  const { random } = options;
  const client = new DqliteClient(env, {
    servers: SERVERS,
    database: DATABASE,
    operationTimeoutMs: 1_500,
    callDeadlineMs: 400,
    attemptsMax: 20,
  });
  if (options.index === 0) {
    await createRegisters(env, client, registers);
    registers.ready = true;
  }
  while (!registers.ready) await env.clock.sleep(RETRY_MS);
  const lastSeen = new Map<string, number>();
  let generation = 0;
  let written = 0;
  while (!options.stop()) {
    const key = random.pick(KEYS);
    const fresh = (options.index + 1) * VALUES_PER_CLIENT + ++written;
    const input = chooseInput(random.next(), key, lastSeen.get(key) ?? INITIAL_VALUE, fresh);
    const handle = registers.recorder.invoke(env, `${env.host}/${generation}`, input, context.world.now);
    const outcome = await runInput(client, input, registers.unknownAsFailed);
    const now = context.world.now;
    tally(registers, `${input.f}:${outcome.type === "ok" ? "ok" : outcome.type === "info" ? "unknown" : outcome.type}`);
    if (outcome.type === "ok") {
      registers.recorder.ok(handle, outcome.output, now);
      if (input.f !== "read") registers.lastWriteOkAt = now;
      const seen = input.f === "read" ? outcome.output : input.f === "write" ? input.value : input.value[1];
      if (typeof seen === "number") lastSeen.set(key, seen);
    } else if (outcome.type === "info") {
      registers.recorder.info(handle, now, outcome.reason);
      generation++;
    } else {
      registers.recorder.fail(handle, now, outcome.reason);
    }
    await env.clock.sleep(random.int(0, THINK_MS_MAX));
  }
}

function chooseInput(draw: number, key: string, seen: number, fresh: number): RegisterRowInput {
  if (draw < 0.4) return { f: "read", key, value: null };
  if (draw < 0.7) return { f: "write", key, value: fresh };
  return { f: "cas", key, value: [seen, fresh] };
}

type RowOutcome =
  | { readonly type: "ok"; readonly output: RegisterRowOutput }
  /** Certainly no effect: refused, matched no row, or a read that failed. */
  | { readonly type: "fail" | "no-match"; readonly reason: string }
  | { readonly type: "info"; readonly reason: string };

/** Runs one operation and classifies its outcome (see the file's comment). */
async function runInput(client: DqliteClient, input: RegisterRowInput, unknownAsFailed: boolean): Promise<RowOutcome> {
  try {
    switch (input.f) {
      case "read": {
        const reply = await client.query("SELECT value FROM registers WHERE key = ?", [input.key]);
        const value = reply.rows[0]?.[0];
        return { type: "ok", output: typeof value === "number" ? value : null };
      }
      case "write":
        return changed(
          await client.exec("UPDATE registers SET value = ? WHERE key = ?", [input.value, input.key]),
          null,
        );
      case "cas":
        return changed(
          await client.exec("UPDATE registers SET value = ? WHERE key = ? AND value = ?", [
            input.value[1],
            input.key,
            input.value[0],
          ]),
          true,
        );
    }
  } catch (error) {
    if (!(error instanceof DqliteError)) throw error;
    if (error.outcomeUnknown && input.f !== "read" && !unknownAsFailed)
      return { type: "info", reason: `${error.name}: ${error.message}` };
    return { type: "fail", reason: `${error.name}: ${error.message}` };
  }
}

/** An UPDATE that changed its row is ok; one that matched no row had no effect. */
function changed(reply: ExecReply, output: RegisterRowOutput): RowOutcome {
  if (reply.changes === 1) return { type: "ok", output };
  return { type: "no-match", reason: `the update changed ${reply.changes} rows` };
}

/** Creates the table and its rows; retries until they exist (a retry never overwrites a row). */
async function createRegisters(env: Env, client: DqliteClient, registers: Registers): Promise<void> {
  const rows = KEYS.map((key) => `('${key}', ${INITIAL_VALUE})`).join(", ");
  for (;;) {
    try {
      await client.exec("CREATE TABLE IF NOT EXISTS registers (key TEXT PRIMARY KEY, value INTEGER)");
      await client.exec(`INSERT OR IGNORE INTO registers (key, value) VALUES ${rows}`);
      return;
    } catch (error) {
      if (!(error instanceof DqliteError)) throw error;
      tally(registers, `create:${error.name}`);
      if (error instanceof ErrOutcomeUnknown && (await registersExist(client))) return;
    }
    await env.clock.sleep(RETRY_MS);
  }
}

async function registersExist(client: DqliteClient): Promise<boolean> {
  try {
    const reply = await client.query("SELECT count(*) FROM registers");
    return reply.rows[0]?.[0] === KEYS.length;
  } catch (error) {
    if (error instanceof DqliteError) return false;
    throw error;
  }
}

/** Lets the clients stop and the replicas catch up, checks the history, then compares the replicas. */
async function finish(
  context: ScenarioContext,
  cluster: DqliteCluster,
  registers: Registers,
  report: () => void,
): Promise<void> {
  await quiesce(context, cluster, () => registers.running > 0, QUIESCE_MS_MAX);
  report();
  if (context.world.violations.length > 0) return;
  checkHistory(context, registers);
  if (context.world.violations.length > 0) return;
  await checkReplicas(context, cluster, [DATABASE], "dqlite-register");
}

/**
 * Checks the history; reports "dqlite-register.linearizable" (safety) or, when the search ran out,
 * "dqlite-register.linearizability-unknown" (liveness).
 */
function checkHistory(context: ScenarioContext, registers: Registers): void {
  checkHistoryLinearizable(context, registers.recorder.history(), {
    system: "dqlite-register",
    model: registerRowsModel,
    stepsMax: LINEARIZABILITY_STEPS_MAX,
  });
}
