/**
 * Deliberately broken wa-sqlite module factories, each leaving one ambient input
 * of SQLite to the real world, to show that the determinism property catches it:
 * - `unseededModuleFactory`: never seeds SQLite's PRNG from the inputs, so SQLite
 *   seeds itself from the real `crypto.getRandomValues` (WAL salts, randomblob);
 * - `realClockModuleFactory`: leaves the glue's `Date.now` in place (`'now'`).
 */
import SQLiteAsyncESMFactory from "wa-sqlite/dist/wa-sqlite-async.mjs";
import type { SqliteHostInputs, SqliteModule, SqliteModuleFactory } from "../../../../src/impl/dqlite/sqlite/module.ts";
import { compiledModule, createWaSqliteModule, seedPrng } from "../../../../src/sim/wasm/wa-sqlite-module.ts";

interface WebAssemblyApi {
  Instance: new (module: object, imports: object) => object;
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** Instantiates wa-sqlite with only the clock imports replaced, and does not seed its PRNG. */
async function instantiate(inputs: SqliteHostInputs, replaceClock: boolean): Promise<SqliteModule> {
  const module = compiledModule();
  return (await SQLiteAsyncESMFactory({
    instantiateWasm(imports: Record<string, Record<string, unknown>>, success: (instance: object) => void) {
      for (const functions of Object.values(imports)) {
        for (const [name, value] of Object.entries(functions)) {
          const source = String(value);
          if (replaceClock && (source === "()=>Date.now()" || source === "()=>performance.now()"))
            functions[name] = () => inputs.now();
        }
      }
      void Promise.resolve().then(() => success(new webAssembly.Instance(module, imports)));
      return {};
    },
  })) as SqliteModule;
}

/** Clock from the inputs, PRNG seeded by SQLite itself from real entropy at its first use. */
export const unseededModuleFactory: SqliteModuleFactory = (inputs) => instantiate(inputs, true);

/** PRNG seeded from the inputs (as the shipping factory does), clock left real. */
export const realClockModuleFactory: SqliteModuleFactory = async (inputs) => {
  const module = await instantiate(inputs, false);
  // Seeds the PRNG from the inputs with the shipping factory's mechanism: only the clock is broken.
  await seedPrng(module, inputs);
  return module;
};

/** The shipping factory, for symmetry in tables of variants. */
export const shippingModuleFactory: SqliteModuleFactory = createWaSqliteModule;
