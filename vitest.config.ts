import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["properties/**/*.test.ts", "src/**/*.test.ts", "scenarios/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One fork per core: vitest's default (cores - 1) runs the files one at a time on a 2-core machine.
    maxWorkers: availableParallelism(),
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: process.env.CI ? { json: "out/vitest-report.json" } : undefined,
  },
});
