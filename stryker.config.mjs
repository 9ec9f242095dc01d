// Mutation testing of the protocol cores (npm run mutate): the property tests are the
// killing suite. Surviving mutants point at missing properties.
// Pass modules to mutate with STRYKER_MODULES=backedpipe,raft (default: all listed).
//
// Each module names its killing suite: globs of the property tests that test it (the
// scenario-running tests are left out by vitest.mutate.config.ts). A run of several
// modules uses the union. Without this, vitest's `related` would pull in every test
// that imports the module transitively (the Raft core is under dqlite and BMDB too).
// The Raft core's suite leaves out the KV tests, which run the raft-kv scenario
// (seconds per test; the core's safety and example tests reach the core directly).
const RAFT_SUITE = [
  "properties/raft/core-*.test.ts",
  "properties/raft/node-*.test.ts",
  "properties/raft/probes.test.ts",
];
const modules = {
  "backedpipe-ring-buffer": {
    mutate: ["src/impl/backedpipe/ring-buffer.ts"],
    suite: ["properties/backedpipe/**/*.test.ts", "properties/scenarios/backedpipe/**/*.test.ts"],
  },
  "backedpipe-writer": {
    mutate: ["src/impl/backedpipe/backed-writer.ts"],
    suite: ["properties/backedpipe/**/*.test.ts", "properties/scenarios/backedpipe/**/*.test.ts"],
  },
  // The Raft core in five parts, each under 30 minutes on 2 cores; `raft-core` runs all.
  "raft-core-roles": { mutate: ["src/impl/raft/core/{roles,step,votes}.ts"], suite: RAFT_SUITE },
  "raft-core-requests": { mutate: ["src/impl/raft/core/{follower,leader-requests}.ts"], suite: RAFT_SUITE },
  "raft-core-replication": { mutate: ["src/impl/raft/core/{replication,progress,ready}.ts"], suite: RAFT_SUITE },
  "raft-core-log": { mutate: ["src/impl/raft/core/{raft-log,log-changes,core-state}.ts"], suite: RAFT_SUITE },
  "raft-core-driver": { mutate: ["src/impl/raft/core/{raft-core,messages,options,rules,types}.ts"], suite: RAFT_SUITE },
  "dqlite-fsm": {
    mutate: ["src/impl/dqlite/fsm/fsm.ts", "src/impl/dqlite/fsm/transaction.ts"],
    suite: ["properties/dqlite/**/*.test.ts"],
  },
  "bmdb-backoff": { mutate: ["src/impl/bmdb/backoff.ts"], suite: ["properties/bmdb/**/*.test.ts"] },
  "gazette-reader": {
    mutate: ["src/impl/gazette/client/reader.ts"],
    suite: ["properties/gazette/client/**/*.test.ts"],
  },
};
const wanted = (process.env.STRYKER_MODULES ?? "").split(",").filter(Boolean);
const unknown = wanted.filter((prefix) => !Object.keys(modules).some((name) => name.startsWith(prefix)));
if (unknown.length > 0) {
  throw new Error(
    `STRYKER_MODULES: no module starts with ${unknown.join(", ")} (modules: ${Object.keys(modules).join(", ")})`,
  );
}
const chosen = Object.entries(modules).filter(
  ([name]) => wanted.length === 0 || wanted.some((prefix) => name.startsWith(prefix)),
);
const mutate = chosen.flatMap(([, module]) => module.mutate);
// Read by vitest.mutate.config.ts in the test-runner processes, which inherit it.
// STRYKER_SUITE=globs replaces the modules' suites: run only new tests against the
// mutants, then merge the reports (bench/mutation-scores.ts takes several).
process.env.DST_MUTATE_SUITES =
  process.env.STRYKER_SUITE ?? [...new Set(chosen.flatMap(([, module]) => module.suite))].join(",");

export default {
  testRunner: "vitest",
  // The property tests, without whole-scenario runs (vitest.mutate.config.ts).
  vitest: { configFile: "vitest.mutate.config.ts", related: true },
  mutate,
  coverageAnalysis: "perTest",
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  // A mutant that loops is cut off this long after the test's own time (x1.5): it
  // counts as detected either way, and each one costs this much.
  timeoutMS: 10_000,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: process.env.STRYKER_REPORT ?? "out/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
  ignoreStatic: true,
};
