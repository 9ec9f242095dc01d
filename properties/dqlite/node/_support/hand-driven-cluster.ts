/**
 * A hand-driven dqlite cluster for the node tests: the scenarios' kit
 * (scenarios/dqlite/cluster.ts: one supervised server per host of SERVERS, its
 * Raft safety and FSM records) on a World of the test's own, outside the runner,
 * with clients on hosts of their own, and a log of what the servers report as
 * they run (every probe and trace of every incarnation, by host), so a test can
 * assert that the path it is about (a snapshot taken, refused, sent, installed,
 * restored) was really taken. The helpers read each replica's logical databases,
 * check their integrity, and read their rows on the replica itself. A test may
 * also hand each server an Env of its own making (`ClusterHooks.env`: a disk that
 * holds a write).
 */
import { DQLITE_PORT, DqliteClient } from "../../../../src/impl/dqlite/index.ts";
import {
  caughtUp as kitCaughtUp,
  integrityCheck,
  reportProblems,
  rowsOnNode,
  settle,
  startDqliteCluster,
  type ClusterNodeOptions,
  type DqliteCluster,
} from "../../../../scenarios/dqlite/cluster.ts";
import { createSimDisks } from "../../../../src/sim/disk/system.ts";
import type { Env } from "../../../../src/sim/env.ts";
import { standaloneContext, type ScenarioContext } from "../../../../src/sim/runner.ts";
import { World } from "../../../../src/sim/world.ts";
import { runOnHost } from "../../../_support/world-run.ts";

export const SERVERS = ["n1", "n2", "n3"] as const;
/** Virtual time a `runUntil` step lets pass before the condition is checked again. */
const POLL_STEP_MS = 50;

/** The options a test chooses for every server (the rest are the kit's). */
export type ServerOptions = ClusterNodeOptions;

/** One probe or trace a server reported. */
export interface ServerEvent {
  readonly time: number;
  readonly host: string;
  /** The host's process incarnation (1 for the first start). */
  readonly incarnation: number;
  readonly kind: "probe" | "trace";
  readonly name: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The kit's cluster, its World, and every probe and trace of every server, in order. */
export interface HandDrivenCluster extends DqliteCluster {
  readonly world: World;
  readonly context: ScenarioContext;
  readonly events: ServerEvent[];
  /** How many of the kit's problems were reported to the world so far (reportProblems). */
  reported: number;
}

/** What a test changes in the servers' surroundings. */
export interface ClusterHooks {
  /** The Env a server runs with, made from the one the kit gives it (whose probes and traces are logged). */
  readonly env?: (env: Env) => Env;
}

/** A World with one dqlite server per host of SERVERS, all started; `options` may differ per host. */
export function startHandDrivenCluster(
  seed: number,
  options: ServerOptions | ((host: string) => ServerOptions),
  hooks: ClusterHooks = {},
): HandDrivenCluster {
  const world = new World({ seed, disks: createSimDisks() });
  const events: ServerEvent[] = [];
  const envOf = hooks.env ?? ((env: Env) => env);
  const context = standaloneContext(world, seed);
  const kit = startDqliteCluster(context, {
    servers: SERVERS,
    nodeFor: typeof options === "function" ? options : () => options,
    env: (env) => envOf(observed(world, events, env)),
  });
  return Object.assign(kit, { world, context, events, reported: 0 });
}

/** `env` with its probes and traces also logged in `events`. */
function observed(world: World, events: ServerEvent[], env: Env): Env {
  const note = (kind: ServerEvent["kind"], name: string, fields: Readonly<Record<string, unknown>>) =>
    events.push({ time: world.now, host: env.host, incarnation: env.lifetime.incarnation, kind, name, fields });
  return {
    ...env,
    probe: (point) => {
      note("probe", point, {});
      env.probe(point);
    },
    trace: (kind, fields) => {
      note("trace", kind, fields ?? {});
      env.trace(kind, fields);
    },
  };
}

/** The events named `name`, of `host` if given (and of its incarnation `incarnation` if given). */
export function eventsNamed(
  cluster: HandDrivenCluster,
  name: string,
  host?: string,
  incarnation?: number,
): ServerEvent[] {
  return cluster.events.filter(
    (event) =>
      event.name === name &&
      (host === undefined || event.host === host) &&
      (incarnation === undefined || event.incarnation === incarnation),
  );
}

/** Runs the world until `condition` holds or `maxMs` of virtual time passed; true if it holds. */
export async function runUntil(cluster: HandDrivenCluster, condition: () => boolean, maxMs: number): Promise<boolean> {
  const deadline = cluster.world.now + maxMs;
  while (!condition() && cluster.world.now < deadline)
    await cluster.world.scheduler.run({ untilTime: cluster.world.now + POLL_STEP_MS });
  return condition();
}

/** Makes a client of the cluster whose calls go to `database` (default "db"). */
export type ClientMaker = (database?: string) => DqliteClient;

/** Runs `body` on a host of its own, with a maker of clients; rethrows what it threw. */
export async function runClient<T>(
  cluster: HandDrivenCluster,
  body: (client: ClientMaker, env: Env) => Promise<T>,
  maxMs = 60_000,
): Promise<T> {
  const outcome = runOnHost(cluster.world, `client-${cluster.world.hosts.length}`, (env) => {
    const client: ClientMaker = (database = "db") =>
      new DqliteClient(env, {
        servers: SERVERS,
        database,
        operationTimeoutMs: 5_000,
        callDeadlineMs: 1_000,
        attemptsMax: 50,
      });
    return body(client, env);
  });
  if (!(await runUntil(cluster, () => outcome.settled, maxMs)))
    throw new Error(`the client did not finish within ${maxMs} ms`);
  if (outcome.error !== undefined) throw outcome.error;
  return outcome.value as T;
}

/**
 * A transaction opened by hand: its session, and a way to leave its begin stream (the server then rolls it back if it
 * still lives).
 */
export interface OpenTransaction {
  readonly session: string;
  leave(): void;
}

/**
 * Opens an interactive transaction on `server` as a client does (the begin stream of server.ts), within `deadlineMs`
 * for its whole life.
 */
export async function beginOn(
  env: Env,
  server: string,
  database: string,
  deadlineMs: number,
): Promise<OpenTransaction> {
  const stream = env.rpc
    .serverStream(server, DQLITE_PORT, "dqlite.begin", { db: database }, { deadlineMs })
    [Symbol.asyncIterator]();
  const first = await stream.next();
  if (first.done === true) throw new Error(`dqlite.begin at ${server} ended without a session`);
  return { session: (first.value as { session: string }).session, leave: () => void stream.return?.() };
}

/** The ready leader, if one. */
export function readyLeader(cluster: HandDrivenCluster): string | undefined {
  return SERVERS.find((host) => cluster.live.get(host)?.node.isReadyLeader() === true);
}

/** True when every server runs, one is a ready leader, and all applied the leader's commit index (the kit's check). */
export function caughtUp(cluster: HandDrivenCluster): boolean {
  return kitCaughtUp(cluster);
}

/** What one replica holds of one database. */
export interface ReplicaDatabase {
  /** The logical database (the file with its committed WAL frames applied), hex; "" when the replica lacks it. */
  readonly image: string;
  /** PRAGMA integrity_check (or the error it failed with). */
  readonly integrity: readonly string[];
  /** The rows of the test's query, read on the replica itself (or the error it failed with, as one row). */
  readonly rows: unknown[][];
}

/** Reads `database` on every live server: its image, its integrity check, and the rows of `sql` (read locally). */
export async function replicas(
  cluster: HandDrivenCluster,
  database: string,
  sql: string,
): Promise<Map<string, ReplicaDatabase>> {
  const result = new Map<string, ReplicaDatabase>();
  for (const host of SERVERS) {
    const node = cluster.live.get(host)?.node;
    const files = node?.store.get(database);
    if (node === undefined || files === undefined) {
      result.set(host, { image: "", integrity: [], rows: [] });
      continue;
    }
    const image = Buffer.from(await settle(cluster.world, files.image())).toString("hex");
    const integrity = await settle(
      cluster.world,
      integrityCheck(node, database).catch((error: unknown) => [`error: ${String(error)}`]),
    );
    const rows = await settle(
      cluster.world,
      rowsOnNode(node, database, sql).catch((error: unknown) => [[`error: ${String(error)}`]]),
    );
    result.set(host, { image, integrity, rows });
  }
  return result;
}

/**
 * What is wrong with `database` across the cluster, as text (empty when all is
 * well): a server not running or without the database, a logical database that
 * differs from the one most servers hold, an integrity_check other than ok, rows of `sql`
 * (read on each replica itself) other than `expected`, a problem the kit recorded
 * (an FSM invariant violation, a Raft safety one), a violation the world recorded
 * (a server's main threw).
 */
export async function divergences(
  cluster: HandDrivenCluster,
  database: string,
  sql: string,
  expected: readonly (readonly unknown[])[],
): Promise<string[]> {
  const problems: string[] = [];
  const found = await replicas(cluster, database, sql);
  const [referenceHost, reference] = majority(found);
  for (const [host, replica] of found) {
    if (replica.image === "") {
      problems.push(`${host}: not running or without database ${database}`);
      continue;
    }
    if (replica.image !== reference.image)
      problems.push(
        `${host}: ${database} differs from ${referenceHost}'s from byte ${Math.floor(firstDifference(replica.image, reference.image) / 2)}`,
      );
    if (replica.integrity.join(",") !== "ok")
      problems.push(`${host}: ${database} integrity_check: ${replica.integrity.slice(0, 3).join("; ")}`);
    if (JSON.stringify(replica.rows) !== JSON.stringify(expected))
      problems.push(`${host}: ${database} rows ${JSON.stringify(replica.rows).slice(0, 300)}`);
  }
  // The kit's records (election and Raft safety, FSM invariants of every incarnation) become the world's violations.
  cluster.reported = reportProblems(cluster.context, cluster, cluster.reported);
  const world = cluster.world.violations.map(
    (violation) => `${violation.host ?? "world"}: ${violation.invariant}: ${violation.details}`,
  );
  return [...problems, ...world];
}

/** The first replica whose image most replicas share. */
function majority(found: ReadonlyMap<string, ReplicaDatabase>): [string, ReplicaDatabase] {
  const entries = [...found];
  const shared = (image: string) => entries.filter(([, replica]) => replica.image === image).length;
  let best = entries[0] as [string, ReplicaDatabase];
  for (const entry of entries) if (shared(entry[1].image) > shared(best[1].image)) best = entry;
  return best;
}

function firstDifference(left: string, right: string): number {
  let index = 0;
  while (index < left.length && index < right.length && left[index] === right[index]) index++;
  return index;
}

/** The FSM invariant violations of every live server, as text. */
export function fsmViolations(cluster: HandDrivenCluster): string[] {
  return SERVERS.flatMap((host) =>
    (cluster.live.get(host)?.node.fsm.violations ?? []).map(
      (violation) => `${host}: ${violation.command} at ${violation.index}: ${violation.message}`,
    ),
  );
}
