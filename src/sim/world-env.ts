/**
 * Builds the Env of one process incarnation: the only doorway from a system under
 * test to the world. Every callback it takes runs as an event owned by the
 * incarnation, so nothing of a dead process runs again, and a paused host's
 * timers wait for its resume.
 */
import type { Clock, Disk, Env, Logger, Timer } from "./env.ts";
import type { Host, Incarnation } from "./host.ts";
import { createRpc } from "./net/rpc.ts";
import type { Random } from "./random.ts";
import type { World } from "./world.ts";

/** Supplies each host's disk; the world itself knows no disk implementation. */
export interface DiskProvider {
  create(host: string, random: Random): void;
  /** The host crashed: drop everything volatile. */
  crash(host: string): void;
  /** The Env's disk for one incarnation. */
  view(host: string, incarnation: Incarnation): Disk;
}

export function buildEnv(world: World, host: Host, incarnation: Incarnation, disks: DiskProvider | undefined): Env {
  const name = host.name;
  const guard = (what: string): boolean => {
    if (!incarnation.isDead()) return true;
    world.violate({
      invariant: "kernel.dead-process-executed",
      kind: "kernel",
      host: name,
      details: `incarnation ${incarnation.incarnation} called ${what} after it died`,
    });
    return false;
  };
  const clock = buildClock(host, incarnation);
  const net = world.network.viewFor(incarnation);
  const log = buildLogger(world, name, guard);
  return {
    host: name,
    clock,
    random: world.random.fork(`host/${name}/${incarnation.incarnation}`),
    net,
    get rpc() { return createRpc(net, clock); },
    disk: disks?.view(name, incarnation) ?? missingDisk(name),
    log,
    trace: (kind, fields) => {
      if (guard(`trace(${kind})`)) world.record(name, `app.${kind}`, fields);
    },
    buggify: (point) => guard(`buggify(${point})`) && world.buggify(point, name),
    probe: (point) => {
      if (guard(`probe(${point})`)) world.probe(point, name);
    },
    lifetime: { signal: incarnation.abortController.signal, incarnation: incarnation.incarnation },
  };
}

function buildClock(host: Host, incarnation: Incarnation): Clock {
  const scheduler = host.scheduler;
  return {
    now: () => host.clock.wall(),
    monotonic: () => host.clock.monotonic(),
    sleep: (durationMs) => incarnation.complete(host.clock.toTrueDuration(checkDuration(durationMs)), () => undefined),
    setTimer: (durationMs, callback): Timer => {
      const event = scheduler.schedule(host.clock.toTrueDuration(checkDuration(durationMs)), callback, { owner: incarnation });
      return { cancel: () => scheduler.cancel(event) };
    },
  };
}

function checkDuration(durationMs: number): number {
  if (!(durationMs >= 0) || !Number.isFinite(durationMs)) throw new RangeError(`invalid duration ${durationMs}`);
  return durationMs;
}

function buildLogger(world: World, host: string, guard: (what: string) => boolean): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    if (guard(`log.${level}`)) world.record(host, "app.log", fields === undefined ? { level, message } : { level, message, ...fields });
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

function missingDisk(host: string): Disk {
  const fail = (): Promise<never> => Promise.reject(new Error(`host ${host} has no disk in this world`));
  return {
    open: fail, readFile: fail, writeFile: fail, writeFileAtomic: fail, rename: fail, unlink: fail,
    mkdir: fail, list: fail, stat: fail, exists: fail, syncDirectory: fail,
  };
}
