/**
 * Invariant: the list of buggify points (src/impl/gazette/buggify-points.ts) names
 * exactly the ones the gazette code has, so coverage reports never miss one.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanPoints } from "../../src/cli/coverage/points.ts";
import { GAZETTE_BUGGIFY_POINTS } from "../../src/impl/gazette/buggify-points.ts";

describe("gazette buggify points", () => {
  it("are exactly those the code has", () => {
    const found = scanPoints([join(import.meta.dirname, "../../src/impl/gazette")]).filter(
      (point) => point.kind === "buggify",
    );
    expect(found.map((point) => point.name)).toEqual(Object.keys(GAZETTE_BUGGIFY_POINTS).sort());
  });
});
