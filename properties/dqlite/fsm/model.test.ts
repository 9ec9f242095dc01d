/**
 * Invariant: for any plausible log of transactions from successive leaders that lose
 * leadership mid-command (the entry then committing anyway or being lost), with
 * snapshots moved between nodes, no FSM records a violation, and every node ends with
 * exactly the committed transactions' frames and no transaction or uncommitted frame
 * left. Method: the cluster model (_support/cluster-model.ts) drives real FSMs on fake
 * stores; each broken variant of the FSM is shown to fail the same property.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DQLITE_FSM_BROKEN_VARIANTS, type DqliteFsmBrokenVariant } from "../../../scenarios/dqlite/variants.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { runModel, type Step } from "./_support/cluster-model.ts";
import { stepsArbitrary } from "./_support/model-steps.ts";

const SHAPE = { nodes: 3, databases: 2, maxSteps: 25 };

/**
 * Variants the model cannot show, with the property that does: the model's leader
 * finishes its own transaction (End) as soon as its last command applies, so no
 * other command ever meets a leader transaction waiting for its hooks.
 */
const BEYOND_THE_MODEL: Partial<Record<DqliteFsmBrokenVariant, string>> = {
  "no-leader-hook-wait":
    "properties/dqlite/node/leadership-lost-after-apply.test.ts (the next leader's commit while the old leader's commit is applied but unwritten)",
};

const property = (variant?: DqliteFsmBrokenVariant) =>
  fc.asyncProperty(stepsArbitrary(SHAPE), async (steps: Step[]) => {
    const outcome = await runModel(steps, { nodes: SHAPE.nodes, databases: SHAPE.databases, variant });
    if (outcome.problems.length > 0) throw new Error(outcome.problems.join("\n"));
  });

describe("dqlite FSM model", () => {
  it("dqlite-fsm.model: no violation, followers hold exactly the committed frames", async () => {
    await fc.assert(property(), propertyParameters("dqlite-fsm.model", 150));
  });

  it("the model's logs reach every rare path of the FSM, and snapshots move", async () => {
    const hit = new Map<string, number>();
    let restores = 0;
    await fc.assert(
      fc.asyncProperty(stepsArbitrary(SHAPE), async (steps) => {
        const outcome = await runModel(steps, { nodes: SHAPE.nodes, databases: SHAPE.databases });
        for (const [name, count] of outcome.probes) hit.set(name, (hit.get(name) ?? 0) + count);
        restores += outcome.restores;
      }),
      propertyParameters("dqlite-fsm.model-coverage", 60),
    );
    expect([...hit.keys()].sort()).toEqual([
      "dqlite.fsm.checkpoint",
      "dqlite.fsm.restored-several-databases",
      "dqlite.fsm.stale-zombie-purged",
      "dqlite.fsm.surrogate-created",
      "dqlite.fsm.zombie-resurrected",
      "dqlite.fsm.zombie-undone",
    ]);
    expect(restores).toBeGreaterThan(0);
  });

  for (const variant of Object.keys(DQLITE_FSM_BROKEN_VARIANTS) as DqliteFsmBrokenVariant[]) {
    if (Object.hasOwn(BEYOND_THE_MODEL, variant)) continue;
    it(`the property catches the broken variant "${variant}"`, async () => {
      const name = `dqlite-fsm.model-catches-${variant}`;
      const outcome = await fc.check(property(variant), {
        ...propertyParameters(name, 200),
        endOnFailure: true,
        reporter: undefined,
      });
      expect(outcome.failed, `no failure in ${outcome.numRuns} runs`).toBe(true);
    });
  }
});
