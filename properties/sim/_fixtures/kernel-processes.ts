/**
 * Deliberately broken process lifetimes, never used by shipping code: worlds whose
 * restarted processes get their first Env again, or whose Env skips the liveness
 * guard on logging and tracing (so a dead process's Env can be used silently), both
 * patching the world instance's private `launch`; and hosts whose pause or crash does
 * nothing (patched per host instance), which a property that asks the host its state
 * cannot see; and a world that resolves a role to its holder one look late (a fault
 * aimed at "@leader" strikes the previous leader, or a new leader a step late).
 */
import type { Env, Logger, ProcessMain } from "../../../src/sim/env.ts";
import type { Host, Incarnation } from "../../../src/sim/host.ts";
import { buildEnv } from "../../../src/sim/world-env.ts";
import { World } from "../../../src/sim/world.ts";
import { worldPatchingHosts, type WorldFactory } from "../_support/world-factory.ts";

type Launch = (host: Host, incarnation: Incarnation) => void;

function withLaunch(
  makeLaunch: (world: World) => (host: Host, incarnation: Incarnation, main: ProcessMain) => Env,
): WorldFactory {
  return (options) => {
    const world = new World(options);
    const envFor = makeLaunch(world);
    const launch: Launch = (host, incarnation) => {
      const main = host.main;
      if (main === undefined) throw new Error(`host ${host.name} has no main`);
      const env = envFor(host, incarnation, main);
      world.scheduler.schedule(
        0,
        () => {
          main(env).then(
            () => world.record(host.name, "process.exit", { incarnation: incarnation.incarnation }),
            () => undefined,
          );
        },
        { owner: incarnation },
      );
    };
    (world as unknown as { launch: Launch }).launch = launch;
    return world;
  };
}

/** A restarted process gets the Env of its first incarnation again (stale lifetime, stale random stream). */
export const staleEnvWorld: WorldFactory = withLaunch((world) => {
  const first = new Map<string, Env>();
  return (host, incarnation) => {
    const existing = first.get(host.name);
    if (existing !== undefined) return existing;
    const env = buildEnv(world, host, incarnation, undefined);
    first.set(host.name, env);
    return env;
  };
});

/** The Env's log, trace, probe and buggify skip the liveness guard: a dead process's Env works silently. */
export const unguardedEnvWorld: WorldFactory = withLaunch((world) => (host, incarnation) => {
  const env = buildEnv(world, host, incarnation, undefined);
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    world.record(host.name, "app.log", { level, message, ...fields });
  const log: Logger = { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
  return {
    host: env.host,
    clock: env.clock,
    random: env.random,
    net: env.net,
    get rpc() {
      return env.rpc;
    },
    disk: env.disk,
    log,
    hash: env.hash,
    trace: (kind, fields) => world.record(host.name, `app.${kind}`, fields),
    buggify: (point) => world.buggify(point, host.name),
    probe: (point) => world.probe(point, host.name),
    lifetime: env.lifetime,
  };
});

/** A pause does nothing: the host keeps running (and says it is running). */
export const pauseIgnoredWorld: WorldFactory = worldPatchingHosts((host) => {
  host.pause = () => undefined;
});

/** A crash does nothing: the process keeps running in the same incarnation. */
export const crashIgnoredWorld: WorldFactory = worldPatchingHosts((host) => {
  host.crash = () => undefined;
});

/** A role target resolves to the holder the previous resolution saw (the first look sees nobody). */
export const lateRoleWorld: WorldFactory = (options) => {
  const world = new World(options);
  const resolveTarget = world.resolveTarget.bind(world);
  const seen = new Map<string, string | undefined>();
  world.resolveTarget = (target) => {
    if (!target.startsWith("@")) return resolveTarget(target);
    const previous = seen.get(target);
    seen.set(target, resolveTarget(target));
    return previous;
  };
  return world;
};
