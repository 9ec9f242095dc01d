/**
 * The killing suite of `npm run mutate`: every property test except those that run
 * whole scenarios (seconds each; run per mutant they would take hours). The
 * scenarios' own checks are the sweeps' business.
 */
import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.ts";

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: ["**/node_modules/**", "properties/**/*scenario*.test.ts", "properties/scenarios/**", "properties/dqlite/scenarios/**", "properties/bmdb/sessions.test.ts", "properties/bmdb/provisioning.test.ts", "properties/shrink/**"],
    },
  }),
);
