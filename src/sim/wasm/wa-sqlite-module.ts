/**
 * wa-sqlite (SQLite 3.44 in WebAssembly, Asyncify build) made deterministic: one
 * module instance per call, whose every ambient input comes from the caller.
 *
 * The Emscripten glue of the pinned build (wa-sqlite 1.0.0) reads the world in
 * exactly these places, and each is replaced or fed here:
 * - `()=>Date.now()` and `()=>performance.now()` (SQLite's `'now'`): both return
 *   `inputs.now()`;
 * - `_localtime_js` and `_tzset_js` (SQLite's `'localtime'` modifier): replaced by
 *   UTC versions, so the host machine's time zone never leaks into a run;
 * - `crypto.getRandomValues`, called once per instance when SQLite seeds its PRNG
 *   (which then makes WAL salts, temporary names and `random()`): the seeding is
 *   forced right after instantiation, with `globalThis.crypto` temporarily
 *   replaced by one that fills from `inputs.fillRandom`.
 * The glue's in-memory file system also stamps files with `Date.now()`, but SQLite
 * only ever sees files through our VFS, so those stamps are never read.
 *
 * Every step is synchronous or a microtask: the wasm is compiled and instantiated
 * synchronously (Node allows that for any size), so a simulated process creating a
 * module never waits on the real event loop and virtual time cannot move meanwhile.
 *
 * This file lives in src/sim (it reads the wasm file and touches globals); src/impl
 * receives `createWaSqliteModule` by injection, typed structurally by
 * src/impl/dqlite/sqlite/module.ts.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as SQLite from "wa-sqlite";
import SQLiteAsyncESMFactory from "wa-sqlite/dist/wa-sqlite-async.mjs";
import { allowAmbient, allowAmbientUntilSettled } from "../ambient-guard.ts";

/** What a module instance takes from its host instead of the real world. */
export interface SqliteHostInputs {
  /** Wall time in milliseconds since the epoch (SQLite's `'now'`). */
  now(): number;
  /** Fills `bytes` with random bytes (SQLite's PRNG seed, drawn once per instance). */
  fillRandom(bytes: Uint8Array): void;
}

/** The Emscripten module object that wa-sqlite's `Factory` (and our binding) takes. Opaque. */
export type SqliteModule = object;

/** Creates one deterministic wa-sqlite module instance. */
export type SqliteModuleFactory = (inputs: SqliteHostInputs) => Promise<SqliteModule>;

/** The part of the WebAssembly global used here (the project's lib settings carry no WebAssembly types). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => { buffer: ArrayBuffer };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

type Imports = Record<string, Record<string, unknown>>;
type Malloc = (bytes: number) => number;

/** The glue's import functions this file replaces, recognised by their source text. */
const DATE_NOW_SOURCE = "()=>Date.now()";
const PERFORMANCE_NOW_SOURCE = "()=>performance.now()";

let compiled: object | undefined;

/**
 * The wasm, compiled once per process (synchronously: see the file's comment). Exported for the broken factories of the
 * determinism tests, which build on it.
 */
export function compiledModule(): object {
  if (compiled === undefined) {
    const require = createRequire(import.meta.url);
    compiled = new webAssembly.Module(readFileSync(require.resolve("wa-sqlite/dist/wa-sqlite-async.wasm")));
  }
  return compiled;
}

/** Serialises the PRNG seeding of every instance: `globalThis.crypto` is process-wide. */
let seeding: Promise<unknown> = Promise.resolve();

/**
 * A fresh wa-sqlite module whose time is `inputs.now()`, whose local time is UTC,
 * and whose PRNG is already seeded from `inputs.fillRandom`. Two instances given
 * inputs that return the same values behave identically, byte for byte.
 * Throws if the installed wa-sqlite is not the build this file knows.
 */
export const createWaSqliteModule: SqliteModuleFactory = async (inputs) => {
  const moduleArgument: { _malloc?: Malloc; instantiateWasm?: unknown } = {};
  moduleArgument.instantiateWasm = (imports: Imports, success: (instance: object) => unknown): object => {
    const memory: { buffer?: ArrayBuffer } = {};
    replaceAmbientImports(imports, inputs, memory, (bytes) => {
      if (moduleArgument._malloc === undefined) throw new Error("wa-sqlite: malloc is not ready");
      return moduleArgument._malloc(bytes);
    });
    // Reported to the glue in a microtask (returning {} means "asynchronous"): the
    // glue overwrites its exports with this function's result otherwise.
    void Promise.resolve().then(() =>
      allowAmbient(() => {
        const instance = new webAssembly.Instance(compiledModule(), imports);
        memory.buffer = memoryOf(instance.exports).buffer;
        success(instance);
      }),
    );
    return {};
  };
  // The glue's start-up (in the factory call and in `success` above) creates the nodes
  // of Emscripten's own in-memory file system, stamped with `Date.now()`: SQLite never
  // sees them (its files go through the VFS the caller registers), so the determinism
  // guard lets it.
  const module = (await allowAmbient(() => SQLiteAsyncESMFactory(moduleArgument))) as SqliteModule;
  // Reading /dev/urandom stamps Emscripten's device node with `Date.now()`, as above.
  const seeded = seeding.then(() => allowAmbientUntilSettled(() => seedPrng(module, inputs)));
  seeding = seeded.catch(() => undefined);
  await seeded;
  return module;
};

function memoryOf(exports: Record<string, unknown>): { buffer: ArrayBuffer } {
  const memory = Object.values(exports).find((value) => value instanceof webAssembly.Memory) as
    | { buffer: ArrayBuffer }
    | undefined;
  if (memory === undefined) throw new Error("wa-sqlite: the instance exports no memory (an unknown build)");
  return memory;
}

/** Replaces the glue's clock and time-zone imports; throws unless each was found exactly once. */
function replaceAmbientImports(
  imports: Imports,
  inputs: SqliteHostInputs,
  memory: { buffer?: ArrayBuffer },
  malloc: Malloc,
): void {
  const heap = (): Int32Array => {
    if (memory.buffer === undefined) throw new Error("wa-sqlite: memory is not ready");
    // A fresh view every time: the memory's buffer changes when it grows.
    return new Int32Array(memory.buffer);
  };
  const found = { dateNow: 0, performanceNow: 0, localtime: 0, tzset: 0 };
  for (const functions of Object.values(imports)) {
    for (const [name, value] of Object.entries(functions)) {
      if (typeof value !== "function") continue;
      const source = String(value);
      if (source === DATE_NOW_SOURCE) {
        found.dateNow++;
        functions[name] = () => inputs.now();
      } else if (source === PERFORMANCE_NOW_SOURCE) {
        found.performanceNow++;
        functions[name] = () => inputs.now();
      } else if (source.includes("getTimezoneOffset") && source.includes("getSeconds")) {
        found.localtime++;
        functions[name] = (low: number, high: number, tm: number) => writeUtcTm(heap(), low, high, tm);
      } else if (source.includes("toTimeString")) {
        found.tzset++;
        functions[name] = (timezone: number, daylight: number, tzname: number) =>
          writeUtcZone(heap(), malloc, timezone, daylight, tzname);
      }
    }
  }
  for (const [what, count] of Object.entries(found)) {
    if (count !== 1)
      throw new Error(
        `wa-sqlite: expected exactly one ${what} import to replace, found ${count} (not the pinned wa-sqlite 1.0.0 build)`,
      );
  }
}

/** `_localtime_js` in UTC: fills a C `struct tm` (ten int32 fields) for the time in seconds `high * 2^32 + low`. */
function writeUtcTm(heap: Int32Array, low: number, high: number, tm: number): void {
  const seconds = (high + 2097152) >>> 0 < 4194305 - (low !== 0 ? 1 : 0) ? (low >>> 0) + 4294967296 * high : Number.NaN;
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  const base = tm >> 2;
  heap[base] = date.getUTCSeconds();
  heap[base + 1] = date.getUTCMinutes();
  heap[base + 2] = date.getUTCHours();
  heap[base + 3] = date.getUTCDate();
  heap[base + 4] = date.getUTCMonth();
  heap[base + 5] = year - 1900;
  heap[base + 6] = date.getUTCDay();
  heap[base + 7] = Math.round(
    (Date.UTC(year, date.getUTCMonth(), date.getUTCDate()) - Date.UTC(year, 0, 1)) / 86_400_000,
  );
  heap[base + 8] = 0; // tm_isdst
  heap[base + 9] = 0; // tm_gmtoff
}

/** `_tzset_js` in UTC: no offset, no daylight saving, both zone names "UTC". */
function writeUtcZone(heap: Int32Array, malloc: Malloc, timezone: number, daylight: number, tzname: number): void {
  heap[timezone >> 2] = 0;
  heap[daylight >> 2] = 0;
  for (const slot of [0, 1]) {
    const pointer = malloc(4);
    new Uint8Array(heap.buffer, pointer, 4).set([0x55, 0x54, 0x43, 0]); // "UTC\0"
    heap[(tzname >> 2) + slot] = pointer;
  }
}

/**
 * Makes SQLite seed its PRNG now, from `inputs.fillRandom`: it draws its seed once
 * per instance, through the glue's `crypto.getRandomValues` (a 1024-byte pool behind
 * /dev/urandom, of which SQLite takes a few dozen bytes). Throws if it did not ask.
 */
export async function seedPrng(module: SqliteModule, inputs: SqliteHostInputs): Promise<void> {
  const api = SQLite.Factory(module);
  const original = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  let draws = 0;
  Object.defineProperty(globalThis, "crypto", {
    configurable: true,
    writable: true,
    value: {
      getRandomValues<T extends ArrayBufferView>(array: T): T {
        draws++;
        inputs.fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
        return array;
      },
    },
  });
  try {
    const db = await api.open_v2(":memory:");
    await api.exec(db, "SELECT randomblob(1)");
    await api.close(db);
  } finally {
    if (original === undefined) Reflect.deleteProperty(globalThis, "crypto");
    else Object.defineProperty(globalThis, "crypto", original);
  }
  if (draws === 0)
    throw new Error("wa-sqlite: SQLite did not seed its PRNG through crypto.getRandomValues (not the pinned build)");
}
