/**
 * Builds the Env of one process incarnation: the only doorway from a system under
 * test to the world. Every callback it takes runs as an event owned by the
 * incarnation, so nothing of a dead process runs again, and a paused host's
 * timers wait for its resume.
 */
import type { Clock, Disk, Env, Logger, Net, Ticker, Timer } from "./env.ts";
import { NODE_HASHES } from "./hashes.ts";
import { HostTicker } from "./host-ticker.ts";
import type { Host, Incarnation } from "./host.ts";
import { createRpc } from "./net/rpc.ts";
import { byteTransport, objectTransport, type FrameTransport } from "./net/rpc/frame-channel.ts";
import type { Random } from "./random.ts";
import type { World } from "./world.ts";

/** Supplies each host's disk; the world itself knows no disk implementation. */
export interface DiskProvider {
  /** Gives `host` its disk; `trace` records the disk's events in the world's trace (and fingerprint). */
  create(host: string, random: Random, trace: (kind: string, fields: Record<string, unknown>) => void): void;
  /** The host crashed: drop everything volatile. */
  crash(host: string): void;
  /** The host's disk is replaced by an empty one (World.wipeDisk); a provider without it cannot wipe. */
  wipe?(host: string): void;
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
  const clock = buildClock(host, incarnation, guard);
  const net = guardNet(world.network.viewFor(incarnation), guard);
  const log = buildLogger(world, name, guard);
  return {
    host: name,
    clock,
    random: world.random.fork(`host/${name}/${incarnation.incarnation}`),
    net,
    rpc: createRpc(net, clock, rpcTransport(world, incarnation, net, guard)),
    disk: disks?.view(name, incarnation) ?? missingDisk(name),
    log,
    hash: NODE_HASHES,
    trace: (kind, fields) => {
      if (guard(`trace(${kind})`)) world.record(name, kind.startsWith("app.") ? kind : `app.${kind}`, fields);
    },
    buggify: (point, options) => guard(`buggify(${point})`) && world.buggify(point, name, options),
    probe: (point) => {
      if (guard(`probe(${point})`)) world.probe(point, name);
    },
    lifetime: { signal: incarnation.abortController.signal, incarnation: incarnation.incarnation },
  };
}

function buildClock(host: Host, incarnation: Incarnation, guard: (what: string) => boolean): Clock {
  const never = new Promise<void>(() => undefined);
  return {
    now: () => host.clock.wall(),
    monotonic: () => host.clock.monotonic(),
    sleep: (durationMs) => {
      checkDuration(durationMs);
      if (!guard("clock.sleep")) return never;
      return new Promise<void>((resolve) => {
        host.clock.schedule(durationMs, resolve, incarnation);
      });
    },
    setTimer: (durationMs, callback): Timer => {
      checkDuration(durationMs);
      if (!guard("clock.setTimer")) return { cancel: () => false };
      const timer = host.clock.schedule(durationMs, callback, incarnation);
      return { cancel: () => host.clock.cancel(timer) };
    },
    ticker: (intervalMs, onWake): Ticker => {
      const ticker = new HostTicker(host.clock, intervalMs, incarnation, onWake);
      if (!guard("clock.ticker")) ticker.stop();
      return ticker;
    },
  };
}

/** A dead process that touches the network records a violation; its calls go nowhere. */
function guardNet(net: Net, guard: (what: string) => boolean): Net {
  return {
    address: net.address,
    listen: (port) => {
      if (!guard("net.listen")) return { port, accept: () => new Promise(() => undefined), close: () => undefined };
      return net.listen(port);
    },
    dial: (address, port, options) =>
      guard("net.dial") ? net.dial(address, port, options) : new Promise(() => undefined),
    sendDatagram: (address, port, payload, options) => {
      if (guard("net.sendDatagram")) net.sendDatagram(address, port, payload, options);
    },
    onDatagram: (port, handler) => (guard("net.onDatagram") ? net.onDatagram(port, handler) : () => undefined),
  };
}

/**
 * The incarnation's RPC wire in the world's wire mode: encoded frames on its byte
 * streams (`net`), or copied objects on message channels. `guard` keeps a dead
 * process from dialing or listening (default: no guard, for tests).
 */
export function rpcTransport(
  world: World,
  incarnation: Incarnation,
  net: Net,
  guard: (what: string) => boolean = () => true,
): FrameTransport {
  if (world.wireMode === "frames") return byteTransport(net);
  const network = world.network;
  return objectTransport({
    dial: (address, port, timeoutMs) => {
      if (!guard("rpc.dial")) return new Promise(() => undefined);
      return network.dial(incarnation, address, port, { timeoutMs }, "message");
    },
    listen: (port) => {
      if (!guard("rpc.serve")) return { accept: () => new Promise(() => undefined), close: () => undefined };
      return network.listen(incarnation, port, "message");
    },
  });
}

function checkDuration(durationMs: number): number {
  if (!(durationMs >= 0) || !Number.isFinite(durationMs)) throw new RangeError(`invalid duration ${durationMs}`);
  return durationMs;
}

function buildLogger(world: World, host: string, guard: (what: string) => boolean): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    if (guard(`log.${level}`))
      world.record(host, "app.log", fields === undefined ? { level, message } : { level, message, ...fields });
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

function missingDisk(host: string): Disk {
  const fail = (): Promise<never> => Promise.reject(new Error(`host ${host} has no disk in this world`));
  return {
    open: fail,
    readFile: fail,
    writeFile: fail,
    writeFileAtomic: fail,
    rename: fail,
    unlink: fail,
    mkdir: fail,
    list: fail,
    stat: fail,
    exists: fail,
    syncDirectory: fail,
  };
}
