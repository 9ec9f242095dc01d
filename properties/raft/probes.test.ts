/**
 * Invariant: the list of probes and buggify points (src/impl/raft/probes.ts) names
 * exactly the ones the raft code reports, so coverage reports never miss one.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RAFT_BUGGIFY_POINTS, RAFT_PROBES } from "../../src/impl/raft/probes.ts";

const ROOT = join(import.meta.dirname, "../../src/impl/raft");

function sources(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith(".ts") && name !== "probes.ts" ? [path] : [];
  });
}

function namesIn(pattern: RegExp): string[] {
  const names = new Set<string>();
  for (const path of sources(ROOT))
    for (const match of readFileSync(path, "utf8").matchAll(pattern)) names.add(match[1] as string);
  return [...names].sort();
}

describe("raft probes and buggify points", () => {
  it("are exactly those the code reports", () => {
    expect(namesIn(/probe\((?:state, )?"(raft\.[a-z-]+)"/g)).toEqual(Object.keys(RAFT_PROBES).sort());
    expect(namesIn(/buggify\("(raft\.[a-z-]+)"/g)).toEqual(Object.keys(RAFT_BUGGIFY_POINTS).sort());
  });
});
