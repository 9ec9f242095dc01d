/**
 * A simulated world for the broker's key-space tests: a 3-member etcd cluster
 * (scenarios/etcd/cluster.ts, each member supervised) and whatever broker-like
 * client hosts a test adds. Runs until a predicate or a virtual-time bound, and
 * reports the world's violations and uncaught process errors.
 */
import { EtcdClient } from "../../../../../src/impl/etcd/index.ts";
import { createSimDisks } from "../../../../../src/sim/disk/system.ts";
import type { Env, ProcessMain } from "../../../../../src/sim/env.ts";
import { standaloneContext } from "../../../../../src/sim/runner.ts";
import { World } from "../../../../../src/sim/world.ts";
import { leaderOf, startEtcdCluster, type EtcdCluster } from "../../../../../scenarios/etcd/cluster.ts";

export const ETCD_SERVERS = ["n1", "n2", "n3"] as const;

export interface EtcdWorld {
  readonly world: World;
  readonly cluster: EtcdCluster;
}

export function createEtcdWorld(seed: number): EtcdWorld {
  const world = new World({ seed, disks: createSimDisks() });
  const context = standaloneContext(world, seed);
  const cluster = startEtcdCluster(context, { servers: ETCD_SERVERS });
  return { world, cluster };
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

/** Runs the world until `predicate` holds or `untilMs`; returns its problems (violations, uncaught errors). */
export async function runWorld(world: World, untilMs: number, predicate?: () => boolean): Promise<string[]> {
  await world.scheduler.run({
    untilTime: untilMs,
    maxEvents: 20_000_000,
    ...(predicate !== undefined ? { predicate } : {}),
  });
  return [
    ...world.violations.map((violation) => `${violation.invariant}@${violation.time}: ${violation.details}`),
    ...world.uncaughtProcessErrors.map(({ host, error }) => `${host}: ${String(error)}`),
  ];
}

/** Runs `body` on a single host of a fresh world (no etcd): for code that needs an Env only. */
export async function onOneHost<T>(seed: number, body: (env: Env) => Promise<T>, untilMs = 60_000): Promise<T> {
  const world = new World({ seed, disks: createSimDisks() });
  const outcome: { done: boolean; value?: T; error?: unknown } = { done: false };
  world
    .addHost("b1", async (env) => {
      try {
        outcome.value = await body(env);
      } catch (error) {
        outcome.error = error;
      }
      outcome.done = true;
    })
    .start();
  await world.scheduler.run({ untilTime: untilMs, predicate: () => outcome.done, maxEvents: 5_000_000 });
  if (!outcome.done) throw new Error(`the host's body did not settle by ${untilMs} ms`);
  if (outcome.error !== undefined) throw outcome.error;
  return outcome.value as T;
}
