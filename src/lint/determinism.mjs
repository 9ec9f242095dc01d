// The determinism contract as an ESLint flat-config block: code that runs inside a simulated host may not touch
// ambient time, randomness, timers or real I/O; it gets them from the Env. The project lints src/impl with it; a user
// points it at their own system's folder:
//
//   // eslint.config.js
//   import { determinism } from "dst-harness/eslint";
//   export default [determinism({ files: ["src/my-system/**/*.ts"] })];
//
// It is a lint: it sees what the files say, not what a library they call does at run time.

/** Globals a simulated host may not read: time, timers, randomness, real I/O and threads. */
export const AMBIENT_GLOBALS = [
  "Date",
  "performance",
  "setTimeout",
  "setInterval",
  "setImmediate",
  "clearTimeout",
  "clearInterval",
  "clearImmediate",
  "queueMicrotask",
  "crypto",
  "Worker",
  "SharedArrayBuffer",
  "Atomics",
  "fetch",
];

/** Properties a simulated host may not read, as [object, property]. */
export const AMBIENT_PROPERTIES = [
  ["Math", "random"],
  ["process", "hrtime"],
  ["process", "nextTick"],
  ["process", "env"],
  ["globalThis", "Date"],
  ["globalThis", "performance"],
  ["globalThis", "setTimeout"],
  ["globalThis", "crypto"],
  ["AbortSignal", "timeout"],
];

/**
 * Properties refused for what they keep, not for what they read: Node 20 holds every signal `AbortSignal.any` makes
 * that has an 'abort' listener for the life of the process, and a simulated run never removes its listeners, so each
 * one kept its run's whole world alive (a sweep of thousands of runs ran out of memory).
 */
export const RETAINING_PROPERTIES = [
  [
    "AbortSignal",
    "any",
    "AbortSignal.any keeps its signal, and a simulated run's world with it, for the life of the process (Node 20): " +
      "compose signals with listeners removed once it aborts (the project's src/impl/common/any-signal.ts).",
  ],
];

/** Node's modules of real I/O, time and threads (with or without `node:`). */
export const AMBIENT_MODULES =
  "^(node:)?(fs|fs/promises|net|dgram|http|https|http2|tls|crypto|worker_threads|child_process|cluster|timers|timers/promises|perf_hooks|os|process)$";

export const AMBIENT_MESSAGE =
  "Ambient nondeterminism: in simulated code, time, randomness, timers and I/O come only from the Env.";

/**
 * A flat-config block that forbids ambient nondeterminism in `files`.
 * @param {{ files: string[], message?: string, importPatterns?: Array<{ regex: string, message: string }> }} options
 *   `importPatterns`: further imports to refuse (the project uses it to keep src/impl off the simulator's internals).
 */
export function determinism({ files, message = AMBIENT_MESSAGE, importPatterns = [] }) {
  return {
    files,
    rules: {
      "no-restricted-globals": ["error", ...AMBIENT_GLOBALS.map((name) => ({ name, message }))],
      "no-restricted-properties": [
        "error",
        ...AMBIENT_PROPERTIES.map(([object, property]) => ({ object, property, message })),
        ...RETAINING_PROPERTIES.map(([object, property, why]) => ({ object, property, message: why })),
      ],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: AMBIENT_MODULES, message },
            {
              regex: "^(memfs|seedrandom)$",
              message: "Simulated code sees the disk and randomness only through the Env.",
            },
            ...importPatterns,
          ],
        },
      ],
    },
  };
}
