/**
 * ping-pong: no acknowledged ping may be forgotten.
 * Method: ping pings pong forever while the swarm crashes, partitions, pauses and
 * clogs them (one host down at a time). Invariant (checked as the run goes): each
 * count pong answers is higher than the one before; a crash that forgot a count
 * answers a lower one. Progress: a ping is answered once every fault has healed.
 */
import { SimDiskSystem, type Scenario } from "dst-harness";
import { runPing, runPong } from "../src/ping-pong.ts";

export const pingPong: Scenario = {
  name: "ping-pong",
  description: "ping pings pong, which counts durably; no acknowledged count may be forgotten",
  safetyMs: 5_000,
  livenessMs: 5_000,
  swarm: { hosts: ["ping", "pong"], kinds: ["crash", "partition", "pause", "clog"], downAtOnceMax: 1 },
  variants: { "skip-fsync": "pong answers before its count is durable" },
  createDisks: () => new SimDiskSystem(),
  setup(context) {
    const { world } = context;
    const counts: Array<{ count: number; atMs: number }> = [];
    let checked = 0;
    world.addHost("pong", (env) => runPong(env, { skipFsync: context.variant === "skip-fsync" })).start();
    world.addHost("ping", (env) => runPing(env, (count) => counts.push({ count, atMs: world.now }))).start();
    return {
      check() {
        for (; checked < counts.length; checked++) {
          const previous = counts[checked - 1]?.count ?? 0;
          const { count } = counts[checked]!;
          if (count <= previous)
            world.violate({
              invariant: "ping-pong.count-forgotten",
              kind: "safety",
              host: "pong",
              details: `pong answered ${count} after ${previous}`,
            });
        }
      },
      progress: () => (counts.at(-1)?.atMs ?? -1) >= (context.livenessStartedAt() ?? Infinity),
      summary: () => ({ pings: counts.length, count: counts.at(-1)?.count ?? 0 }),
    };
  },
};
