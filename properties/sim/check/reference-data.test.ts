/**
 * Invariant: on every reference history in testdata/histories (Jepsen etcd logs and
 * key-value histories), the checker's verdict equals the one in expected.tsv.
 *
 * This is ground truth recorded by other checkers: a mismatch is a checker (or
 * parser) bug to fix, never an expectation to relax.
 */
import { describe, expect, it } from "vitest";
import { checkReference, listReferenceEntries, loadReference } from "../../../src/sim/check/reference-data.ts";
import type { ReferenceEntry, ReferenceSet } from "../../../src/sim/check/reference-data.ts";

const expectedCounts: Record<ReferenceSet, { total: number; linearizable: number }> = {
  "jepsen-etcd": { total: 102, linearizable: 23 },
  kv: { total: 6, linearizable: 3 },
};

describe.each(Object.keys(expectedCounts) as ReferenceSet[])("reference set %s", (set) => {
  const entries: ReferenceEntry[] = listReferenceEntries(set);

  it("has every history the README announces", () => {
    expect(entries.length).toBe(expectedCounts[set].total);
    expect(entries.filter((entry) => entry.expectedLinearizable).length).toBe(expectedCounts[set].linearizable);
  });

  it.each(entries.map((entry) => [entry.file, entry] as const))("%s gets its expected verdict", (_file, entry) => {
    const parsed = loadReference(entry);
    expect(parsed.operations.length).toBeGreaterThan(0);
    const result = checkReference(parsed);
    expect(result.verdict).toBe(entry.expectedLinearizable ? "linearizable" : "not-linearizable");
    if (result.verdict === "not-linearizable") expect(result.counterexample?.blocked.length).toBeGreaterThan(0);
  });
});
