/**
 * dqlite-bank: money moves between accounts in interactive transactions on a
 * Raft-replicated SQLite, and none is ever created or lost.
 *
 * Goal: show that dqlite's transactions are atomic and its reads linearizable
 * under the swarm's faults, that the replicas end byte-identical, and that a
 * broken leader (a variant) is caught.
 * Method: three dqlite servers (n1..n3, restarted after a failed start) and three
 * client hosts (c1..c3), whose operations are traced (scenarios/harness/client-operations.ts).
 * c1 first creates `accounts` with ACCOUNTS accounts of INITIAL_BALANCE each
 * (INSERT OR IGNORE, retried; an unknown outcome is checked by a query first).
 * Then every client loops: a transfer (an interactive transaction that reads both
 * balances and updates both if the source has enough) or a read of
 * `sum(balance), count(*)`. The swarm's plan partitions, isolates, clogs, pauses,
 * skews clocks, degrades links, crashes servers and injects disk faults on a
 * minority. Once an operation succeeds after the heal, the clients stop.
 * Invariants:
 * - raft.election-safety, dqlite.fsm-invariant (continuous: dqlite-cluster.ts);
 * - dqlite-bank.total-conserved (continuous): every read sees the total
 *   ACCOUNTS * INITIAL_BALANCE over ACCOUNTS rows;
 * - dqlite-bank.replicas-identical (final): every replica's logical database is
 *   byte-identical;
 * - dqlite-bank.integrity (final): PRAGMA integrity_check is ok on every replica;
 * - progress: an operation succeeds after the heal and every replica applied the
 *   leader's commit index.
 */
import { DqliteClient, DqliteError, ErrOutcomeUnknown, type ExecReply } from "../../src/impl/dqlite/index.ts";
import type { Env } from "../../src/sim/env.ts";
import type { Random } from "../../src/sim/random.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { invokeOperation } from "../harness/client-operations.ts";
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

const SERVERS = ["n1", "n2", "n3"] as const;
const CLIENTS = ["c1", "c2", "c3"] as const;
const ACCOUNTS = 5;
const INITIAL_BALANCE = 100;
const TOTAL = ACCOUNTS * INITIAL_BALANCE;
const DATABASE = "db";
const AMOUNT_MAX = 30;
const THINK_MS_MAX = 20;
const RETRY_MS = 50;
/** How long the final phase waits for the clients to stop and the replicas to catch up. */
const QUIESCE_MS_MAX = 5_000;

export const dqliteBank: Scenario = {
  name: "dqlite-bank",
  description:
    "3 dqlite servers, 3 clients moving money between 5 accounts in transactions under the swarm's faults; the total never changes and the replicas end identical",
  safetyMs: 2_000,
  livenessMs: 6_000,
  swarm: { hosts: SERVERS },
  ...DQLITE_SCENARIO_BASE,
  knobs: DQLITE_KNOBS,
  rareStates: DQLITE_SWARM_RARE_STATES,
  setup,
};

/** What the clients share and count. */
interface Bank {
  ready: boolean;
  running: number;
  lastOkAt: number | undefined;
  readonly counts: Record<string, number>;
  readonly problems: string[];
}

function setup(context: ScenarioContext): ScenarioHooks {
  const cluster = startDqliteCluster(context, {
    servers: SERVERS,
    tuning: dqliteTuningOf(context.knob),
    variant: context.variant,
  });
  const bank: Bank = { ready: false, running: CLIENTS.length, lastOkAt: undefined, counts: {}, problems: [] };
  const healedAndAcknowledged = () => {
    const since = context.livenessStartedAt();
    return since !== undefined && bank.lastOkAt !== undefined && bank.lastOkAt >= since;
  };
  for (const host of CLIENTS) {
    const random = context.random.fork(`client/${host}`);
    context.world
      .addHost(host, async (env) => {
        try {
          await runClient(env, random, bank, host === CLIENTS[0], healedAndAcknowledged);
        } finally {
          bank.running--;
        }
      })
      .start();
  }
  let reported = 0;
  let bankReported = 0;
  const report = () => {
    reported = reportProblems(context, cluster, reported);
    for (; bankReported < bank.problems.length; bankReported++) {
      context.world.violate({
        invariant: "dqlite-bank.total-conserved",
        kind: "safety",
        details: bank.problems[bankReported] as string,
      });
    }
  };
  return {
    check: report,
    progress: () => healedAndAcknowledged() && caughtUp(cluster),
    finish: () => finish(context, cluster, bank, report),
    summary: () => ({ ...bank.counts, terms: cluster.leadersByTerm.size, ...cluster.failures }),
  };
}

function tally(bank: Bank, name: string): void {
  bank.counts[name] = (bank.counts[name] ?? 0) + 1;
}

/** One client's loop: c1 creates the accounts first; then transfers and reads until `stop`. */
async function runClient(env: Env, random: Random, bank: Bank, creator: boolean, stop: () => boolean): Promise<void> {
  const client = new DqliteClient(env, {
    servers: SERVERS,
    database: DATABASE,
    operationTimeoutMs: 1_500,
    callDeadlineMs: 400,
    attemptsMax: 20,
  });
  if (creator) {
    await createAccounts(env, client, bank);
    bank.ready = true;
  }
  while (!bank.ready) await env.clock.sleep(RETRY_MS);
  while (!stop()) {
    const operation = random.bool(0.7) ? "transfer" : "read";
    try {
      if (operation === "transfer") await transfer(env, client, random);
      else await readTotal(env, client, bank);
      bank.lastOkAt = env.clock.now();
      tally(bank, `${operation}:ok`);
    } catch (error) {
      if (!(error instanceof DqliteError)) throw error;
      tally(bank, `${operation}:${error.outcomeUnknown ? "unknown" : "failed"}`);
    }
    await env.clock.sleep(random.int(0, THINK_MS_MAX));
  }
}

/** Creates the table and the accounts; retries until they exist (a retry never duplicates a row). */
async function createAccounts(env: Env, client: DqliteClient, bank: Bank): Promise<void> {
  const values = Array.from({ length: ACCOUNTS }, (_, i) => `(${i + 1}, ${INITIAL_BALANCE})`).join(", ");
  for (;;) {
    const traced = invokeOperation(env, "create-accounts", { accounts: ACCOUNTS, balance: INITIAL_BALANCE });
    try {
      await client.exec("CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)");
      await client.exec(`INSERT OR IGNORE INTO accounts (id, balance) VALUES ${values}`);
      traced.ok();
      return;
    } catch (error) {
      if (!(error instanceof DqliteError)) throw error;
      traced.failedWith(error, error.outcomeUnknown);
      tally(bank, `create:${error.name}`);
      if (error instanceof ErrOutcomeUnknown && (await accountsExist(client))) return;
    }
    await env.clock.sleep(RETRY_MS);
  }
}

async function accountsExist(client: DqliteClient): Promise<boolean> {
  try {
    const reply = await client.query("SELECT count(*) FROM accounts");
    return reply.rows[0]?.[0] === ACCOUNTS;
  } catch (error) {
    if (error instanceof DqliteError) return false;
    throw error;
  }
}

/** Moves a random amount between two random accounts if the source holds enough. */
async function transfer(env: Env, client: DqliteClient, random: Random): Promise<void> {
  const from = random.int(1, ACCOUNTS);
  const to = ((from + random.int(0, ACCOUNTS - 2)) % ACCOUNTS) + 1;
  const amount = random.int(1, AMOUNT_MAX);
  const traced = invokeOperation(env, "transfer", { from, to, amount });
  let moved = false;
  try {
    await client.transaction(async (tx) => {
      const reply = await tx.query("SELECT id, balance FROM accounts WHERE id IN (?, ?)", [from, to]);
      const balance = new Map(reply.rows.map((row) => [row[0], row[1]]));
      const source = balance.get(from);
      if (typeof source !== "number" || source < amount) return;
      await tx.exec("UPDATE accounts SET balance = balance - ? WHERE id = ?", [amount, from]);
      await tx.exec("UPDATE accounts SET balance = balance + ? WHERE id = ?", [amount, to]);
      moved = true;
    });
  } catch (error) {
    traced.failedWith(error, error instanceof DqliteError && error.outcomeUnknown);
    throw error;
  }
  traced.ok({ moved });
}

/** Reads the total and the number of accounts, and checks them (the operation the total-conserved check judges). */
async function readTotal(env: Env, client: DqliteClient, bank: Bank): Promise<void> {
  const traced = invokeOperation(env, "read-total");
  try {
    const reply = await client.query("SELECT sum(balance), count(*) FROM accounts");
    traced.ok({ total: reply.rows[0]?.[0], accounts: reply.rows[0]?.[1] });
    checkTotal(bank, env.host, reply);
  } catch (error) {
    // A read has no effect: whatever the error, it certainly did nothing.
    traced.failedWith(error, false);
    throw error;
  }
}

function checkTotal(bank: Bank, host: string, reply: ExecReply): void {
  const [sum, rows] = reply.rows[0] ?? [];
  if (sum !== TOTAL || rows !== ACCOUNTS)
    bank.problems.push(
      `${host} read total ${String(sum)} over ${String(rows)} accounts, expected ${TOTAL} over ${ACCOUNTS}`,
    );
}

/** Lets the clients stop and the replicas catch up, then compares the replicas and checks each one's integrity. */
async function finish(context: ScenarioContext, cluster: DqliteCluster, bank: Bank, report: () => void): Promise<void> {
  await quiesce(context, cluster, () => bank.running > 0, QUIESCE_MS_MAX);
  report();
  if (context.world.violations.length > 0) return;
  await checkReplicas(context, cluster, [DATABASE], "dqlite-bank");
}
