// Mutation testing of the protocol cores (npm run mutate): the property tests are the
// killing suite. Surviving mutants point at missing properties.
// Pass modules to mutate with STRYKER_MODULES=backedpipe,raft (default: all listed).
const modules = {
  "backedpipe-ring-buffer": ["src/impl/backedpipe/ring-buffer.ts"],
  "backedpipe-writer": ["src/impl/backedpipe/backed-writer.ts"],
  "raft-core": ["src/impl/raft/core/**/*.ts", "!src/impl/raft/core/index.ts"],
  "dqlite-fsm": ["src/impl/dqlite/fsm/fsm.ts", "src/impl/dqlite/fsm/transaction.ts"],
  "bmdb-backoff": ["src/impl/bmdb/backoff.ts"],
  "gazette-reader": ["src/impl/gazette/client/reader.ts"],
};
const wanted = (process.env.STRYKER_MODULES ?? "").split(",").filter(Boolean);
const mutate = Object.entries(modules)
  .filter(([name]) => wanted.length === 0 || wanted.some((prefix) => name.startsWith(prefix)))
  .flatMap(([, files]) => files);

export default {
  testRunner: "vitest",
  // The property tests, without whole-scenario runs (vitest.mutate.config.ts).
  vitest: { configFile: "vitest.mutate.config.ts", related: true },
  mutate,
  coverageAnalysis: "perTest",
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 60_000,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "out/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
  ignoreStatic: true,
};
