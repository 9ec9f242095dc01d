/**
 * Invariant: the list of buggify points (src/impl/backedpipe/buggify-points.ts)
 * names exactly the ones the backedpipe code has, so coverage reports never miss one.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanPoints } from "../../src/cli/coverage/points.ts";
import { BACKEDPIPE_BUGGIFY_POINTS } from "../../src/impl/backedpipe/buggify-points.ts";

describe("backedpipe buggify points", () => {
  it("are exactly those the code has", () => {
    const found = scanPoints([join(import.meta.dirname, "../../src/impl/backedpipe")]).filter(
      (point) => point.kind === "buggify",
    );
    expect(found.map((point) => point.name)).toEqual(Object.keys(BACKEDPIPE_BUGGIFY_POINTS).sort());
  });
});
