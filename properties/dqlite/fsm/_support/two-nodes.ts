/**
 * A leader and a follower sharing one log, for example tests that follow the seed's
 * comments step by step: `commit` applies an entry on both nodes (what Raft does
 * with a committed entry), `applyOn` on one node only.
 */
import { expect } from "vitest";
import type { FsmApplyError } from "../../../../src/impl/dqlite/fsm/errors.ts";
import type { DqliteFsmBrokenVariant } from "../../../../scenarios/dqlite/variants.ts";
import type { Command } from "../../../../src/impl/dqlite/types.ts";
import { FsmNode, TestLog } from "./fsm-node.ts";

export const DB = "app.db";

export class TwoNodes {
  readonly log = new TestLog();
  readonly leader: FsmNode;
  readonly follower: FsmNode;

  private constructor(variant?: DqliteFsmBrokenVariant) {
    this.leader = new FsmNode("leader", variant);
    this.follower = new FsmNode("follower", variant);
  }

  /** Opens DB on both nodes, whose FSMs run `variant` (scenarios/dqlite/variants.ts) when given. */
  static async start(options: { readonly variant?: DqliteFsmBrokenVariant } = {}): Promise<TwoNodes> {
    const nodes = new TwoNodes(options.variant);
    await nodes.commit({ kind: "open", name: DB });
    return nodes;
  }

  /** Applies a committed entry on both nodes; both must succeed. */
  async commit(command: Command): Promise<void> {
    const record = this.log.record(command);
    for (const node of [this.leader, this.follower]) {
      const result = await node.apply(record);
      expect(result?.message, node.name).toBeUndefined();
    }
  }

  /** Applies an entry on one node and returns what apply resolved to. */
  applyOn(node: FsmNode, command: Command): Promise<FsmApplyError | undefined> {
    return node.apply(this.log.record(command));
  }
}
