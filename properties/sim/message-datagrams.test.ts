/**
 * Messages sent as datagrams on the RPC's object wire (notifications with
 * `datagram: true`) suffer exactly the link's quality, judged from what the sender
 * sent and the receiver got (never from the kernel's own link table): nothing
 * arrives that was not sent, or changed; nothing arrives more than twice; with no
 * loss everything arrives, with no duplication nothing twice, and with no
 * reordering everything in the order sent. Shown failing on links that lose,
 * duplicate or reorder whatever their quality says.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WireValue } from "../../src/sim/env.ts";
import { World, type WorldOptions } from "../../src/sim/world.ts";
import { propertyParameters, seedFromName } from "../_support/fast-check.ts";
import { duplicatingLinksWorld, lossyLinksWorld, reorderingDatagramsWorld } from "./_fixtures/kernel-networks.ts";
import type { WorldFactory } from "./_support/world-factory.ts";

const PORT = 7300;
const MESSAGES = 60;

interface Run {
  readonly seed: number;
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
  /** Virtual ms between two sends. */
  readonly gapMs: number;
}

const runArbitrary: fc.Arbitrary<Run> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  loss: fc.constantFrom(0, 0, 0.1, 0.3),
  duplicate: fc.constantFrom(0, 0, 0.1, 0.3),
  reorder: fc.constantFrom(0, 0, 0.3, 0.8),
  gapMs: fc.constantFrom(0, 0.2, 1),
});

/** Sends MESSAGES numbered datagram notifications from a to b; returns the problems with what b got. */
async function problemsOf(run: Run, makeWorld: WorldFactory): Promise<string[]> {
  const options: WorldOptions = { seed: run.seed, wireMode: "objects" };
  const world = makeWorld(options);
  world.links.setQuality({
    lossProbability: run.loss,
    duplicateProbability: run.duplicate,
    reorderProbability: run.reorder,
  });
  const got: number[] = [];
  const problems: string[] = [];
  world
    .addHost("b", async (env) => {
      env.rpc.serve(PORT).notification("note", (message) => {
        const { n, text } = message as { n: number; text: string };
        if (text !== `message ${n}`) problems.push(`message ${n} arrived as ${JSON.stringify(message)}`);
        got.push(n);
      });
    })
    .start();
  world
    .addHost("a", async (env) => {
      await env.clock.sleep(1);
      for (let n = 0; n < MESSAGES; n++) {
        const payload: WireValue = { n, text: `message ${n}` };
        if (!env.rpc.notify("b", PORT, "note", payload, { datagram: true }))
          problems.push(`message ${n} refused at once`);
        if (run.gapMs > 0) await env.clock.sleep(run.gapMs);
      }
    })
    .start();
  await world.scheduler.run({ untilTime: 5_000 });
  const counts = new Map<number, number>();
  for (const n of got) counts.set(n, (counts.get(n) ?? 0) + 1);
  for (const [n, count] of counts) {
    if (n < 0 || n >= MESSAGES) problems.push(`message ${n} was never sent`);
    if (count > 2) problems.push(`message ${n} arrived ${count} times`);
    if (count > 1 && run.duplicate === 0) problems.push(`message ${n} arrived twice with no duplication on the link`);
  }
  if (run.loss === 0 && counts.size !== MESSAGES)
    problems.push(`${MESSAGES - counts.size} messages lost with no loss on the link`);
  if (
    run.reorder === 0 &&
    run.duplicate === 0 &&
    got.some((n, position) => position > 0 && n < (got[position - 1] as number))
  ) {
    problems.push(`messages reordered with no reordering on the link: ${got.join(",")}`);
  }
  return problems;
}

const realWorld: WorldFactory = (options) => new World(options);

describe("sim: messages sent as datagrams", () => {
  const name = "sim message datagrams: lost, duplicated and reordered only as the link's quality says";
  it(name, async () => {
    await fc.assert(
      fc.asyncProperty(runArbitrary, async (run) => {
        expect(await problemsOf(run, realWorld)).toEqual([]);
      }),
      propertyParameters(name, 150),
    );
  });

  it("fails on links that lose, duplicate or reorder whatever their quality says", async () => {
    for (const [label, makeWorld] of [
      ["lossy", lossyLinksWorld],
      ["duplicating", duplicatingLinksWorld],
      ["reordering", reorderingDatagramsWorld],
    ] as const) {
      const details = await fc.check(
        fc.asyncProperty(runArbitrary, async (run) => (await problemsOf(run, makeWorld)).length === 0),
        { seed: seedFromName(`message datagrams: ${label}`), numRuns: 150 },
      );
      expect(details.failed, label).toBe(true);
    }
  });

  it("keep to the connection on the frames wire: in order, once, whatever the link's quality (seed 1)", async () => {
    const world = new World({ seed: 1, wireMode: "frames" });
    world.links.setQuality({ lossProbability: 0.5, duplicateProbability: 0.5, reorderProbability: 0.9 });
    const got: number[] = [];
    world
      .addHost("b", async (env) => {
        env.rpc.serve(PORT).notification("note", (message) => {
          got.push((message as { n: number }).n);
        });
      })
      .start();
    world
      .addHost("a", async (env) => {
        await env.clock.sleep(1);
        for (let n = 0; n < 20; n++) env.rpc.notify("b", PORT, "note", { n }, { datagram: true });
      })
      .start();
    await world.scheduler.run({ untilTime: 1_000 });
    expect(got).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });
});
