/**
 * Invariant: a leader that loses leadership after the FSM applied its transaction's
 * commit frames, but before SQLite's End hook ran, keeps the transaction committed:
 * the write is on every replica, and nothing fails (probe
 * dqlite.leader.leadership-lost-after-apply).
 * Method: three servers on the simulator. The leader's disk holds the first WAL
 * write it makes after proposing a client's commit frames: that write is SQLite
 * writing the frames once their command applied, and the End hook runs only after
 * it. While it is held the leader hands leadership to another server (which
 * campaigns at the next term), and the write is released once the leader stepped
 * down: the moment is built on purpose, whatever the seed's timings.
 * The property can fail: on the leader's "zombie-after-apply" (the code before
 * 7c40459, found by dqlite-multi-database seed 69) the leadership observer marks the
 * applied transaction a zombie and markZombie's assertion fails.
 */
import { describe, expect, it } from "vitest";
import {
  withVariant,
  type DqliteFsmBrokenVariant,
  type DqliteLeaderBrokenVariant,
} from "../../../scenarios/dqlite/variants.ts";
import type { Disk, Env, FileHandle } from "../../../src/sim/env.ts";
import {
  caughtUp,
  divergences,
  eventsNamed,
  fsmViolations,
  runClient,
  runUntil,
  startHandDrivenCluster,
  type HandDrivenCluster,
} from "./_support/hand-driven-cluster.ts";

const DATABASE = "db";
/** The leader's WAL of DATABASE (DqliteNodeOptions.directory's default). */
const WAL_PATH = `/dqlite/${DATABASE}-wal`;
const PROBE = "dqlite.leader.leadership-lost-after-apply";
const ROW = "applied, then leadership lost";
/** Virtual time given to the cluster to converge after the client's write. */
const CONVERGE_MS = 10_000;
const SEEDS = [1, 2, 3];

/** `target` with the members of `overrides` in place of its own (its methods bound to it). */
function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get: (object, key) => {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof T];
      const value: unknown = Reflect.get(object, key, object);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/** `disk`, whose writes to `path` first wait for `beforeWrite`. */
function delayingDisk(disk: Disk, path: string, beforeWrite: () => Promise<void>): Disk {
  const open = async (opened: string, options?: Parameters<Disk["open"]>[1]): Promise<FileHandle> => {
    const handle = await disk.open(opened, options);
    if (opened !== path) return handle;
    const write = async (position: number, data: Uint8Array) => {
      await beforeWrite();
      await handle.write(position, data);
    };
    return overriding(handle, { write });
  };
  return overriding(disk, { open });
}

/** What the moment saw, and what the cluster holds afterwards. */
interface Outcome {
  /** The host whose commit was held, and the state of its transaction when SQLite came to write it. */
  readonly held: { readonly host: string; readonly state: string | undefined } | undefined;
  /** Why the leadership transfer failed, if it did. */
  readonly transferError: string | undefined;
  /** What the client's INSERT ended with. */
  readonly client: string;
  readonly probes: number;
  readonly problems: readonly string[];
}

/** The moment, built on purpose (see the file's comment). */
class Moment {
  /** The next commit proposed is the one held (set once the table exists). */
  armed = false;
  held: Outcome["held"];
  transferError: string | undefined;
  private proposer: string | undefined;

  /** Set once the leadership transfer of the held commit's proposer returned. */
  transferred = false;
  private releaseWrite: (() => void) | undefined;
  private readonly writeReleased: Promise<void> | undefined;

  /** With `holdUntilReleased`, the held write waits after the transfer until `release()`. */
  constructor(
    private readonly cluster: () => HandDrivenCluster,
    holdUntilReleased = false,
  ) {
    if (holdUntilReleased) this.writeReleased = new Promise((resolve) => (this.releaseWrite = resolve));
  }

  release(): void {
    this.releaseWrite?.();
  }

  /** A server's Env: its commit proposals seen, its WAL writes passing through `beforeWalWrite`. */
  env(env: Env): Env {
    const trace: Env["trace"] = (kind, fields) => {
      env.trace(kind, fields);
      if (
        this.armed &&
        kind === "dqlite.leader.propose" &&
        fields?.["isCommit"] === true &&
        fields["filename"] === DATABASE
      ) {
        this.armed = false;
        this.proposer = env.host;
      }
    };
    return { ...env, trace, disk: delayingDisk(env.disk, WAL_PATH, () => this.beforeWalWrite(env.host)) };
  }

  /** The proposer's first WAL write after its commit applied: hand leadership over, then let the write go. */
  private async beforeWalWrite(host: string): Promise<void> {
    if (host !== this.proposer) return;
    this.proposer = undefined;
    const node = this.cluster().live.get(host)?.node;
    this.held = { host, state: node?.registry.txnByFilename(DATABASE)?.state };
    await node?.raft.leadershipTransfer().catch((error: unknown) => {
      this.transferError = String(error);
    });
    this.transferred = true;
    await this.writeReleased;
  }
}

/**
 * Records the promise rejections nobody handled while `run` runs as violations of `cluster`'s world (a server's
 * assertion that failed).
 */
async function recordingUnhandled<T>(cluster: HandDrivenCluster, run: () => Promise<T>): Promise<T> {
  const handler = (reason: unknown) =>
    cluster.world.violate({ invariant: "process.unhandled-rejection", kind: "safety", details: String(reason) });
  process.on("unhandledRejection", handler);
  try {
    return await run();
  } finally {
    process.off("unhandledRejection", handler);
  }
}

async function lossBetweenApplyAndWrite(seed: number, variant?: DqliteLeaderBrokenVariant): Promise<Outcome> {
  const moment = new Moment(() => cluster);
  const cluster = startHandDrivenCluster(seed, withVariant({}, variant), { env: (env) => moment.env(env) });
  return recordingUnhandled(cluster, () => afterTheMoment(cluster, moment));
}

/** Creates the table, writes the row through the moment, and checks every replica once the cluster caught up. */
async function afterTheMoment(cluster: HandDrivenCluster, moment: Moment): Promise<Outcome> {
  await runClient(cluster, (client) => client().exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"));
  await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS);
  moment.armed = true;
  const client = await runClient(cluster, (client) => client().exec("INSERT INTO t (v) VALUES (?)", [ROW])).then(
    () => "ok",
    (error: unknown) => `failed: ${String(error)}`,
  );
  await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS);
  const problems = await divergences(cluster, DATABASE, "SELECT v FROM t", [[ROW]]);
  return {
    held: moment.held,
    transferError: moment.transferError,
    client,
    probes: eventsNamed(cluster, PROBE).length,
    problems,
  };
}

describe("a leader that loses leadership between its commit's apply and SQLite's write of it", () => {
  for (const seed of SEEDS) {
    it(`keeps the transaction committed: the row on every replica, nothing failed (seed ${seed})`, async () => {
      const outcome = await lossBetweenApplyAndWrite(seed);
      expect(outcome.problems).toEqual([]);
      expect(outcome.client).toBe("ok");
      expect(outcome.held?.state, "the commit frames were applied when SQLite came to write them").toBe("written");
      expect(outcome.transferError).toBeUndefined();
      expect(outcome.probes, `${PROBE} reached`).toBeGreaterThan(0);
    });
  }

  it("fails on the leader variant zombie-after-apply (seed 1)", async () => {
    const outcome = await lossBetweenApplyAndWrite(1, "zombie-after-apply");
    expect(outcome.held?.state).toBe("written");
    expect(outcome.probes).toBe(0);
    expect(outcome.problems.join("\n")).toMatch(/markZombie/);
  });
});

/**
 * Invariant: while the old leader's commit is applied but not yet written by SQLite
 * (its End hook not run), the next leader's frames and checkpoint on the same
 * database wait on the old leader (go-dqlite's HookSyncWait) instead of meeting the
 * finished leader transaction: no FSM violation, every row on every replica.
 * Method: the moment above, but the held write is released only after a second
 * client committed a row through the new leader and the old leader had time to
 * apply it. Found by dqlite-multi-database seed 100014 (the leader paused with its
 * commit applied, then applied the next leader's frames before its End hook ran:
 * "unexpected transaction ... (leader, written)"). The property can fail: on the
 * FSM's "no-leader-hook-wait" the old leader applies the new frames at once.
 */
const SECOND_ROW = "the next leader's row";
/** Virtual time the old leader is given to apply the next leader's commit before its held write goes. */
const APPLY_WAIT_MS = 500;

async function nextLeaderWritesMeanwhile(
  seed: number,
  variant?: DqliteFsmBrokenVariant,
): Promise<Outcome & { readonly violations: readonly string[]; readonly waits: number }> {
  const moment = new Moment(() => cluster, true);
  const cluster = startHandDrivenCluster(seed, withVariant({}, variant), { env: (env) => moment.env(env) });
  return recordingUnhandled(cluster, async () => {
    await runClient(cluster, (client) => client().exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"));
    await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS);
    moment.armed = true;
    const client = await runClient(cluster, async (client, env) => {
      const first = client()
        .exec("INSERT INTO t (v) VALUES (?)", [ROW])
        .then(
          () => "ok",
          (error: unknown) => `failed: ${String(error)}`,
        );
      while (!moment.transferred) await env.clock.sleep(1);
      await client().exec("INSERT INTO t (v) VALUES (?)", [SECOND_ROW]);
      await env.clock.sleep(APPLY_WAIT_MS);
      moment.release();
      return first;
    });
    await runUntil(cluster, () => caughtUp(cluster), CONVERGE_MS);
    const problems = await divergences(cluster, DATABASE, "SELECT v FROM t ORDER BY id", [[ROW], [SECOND_ROW]]);
    return {
      held: moment.held,
      transferError: moment.transferError,
      client,
      probes: eventsNamed(cluster, PROBE).length,
      problems,
      violations: fsmViolations(cluster),
      waits: eventsNamed(cluster, "dqlite.fsm.waited-for-leader-end").length,
    };
  });
}

describe("the next leader's commit on the database while the old leader's applied commit is not yet written", () => {
  for (const seed of SEEDS) {
    it(`waits for the old leader's End hook: no FSM violation, both rows on every replica (seed ${seed})`, async () => {
      const outcome = await nextLeaderWritesMeanwhile(seed);
      expect(outcome.violations).toEqual([]);
      expect(outcome.problems).toEqual([]);
      expect(outcome.client).toBe("ok");
      expect(outcome.held?.state).toBe("written");
      expect(outcome.transferError).toBeUndefined();
      expect(outcome.waits, "dqlite.fsm.waited-for-leader-end reached").toBeGreaterThan(0);
    });
  }

  it("fails on the FSM variant no-leader-hook-wait (seed 1)", async () => {
    const outcome = await nextLeaderWritesMeanwhile(1, "no-leader-hook-wait");
    expect(outcome.held?.state).toBe("written");
    expect(outcome.violations.join("\n")).toMatch(/unexpected transaction \d+ on db \(leader, written\)/);
  });
});
