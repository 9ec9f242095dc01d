/**
 * How src/impl gets a SQLite module instance: by injection. The factory lives in
 * src/sim/wasm/wa-sqlite-module.ts (it reads the wasm file and replaces the
 * module's clock and PRNG seed); scenarios pass `createWaSqliteModule`. These
 * types repeat that file's structurally, since src/sim never imports src/impl.
 */

/** What a module instance takes from its host instead of the real world. */
export interface SqliteHostInputs {
  /** Wall time in milliseconds since the epoch (SQLite's `'now'`). */
  now(): number;
  /** Fills `bytes` with random bytes (SQLite's PRNG seed, drawn once per instance). */
  fillRandom(bytes: Uint8Array): void;
}

/** The Emscripten module object of wa-sqlite's Asyncify build. Opaque outside binding.ts. */
export type SqliteModule = object;

/**
 * Creates one module instance whose time and randomness come only from `inputs`,
 * its PRNG already seeded: the same inputs give the same behaviour, byte for byte.
 */
export type SqliteModuleFactory = (inputs: SqliteHostInputs) => Promise<SqliteModule>;
