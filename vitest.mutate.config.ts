/**
 * The killing suite of `npm run mutate`: the property tests of the mutated modules (globs in
 * DST_MUTATE_SUITES, set by stryker.config.mjs; all property tests without it),
 * except those that run whole scenarios of the replicated systems (under
 * properties/scenarios/, beside the scenarios they run; seconds each; run per mutant
 * they would take hours). The scenarios' own checks are the sweeps' business. The
 * backedpipe scenario tests stay (a two-host run takes milliseconds, and the
 * backedpipe scores in docs/MUTATION.md were measured with them).
 */
import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.ts";

const suites = (process.env.DST_MUTATE_SUITES ?? "").split(",").filter(Boolean);

const config = mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        "**/node_modules/**",
        "properties/scenarios/*.test.ts",
        "properties/scenarios/{bmdb,counter,dqlite,etcd,gazette,raft-kv}/**",
        "properties/sim/shrink/**",
      ],
    },
  }),
);
// mergeConfig concatenates arrays: the suites replace the base's include.
if (suites.length > 0) config.test = { ...config.test, include: suites };

export default config;
