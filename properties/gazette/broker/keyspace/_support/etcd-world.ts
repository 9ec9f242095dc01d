/**
 * A simulated world for the broker's key-space tests: a 3-member etcd cluster
 * (the scenarios' kit, scenarios/etcd/cluster.ts, each member supervised) and
 * whatever broker-like client hosts a test adds. Runs until a predicate or a
 * virtual-time bound, and reports what the kit recorded (election, Raft and etcd
 * state machine safety), the world's violations and uncaught process errors.
 */
import { EtcdClient } from "../../../../../src/impl/etcd/index.ts";
import { createSimDisks } from "../../../../../src/sim/disk/system.ts";
import type { Env, ProcessMain } from "../../../../../src/sim/env.ts";
import { standaloneContext, type ScenarioContext } from "../../../../../src/sim/runner.ts";
import { World } from "../../../../../src/sim/world.ts";
import { leaderOf, reportProblems, startEtcdCluster, type EtcdCluster } from "../../../../../scenarios/etcd/cluster.ts";
import { runOnHost, runWorldUntil, worldProblems } from "../../../../_support/world-run.ts";

export const ETCD_SERVERS = ["n1", "n2", "n3"] as const;

export interface EtcdWorld {
  readonly world: World;
  readonly context: ScenarioContext;
  readonly cluster: EtcdCluster;
  /** How many of the kit's problems runWorld reported as violations so far. */
  reported: number;
}

export function createEtcdWorld(seed: number): EtcdWorld {
  const world = new World({ seed, disks: createSimDisks() });
  const context = standaloneContext(world, seed);
  const cluster = startEtcdCluster(context, { servers: ETCD_SERVERS });
  return { world, context, cluster, reported: 0 };
}

/** An etcd client of the cluster (generous timeouts: the cluster may be electing). */
export function etcdClient(env: Env): EtcdClient {
  return new EtcdClient(env, { endpoints: ETCD_SERVERS, operationTimeoutMs: 2_000 });
}

/** Waits until the cluster takes a write (a fresh cluster elects its first leader). */
export async function etcdReady(env: Env, client: EtcdClient): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await client.get("ready");
      return;
    } catch {
      await env.clock.sleep(100);
    }
  }
  throw new Error("etcd never became ready");
}

/** Adds and starts a host (at `atMs` when given). */
export function addHost(world: World, name: string, main: ProcessMain, atMs = 0): void {
  const host = world.addHost(name, main);
  if (atMs === 0) host.start();
  else world.scheduler.schedule(atMs, () => host.start());
}

/** Schedules `action` at virtual time `atMs` (from now). */
export function at(world: World, atMs: number, action: () => void): void {
  world.scheduler.schedule(atMs - world.now, action);
}

/** Crashes the current etcd leader (restarting it `downMs` later); returns its name. */
export function crashEtcdLeader(world: World, cluster: EtcdCluster, downMs: number): string | undefined {
  const leader = leaderOf(cluster);
  const name = [...cluster.live.entries()].find(([, server]) => server === leader)?.[0];
  if (name === undefined) return undefined;
  world.host(name).crash();
  world.scheduler.schedule(downMs, () => world.host(name).start());
  return name;
}

/**
 * Runs the world until `predicate` holds or `untilMs`; returns its problems (the kit's records reported as violations,
 * the world's violations, uncaught errors).
 */
export async function runWorld(etcd: EtcdWorld, untilMs: number, predicate?: () => boolean): Promise<string[]> {
  await runWorldUntil(etcd.world, untilMs, predicate, 20_000_000);
  etcd.reported = reportProblems(etcd.context, etcd.cluster, etcd.reported);
  return worldProblems(etcd.world);
}

/** Runs `body` on a single host of a fresh world (no etcd): for code that needs an Env only. */
export async function onOneHost<T>(seed: number, body: (env: Env) => Promise<T>, untilMs = 60_000): Promise<T> {
  const world = new World({ seed, disks: createSimDisks() });
  const outcome = runOnHost(world, "b1", body);
  await runWorldUntil(world, untilMs, () => outcome.settled);
  if (!outcome.settled) throw new Error(`the host's body did not settle by ${untilMs} ms`);
  if (outcome.error !== undefined) throw outcome.error;
  return outcome.value as T;
}
