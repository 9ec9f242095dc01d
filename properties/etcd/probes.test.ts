/**
 * Invariant: the lists of probes and buggify points (src/impl/etcd/probes.ts) name
 * exactly the ones the etcd code reports, so coverage reports never miss one; and
 * each probe is reached by the etcd tests' runs (the scenario tests assert the counts).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanPoints } from "../../src/cli/coverage/points.ts";
import { ETCD_BUGGIFY_POINTS, ETCD_PROBES } from "../../src/impl/etcd/probes.ts";

const ROOT = join(import.meta.dirname, "../../src/impl/etcd");

function sources(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith(".ts") && name !== "probes.ts" ? [path] : [];
  });
}

describe("etcd probes", () => {
  it("are exactly those the code reports", () => {
    const names = new Set<string>();
    for (const path of sources(ROOT))
      for (const match of readFileSync(path, "utf8").matchAll(/probe\("(etcd\.[a-z-]+)"/g))
        names.add(match[1] as string);
    expect([...names].sort()).toEqual(Object.keys(ETCD_PROBES).sort());
  });

  it("and buggify points are exactly those the code has", () => {
    const found = scanPoints([ROOT]).filter((point) => point.kind === "buggify");
    expect(found.map((point) => point.name)).toEqual(Object.keys(ETCD_BUGGIFY_POINTS).sort());
  });
});
