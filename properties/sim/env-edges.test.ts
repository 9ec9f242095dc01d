/**
 * The Env's sharp edges, one example each: a reply to a datagram's `fromPort`
 * reaches the sender; `env.trace("app.x")` is recorded as `app.x`, not `app.app.x`;
 * the swarm never picks disk faults for a scenario whose hosts have no disks.
 */
import { describe, expect, it } from "vitest";
import { runScenario, type Scenario } from "../../src/sim/runner.ts";
import { World } from "../../src/sim/world.ts";

describe("sim: the Env's edges", () => {
  it("answers a datagram at its fromPort: the sender's own port, or the destination port by default (seed 1)", async () => {
    const world = new World({ seed: 1 });
    const replies: string[] = [];
    world
      .addHost("server", async (env) => {
        env.net.onDatagram(53, (datagram) =>
          env.net.sendDatagram(datagram.from, datagram.fromPort, new Uint8Array([datagram.payload[0] as number]), {
            fromPort: 53,
          }),
        );
      })
      .start();
    world
      .addHost("client", async (env) => {
        env.net.onDatagram(4000, (datagram) =>
          replies.push(`4000 got ${datagram.payload[0]} from ${datagram.from}:${datagram.fromPort}`),
        );
        env.net.onDatagram(53, (datagram) =>
          replies.push(`53 got ${datagram.payload[0]} from ${datagram.from}:${datagram.fromPort}`),
        );
        await env.clock.sleep(1);
        env.net.sendDatagram("server", 53, new Uint8Array([1]), { fromPort: 4000 });
        env.net.sendDatagram("server", 53, new Uint8Array([2]));
      })
      .start();
    await world.scheduler.run({ untilTime: 100 });
    expect(replies.sort()).toEqual(["4000 got 1 from server:53", "53 got 2 from server:53"]);
  });

  it("records env.trace kinds under app. once (seed 1)", async () => {
    const world = new World({ seed: 1, trace: { keepRecords: true } });
    world
      .addHost("h", async (env) => {
        env.trace("x", { n: 1 });
        env.trace("app.y", { n: 2 });
      })
      .start();
    await world.scheduler.run({ untilTime: 10 });
    expect(
      (world.trace.records ?? [])
        .filter((record) => record.kind.includes(".x") || record.kind.includes(".y"))
        .map((record) => record.kind),
    ).toEqual(["app.x", "app.y"]);
  });

  it("never picks disk faults for a scenario without disks (seeds 1-40)", async () => {
    const diskless: Scenario = {
      name: "sim-diskless",
      description: "hosts without disks",
      safetyMs: 1_000,
      livenessMs: 1,
      swarm: { hosts: ["a", "b", "c"] },
      setup: (context) => {
        for (const host of ["a", "b", "c"]) context.world.addHost(host, async () => undefined).start();
        return { progress: () => true };
      },
    };
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const result = await runScenario(diskless, { seed });
      for (const fault of result.faultPlan.faults) kinds.add(fault.kind);
      expect((result.faultPlan.origin?.swarm as { enabled: string[] }).enabled).not.toContain("disk-faults");
    }
    expect(kinds.has("crash")).toBe(true);
    expect(kinds.has("disk-faults")).toBe(false);
  });
});
