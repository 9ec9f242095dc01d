/**
 * Invariant: the list of buggify points (src/impl/bmdb/buggify-points.ts) names
 * exactly the ones the bmdb code has, so coverage reports never miss one.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanPoints } from "../../src/cli/coverage/points.ts";
import { BMDB_BUGGIFY_POINTS } from "../../src/impl/bmdb/buggify-points.ts";

describe("bmdb buggify points", () => {
  it("are exactly those the code has", () => {
    const found = scanPoints([join(import.meta.dirname, "../../src/impl/bmdb")]).filter(
      (point) => point.kind === "buggify",
    );
    expect(found.map((point) => point.name)).toEqual(Object.keys(BMDB_BUGGIFY_POINTS).sort());
  });
});
