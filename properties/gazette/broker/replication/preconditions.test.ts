/**
 * The append FSM's preconditions and registers, on three simulated brokers:
 * - registers: CheckRegisters against non-empty registers (REGISTER_MISMATCH
 *   leaves them unchanged on every replica), empty registers match any
 *   selector (Gazette's rule), union and subtract apply only with bytes, and a
 *   register update with an empty append is an error;
 * - offsets: a spool behind the index's end is INDEX_HAS_GREATER_OFFSET, a
 *   named offset other than the journal's maximum is WRONG_APPEND_OFFSET, the
 *   maximum itself rolls the pipeline there; a read-only journal takes empty
 *   appends (NOT_ALLOWED with content) despite the index;
 * - FRAGMENT_STORE_UNHEALTHY, INSUFFICIENT_JOURNAL_BROKERS, and a route with
 *   more members than the replication waits for the allocator.
 * Broken variant "registers-on-mismatch" makes the register test fail.
 */
import { describe, expect, it } from "vitest";
import { ErrRegisterUpdateWithEmptyAppend } from "../../../../src/impl/gazette/broker/append.ts";
import type { ReplicationBrokenVariant } from "../../../../scenarios/gazette/variants/broker.ts";
import { JOURNAL_FLAGS } from "../../../../src/impl/gazette/protocol/journal-spec.ts";
import { labelSet, parseLabelSelector } from "../../../../src/impl/gazette/protocol/labels.ts";
import { ReplicationCluster, STORE, text } from "./_support/replication-cluster.ts";

const HOSTS = ["broker-a", "broker-b", "broker-c"];

async function cluster(seed: number, brokenVariant?: ReplicationBrokenVariant): Promise<ReplicationCluster> {
  const created = new ReplicationCluster({
    seed,
    hosts: HOSTS,
    ...(brokenVariant !== undefined ? { brokenVariant } : {}),
  });
  await created.start();
  return created;
}

const registersOf = (world: ReplicationCluster) => HOSTS.map((host) => world.node(host).replica.spool.registers);

async function registerScenario(variant?: ReplicationBrokenVariant) {
  const world = await cluster(11, variant);
  const steps: Record<string, unknown> = {};
  // Empty registers match any selector.
  const first = await world.append([text("a")], {
    checkRegisters: parseLabelSelector("owner=nobody"),
    unionRegisters: labelSet("owner", "alpha"),
  });
  steps.first = first.value?.registers;
  const mismatch = await world.append([text("b")], {
    checkRegisters: parseLabelSelector("owner=beta"),
    unionRegisters: labelSet("owner", "beta"),
  });
  steps.mismatchStatus = mismatch.value?.status;
  steps.mismatchRegisters = mismatch.value?.registers;
  steps.afterMismatch = registersOf(world);
  const updated = await world.append([text("c")], {
    checkRegisters: parseLabelSelector("owner=alpha"),
    subtractRegisters: labelSet("owner", "alpha"),
    unionRegisters: labelSet("epoch", "e2"),
  });
  steps.updated = updated.value?.registers;
  steps.afterUpdate = registersOf(world);
  const empty = await world.append([], { unionRegisters: labelSet("never", "set") });
  steps.emptyError = empty.error;
  steps.afterEmpty = registersOf(world);
  return { world, steps };
}

describe("gazette broker: append preconditions and registers", () => {
  it("checks, unions and subtracts registers; REGISTER_MISMATCH leaves them unchanged everywhere", async () => {
    const { world, steps } = await registerScenario();
    const owner = labelSet("owner", "alpha");
    expect(steps.first).toEqual(owner);
    expect(steps.mismatchStatus).toBe("REGISTER_MISMATCH");
    expect(steps.mismatchRegisters).toEqual(owner);
    expect(steps.afterMismatch).toEqual([owner, owner, owner]);
    const epoch = labelSet("epoch", "e2");
    expect(steps.updated).toEqual(epoch);
    expect(steps.afterUpdate).toEqual([epoch, epoch, epoch]);
    expect(steps.emptyError).toBeInstanceOf(ErrRegisterUpdateWithEmptyAppend);
    expect(steps.afterEmpty).toEqual([epoch, epoch, epoch]);
    expect(world.problems()).toEqual([]);
  });

  it("broken variant registers-on-mismatch: a refused append changes the registers", async () => {
    const { steps } = await registerScenario("registers-on-mismatch");
    expect(steps.mismatchStatus).toBe("REGISTER_MISMATCH");
    expect(steps.afterMismatch).not.toEqual([
      labelSet("owner", "alpha"),
      labelSet("owner", "alpha"),
      labelSet("owner", "alpha"),
    ]);
  });

  it("INDEX_HAS_GREATER_OFFSET, WRONG_APPEND_OFFSET, and an explicit offset at the index's end rolls the pipeline there", async () => {
    const world = await cluster(12);
    const remote = {
      journal: world.spec.name,
      begin: 0,
      end: 500,
      sum: "ab".repeat(20),
      compressionCodec: "NONE" as const,
      backingStore: STORE,
      modTime: 1,
      pathPostfix: "",
    };
    world.node("broker-a").index.remote = [remote];
    expect((await world.append([text("x")])).value?.status).toBe("INDEX_HAS_GREATER_OFFSET");
    expect((await world.append([text("x")], { offset: 499 })).value?.status).toBe("WRONG_APPEND_OFFSET");
    const rolled = await world.append([text("at 500")], { offset: 500 });
    expect(rolled.value?.status).toBe("OK");
    expect(rolled.value?.commit?.begin).toBe(500);
    expect(world.probe("gazette.broker.explicit-offset-roll")).toBe(1);
    for (const host of HOSTS) expect(world.node(host).replica.spool.fragment).toMatchObject({ begin: 500, end: 506 });
    // Now in sync with the index: appends need no offset.
    expect((await world.append([text("!")])).value?.commit?.begin).toBe(506);
    expect((await world.append([text("x")], { offset: 500 })).value?.status).toBe("WRONG_APPEND_OFFSET");
    expect(world.problems()).toEqual([]);
  });

  it("a read-only journal takes empty appends despite a greater index offset, and refuses content with NOT_ALLOWED", async () => {
    const world = await cluster(13);
    world.spec = { ...world.spec, flags: JOURNAL_FLAGS.O_RDONLY };
    world.node("broker-a").index.remote = [
      {
        journal: world.spec.name,
        begin: 0,
        end: 64,
        sum: "cd".repeat(20),
        compressionCodec: "NONE",
        backingStore: STORE,
        modTime: 1,
        pathPostfix: "",
      },
    ];
    const empty = await world.append([]);
    expect(empty.value?.status).toBe("OK");
    expect(empty.value?.commit).toMatchObject({ begin: 0, end: 0 });
    const refused = await world.append([text("data")]);
    expect(refused.value?.status).toBe("NOT_ALLOWED");
    for (const host of HOSTS) expect(world.node(host).replica.spool.fragment.end).toBe(0);
  });

  it("FRAGMENT_STORE_UNHEALTHY, INSUFFICIENT_JOURNAL_BROKERS, and too many members waits for the allocator", async () => {
    const world = await cluster(14);
    world.storeHealthy = false;
    expect((await world.append([text("x")])).value?.status).toBe("FRAGMENT_STORE_UNHEALTHY");
    world.storeHealthy = true;
    world.setRoute(["broker-a", "broker-b"], "broker-a");
    expect((await world.append([text("x")])).value?.status).toBe("INSUFFICIENT_JOURNAL_BROKERS");
    // Four members for a replication of 2: the FSM re-resolves (at a later revision) until the route shrinks.
    world.spec = { ...world.spec, replication: 2 };
    world.setRoute(HOSTS, "broker-a");
    let resolutions = 0;
    const outcome = await world.on("broker-a", async (node) => {
      const original = world.resolution.bind(world);
      world.resolution = (host: string) => {
        if (host === "broker-a" && ++resolutions === 2) world.setRoute(["broker-a", "broker-c"], "broker-a");
        return original(host);
      };
      try {
        return await node.replica.append(
          { journal: world.spec.name, doNotProxy: false, offset: 0 },
          (async function* () {
            yield text("y");
          })(),
          original("broker-a"),
          new AbortController().signal,
        );
      } finally {
        world.resolution = original;
      }
    });
    expect(outcome.value?.status).toBe("OK");
    expect(world.probe("gazette.broker.await-desired-replicas")).toBeGreaterThanOrEqual(1);
    expect(outcome.value?.header.route.members.map((member) => member.suffix)).toEqual(["broker-a", "broker-c"]);
    expect(world.node("broker-c").replica.spool.fragment).toEqual(world.node("broker-a").replica.spool.fragment);
    expect(world.problems()).toEqual([]);
  });
});
