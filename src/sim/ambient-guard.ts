/**
 * The runtime determinism guard: an ambient call (the real clock, the process's
 * randomness, a real timer) made by code the scheduler is running becomes a
 * `kernel` violation naming the call and its call site, instead of a run that
 * silently differs between two executions of the same seed.
 *
 * What is guarded, while a `Scheduler.run` is under way: `Date.now()`, `new Date()`
 * and `Date()` without arguments, `Math.random()`, `performance.now()`,
 * `process.hrtime()` and `process.hrtime.bigint()`, `setTimeout`, `setInterval` and
 * `setImmediate` (the globals and `node:timers`, `node:timers/promises`),
 * `crypto.getRandomValues()` and `crypto.randomUUID()` (the global Web Crypto object
 * and `node:crypto`, with `randomBytes`, `randomFillSync`, `randomFill` and
 * `randomInt`), and `fetch`. A guarded call made while the scheduler runs an event or
 * drains the promise continuations it enabled (host code, the scenario's hooks and
 * workload) is refused: it is recorded as the violation
 * `determinism.ambient-call` of the run whose scheduler was running, and it throws
 * an AmbientCallError, so nothing ambient happens and the call site is in the stack.
 * The same call made elsewhere (the test runner's own timers, a progress bar, code
 * between two runs) passes through untouched.
 *
 * Trusted code of the simulator that calls them on purpose (memfs stamps file times
 * with `new Date()`; the stamps reach no run's observable result) runs inside
 * `allowAmbient`.
 *
 * Installed for the duration of each guarded `Scheduler.run` and removed when the
 * last one ends (a reference count: several worlds may run in one process, one at a
 * time per turn of the event loop), so outside a run every global is the original.
 * While installed, `Date` is a Proxy of the original (`instanceof Date` and
 * `value.constructor === Date` still hold). Not seen: references taken before the
 * guard was installed (`const now = Date.now` at a module's top level), ambient I/O
 * (`node:fs`, `node:net`), and calls from code the scheduler does not run. The lint
 * rules (`dst-harness/eslint`) catch those in the source.
 */
import { syncBuiltinESMExports, createRequire } from "node:module";

/** What one refused call was: the call, and the first stack frame outside the guard. */
export interface AmbientCall {
  readonly call: string;
  readonly site: string;
  /** What to use instead, through the Env. */
  readonly instead: string;
}

/** Where a run's refusals go (the World records them as violations). */
export interface AmbientCallSink {
  refuse(call: AmbientCall): void;
}

/** Thrown by a refused ambient call. */
export class AmbientCallError extends Error {
  override readonly name = "AmbientCallError";
  constructor(readonly ambient: AmbientCall) {
    super(
      `${ambient.call} called inside a simulated run (at ${ambient.site}): it is not deterministic; use ${ambient.instead}`,
    );
  }
}

/** The run whose scheduler is running host code now, if any. */
let current: AmbientCallSink | undefined;
/** Depth of `allowAmbient` calls under way. */
let allowed = 0;

/** The scheduler starts running host code of the run that owns `sink`. */
export function enterHostCode(sink: AmbientCallSink | undefined): void {
  current = sink;
}

/** The scheduler yields to the event loop or ends its run: whatever runs next is not host code. */
export function leaveHostCode(): void {
  current = undefined;
}

/** Runs `call` (trusted simulator code) with ambient calls allowed. */
export function allowAmbient<T>(call: () => T): T {
  allowed++;
  try {
    return call();
  } finally {
    allowed--;
  }
}

/**
 * Runs the asynchronous `call` with ambient calls allowed until it settles. Whatever
 * else runs meanwhile is allowed too: only for short, serialised start-up work of the
 * simulator itself (wa-sqlite's PRNG seeding).
 */
export async function allowAmbientUntilSettled<T>(call: () => Promise<T>): Promise<T> {
  allowed++;
  try {
    return await call();
  } finally {
    allowed--;
  }
}

type AnyFunction = (...args: never[]) => unknown;

const CLOCK = "env.clock.now() or env.clock.monotonic()";
const TIMERS = "env.clock.sleep() or env.clock.setTimer()";
const RANDOM = "env.random";

/** Refuses the call when host code is running; `skip` is the wrapper whose frame the site skips. */
function check(call: string, instead: string, skip: AnyFunction): void {
  const sink = current;
  if (sink === undefined || allowed > 0) return;
  const ambient: AmbientCall = { call, instead, site: callSite(skip) };
  sink.refuse(ambient);
  throw new AmbientCallError(ambient);
}

function callSite(skip: AnyFunction): string {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 3;
  Error.captureStackTrace(holder, skip);
  Error.stackTraceLimit = limit;
  const frame = (holder.stack ?? "").split("\n")[1]?.trim();
  return frame === undefined ? "an unknown site" : frame.replace(/^at /, "");
}

/** One patched property: where it lives, its own descriptor before (undefined: inherited), the guarded value. */
interface Patch {
  readonly target: object;
  readonly key: PropertyKey;
  readonly original: PropertyDescriptor | undefined;
  readonly guarded: unknown;
}

/** A patch of `target[key]`, or undefined when the property can be neither redefined nor assigned. */
function patchOf(target: object, key: PropertyKey, guarded: unknown): Patch | undefined {
  const original = Object.getOwnPropertyDescriptor(target, key);
  if (original === undefined ? !Object.isExtensible(target) : !original.configurable && original.writable !== true)
    return undefined;
  return { target, key, original, guarded };
}

function guardedFunction(original: AnyFunction, call: string, instead: string): AnyFunction {
  const guarded = function (this: unknown, ...args: never[]): unknown {
    check(call, instead, guarded);
    return Reflect.apply(original, this, args);
  };
  Object.defineProperty(guarded, "name", { value: original.name });
  return guarded;
}

/** The patches, made once (the same guarded functions every installation). */
let patches: Patch[] | undefined;

function buildPatches(): Patch[] {
  const list: Patch[] = [];
  const wrap = (target: object | undefined, key: string, call: string, instead: string): AnyFunction | undefined => {
    if (target === undefined) return undefined;
    const original = (target as Record<string, unknown>)[key];
    if (typeof original !== "function") return undefined;
    const guarded = guardedFunction(original as AnyFunction, call, instead);
    const patch = patchOf(target, key, guarded);
    if (patch === undefined) return undefined;
    list.push(patch);
    return guarded;
  };
  const global = globalThis as unknown as Record<string, object | undefined>;
  const RealDate = Date;
  wrap(RealDate, "now", "Date.now()", CLOCK);
  const handler: ProxyHandler<DateConstructor> = {
    construct(target, args, newTarget) {
      if (args.length === 0) check("new Date()", CLOCK, handler.construct as AnyFunction);
      return Reflect.construct(target, args, newTarget === dateProxy ? target : newTarget) as object;
    },
    apply(target, self, args) {
      check("Date()", CLOCK, handler.apply as AnyFunction);
      return Reflect.apply(target, self, args) as unknown;
    },
  };
  const dateProxy = new Proxy(RealDate, handler);
  for (const patch of [patchOf(globalThis, "Date", dateProxy), patchOf(RealDate.prototype, "constructor", dateProxy)])
    if (patch !== undefined) list.push(patch);
  wrap(Math, "random", "Math.random()", RANDOM);
  wrap(global.performance, "now", "performance.now()", CLOCK);
  wrap(globalThis, "fetch", "fetch()", "env.net");
  for (const name of ["setTimeout", "setInterval", "setImmediate"]) wrap(globalThis, name, `${name}()`, TIMERS);
  wrap(global.crypto, "getRandomValues", "crypto.getRandomValues()", RANDOM);
  wrap(global.crypto, "randomUUID", "crypto.randomUUID()", RANDOM);
  const hrtime = process.hrtime;
  const guardedHrtime = wrap(process, "hrtime", "process.hrtime()", CLOCK);
  if (guardedHrtime !== undefined) {
    (guardedHrtime as unknown as { bigint: AnyFunction }).bigint = guardedFunction(
      hrtime.bigint,
      "process.hrtime.bigint()",
      CLOCK,
    );
  }
  const require = createRequire(import.meta.url);
  const timers = require("node:timers") as object;
  for (const name of ["setTimeout", "setInterval", "setImmediate"]) wrap(timers, name, `${name}()`, TIMERS);
  const timerPromises = require("node:timers/promises") as object;
  for (const name of ["setTimeout", "setInterval", "setImmediate"])
    wrap(timerPromises, name, `timers/promises ${name}()`, TIMERS);
  const crypto = require("node:crypto") as object;
  for (const name of ["randomBytes", "randomFillSync", "randomFill", "randomInt", "randomUUID", "getRandomValues"])
    wrap(crypto, name, `crypto.${name}()`, RANDOM);
  return list;
}

let installations = 0;

/** Installs the guard (the first of overlapping installations patches); returns its removal. */
export function installAmbientGuard(): () => void {
  patches ??= buildPatches();
  if (installations++ === 0) apply(patches, "guarded");
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    if (--installations === 0) apply(patches as Patch[], "original");
  };
}

function apply(list: readonly Patch[], which: "guarded" | "original"): void {
  for (const { target, key, original, guarded } of list) {
    const record = target as Record<PropertyKey, unknown>;
    if (original === undefined) {
      // Inherited (a method of a prototype): an own property shadows it while installed.
      if (which === "guarded")
        Object.defineProperty(target, key, { value: guarded, writable: true, configurable: true, enumerable: false });
      else Reflect.deleteProperty(target, key);
    } else if (original.configurable === true) {
      Object.defineProperty(
        target,
        key,
        which === "guarded"
          ? { value: guarded, writable: true, configurable: true, enumerable: original.enumerable ?? false }
          : original,
      );
    } else {
      record[key] = which === "guarded" ? guarded : original.value;
    }
  }
  // ES module imports of node:timers and node:crypto see the change only after this.
  syncBuiltinESMExports();
}

/** True while the guard's patches are in place (tests). */
export function ambientGuardInstalled(): boolean {
  return installations > 0;
}
