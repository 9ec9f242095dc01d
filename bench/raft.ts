/**
 * Raft benchmarks: commands committed (and applied) per wall second by a 3- and a
 * 5-server RaftNode cluster with a KvFsm, no faults, on the simulator; beside the
 * same number of commands applied to the KvFsm directly (no Raft, no simulator).
 * Also how many simulated seconds each wall second runs, loaded and idle (5 KV
 * servers with the raft-kv defaults and no client: heartbeats, elections timers).
 */
import { encodeCommand, KvFsm, runKvServer, type KvServer } from "../src/impl/raft-kv/index.ts";
import { createSimDisks } from "../src/sim/disk/system.ts";
import type { Env } from "../src/sim/env.ts";
import { runScenario, type Scenario } from "../src/sim/runner.ts";
import type { BenchSection, BenchRow } from "./lib.ts";
import { timeBest } from "./lib.ts";

const SIMULATED_MS = 1_000;
/** Commands a leader keeps in flight at once. */
const IN_FLIGHT = 32;

/** A fault-free scenario whose leader applies puts, IN_FLIGHT at a time. */
function throughputScenario(servers: readonly string[], committed: { count: number }): Scenario {
  const leaderLoop = async (env: Env, server: KvServer, worker: number) => {
    let counter = 0;
    while (server.node.state() !== "Shutdown") {
      if (server.node.state() !== "Leader") {
        await env.clock.sleep(10);
        continue;
      }
      const data = encodeCommand({
        kind: "put",
        id: `${env.host}/${worker}/${++counter}`,
        key: `k${counter % 16}`,
        value: String(counter),
      });
      try {
        await server.node.apply(data);
        committed.count++;
      } catch {
        await env.clock.sleep(10);
      }
    }
  };
  return {
    name: `raft-bench-${servers.length}`,
    description: "benchmark: fault-free throughput",
    safetyMs: SIMULATED_MS,
    livenessMs: 1,
    createDisks: () => createSimDisks(),
    setup: (context) => {
      for (const host of servers) {
        context.world
          .addHost(host, async (env) => {
            const server = await runKvServer(env, { raft: { bootstrapVoters: servers } });
            await Promise.all(Array.from({ length: IN_FLIGHT }, (_, worker) => leaderLoop(env, server, worker)));
          })
          .start();
      }
      return { progress: () => true };
    },
  };
}

async function clusterRows(size: number): Promise<{ rows: BenchRow[]; commands: number }> {
  const servers = Array.from({ length: size }, (_, position) => `n${position + 1}`);
  const committed = { count: 0 };
  let virtualMs = 0;
  const wallMs = await timeBest(async () => {
    committed.count = 0;
    const result = await runScenario(throughputScenario(servers, committed), {
      seed: 1,
      faults: { version: 1, faults: [] },
      wireMode: "objects",
    });
    virtualMs = result.stats.virtualTimeMs;
  }, 2);
  const direct = directAppliesPerSecond(committed.count);
  return {
    commands: committed.count,
    rows: [
      {
        name: `${size} servers: commands committed per wall second`,
        value: committed.count / (wallMs / 1000),
        unit: "commands/s",
        baseline: direct,
        baselineName: "KvFsm.apply directly",
      },
      { name: `${size} servers: simulated seconds per wall second`, value: virtualMs / wallMs, unit: "sim s/s" },
    ],
  };
}

/** The same number of puts applied to a KvFsm directly, per wall second. */
function directAppliesPerSecond(commands: number): number {
  const count = Math.max(commands, 1);
  const entries = Array.from({ length: count }, (_, index) =>
    encodeCommand({ kind: "put", id: `d/${index}`, key: `k${index % 16}`, value: String(index) }),
  );
  let best = Number.POSITIVE_INFINITY;
  for (let repeat = 0; repeat < 3; repeat++) {
    const fsm = new KvFsm();
    const start = performance.now();
    entries.forEach((data, index) => fsm.apply({ index: index + 1, term: 1, data }));
    best = Math.min(best, performance.now() - start);
  }
  return count / (Math.max(best, 0.001) / 1000);
}

/** Simulated time of the idle run, in ms. */
const IDLE_SIMULATED_MS = 300_000;

/** Five KV servers with no client for IDLE_SIMULATED_MS: simulated seconds per wall second. */
async function idleClusterRow(): Promise<BenchRow> {
  const servers = ["n1", "n2", "n3", "n4", "n5"];
  const idle: Scenario = {
    name: "raft-bench-idle",
    description: "benchmark: an idle cluster",
    safetyMs: IDLE_SIMULATED_MS,
    livenessMs: 1,
    maxEvents: 10_000_000,
    createDisks: () => createSimDisks(),
    setup: (context) => {
      for (const host of servers) {
        context.world
          .addHost(host, async (env) => {
            await runKvServer(env, { raft: { bootstrapVoters: servers } });
          })
          .start();
      }
      return { progress: () => true };
    },
  };
  let virtualMs = 0;
  const wallMs = await timeBest(async () => {
    const result = await runScenario(idle, { seed: 1, faults: { version: 1, faults: [] }, wireMode: "objects" });
    virtualMs = result.stats.virtualTimeMs;
  }, 2);
  return {
    name: "5 servers, idle: simulated seconds per wall second",
    value: virtualMs / wallMs,
    unit: "sim s/s",
    baseline: 1,
    baselineName: "real time",
  };
}

export async function benchRaft(): Promise<BenchSection> {
  const three = await clusterRows(3);
  const five = await clusterRows(5);
  const idle = await idleClusterRow();
  return {
    title: "raft (KV store on RaftNode, no faults)",
    rows: [...three.rows, ...five.rows, idle],
    notes: [
      `${SIMULATED_MS} simulated ms per run, ${IN_FLIGHT} commands in flight at the leader; ${three.commands} (3 servers) and ${five.commands} (5 servers) commands committed per run. The idle cluster runs ${IDLE_SIMULATED_MS / 1000} simulated s. RPC frames cross as objects (the swarm's usual pick).`,
    ],
  };
}
