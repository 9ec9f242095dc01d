/**
 * etcd benchmarks: puts acknowledged per wall second by a 3-member etcd cluster
 * (src/impl/etcd) on the simulator, no faults, from one client host keeping
 * IN_FLIGHT puts in flight through EtcdClient (RPC, Raft, FSM, response); beside
 * the same number of put commands applied to an EtcdFsm directly (no Raft, no
 * simulator). Also how many simulated seconds each wall second runs.
 */
import { encodeCommand, EtcdClient, EtcdError, EtcdFsm, runEtcdServer, toBytes } from "../src/impl/etcd/index.ts";
import { createSimDisks } from "../src/sim/disk/system.ts";
import type { Env } from "../src/sim/env.ts";
import { runScenario, type Scenario } from "../src/sim/runner.ts";
import type { BenchSection } from "./lib.ts";
import { timeBest } from "./lib.ts";

const SIMULATED_MS = 1_000;
const IN_FLIGHT = 32;
const SERVERS = ["n1", "n2", "n3"] as const;

function throughputScenario(acknowledged: { count: number }): Scenario {
  const worker = async (client: EtcdClient, worker: number) => {
    for (let counter = 0; ; counter++) {
      try {
        await client.put(`k${(worker * 7 + counter) % 16}`, String(counter));
        acknowledged.count++;
      } catch (error) {
        if (!(error instanceof EtcdError)) throw error;
        await client.env.clock.sleep(10);
      }
    }
  };
  return {
    name: "etcd-bench",
    description: "benchmark: fault-free put throughput",
    safetyMs: SIMULATED_MS,
    livenessMs: 1,
    createDisks: () => createSimDisks(),
    setup: (context) => {
      for (const host of SERVERS)
        context.world
          .addHost(host, async (env) => void (await runEtcdServer(env, { raft: { bootstrapVoters: SERVERS } })))
          .start();
      context.world
        .addHost("c1", async (env: Env) => {
          const client = new EtcdClient(env, { endpoints: SERVERS, operationTimeoutMs: 1_000 });
          await Promise.all(Array.from({ length: IN_FLIGHT }, (_, index) => worker(client, index)));
        })
        .start();
      return { progress: () => true };
    },
  };
}

/** The same number of puts applied to an EtcdFsm directly, per wall second. */
function directAppliesPerSecond(commands: number): number {
  const count = Math.max(commands, 1);
  const entries = Array.from({ length: count }, (_, index) =>
    encodeCommand({ type: "put", request: { key: toBytes(`k${index % 16}`), value: toBytes(String(index)) } }),
  );
  let best = Number.POSITIVE_INFINITY;
  for (let repeat = 0; repeat < 3; repeat++) {
    const fsm = new EtcdFsm({ clusterId: 1, memberId: 1 });
    const start = performance.now();
    entries.forEach((data, index) => fsm.apply({ index: index + 1, term: 1, data }));
    best = Math.min(best, performance.now() - start);
  }
  return count / (Math.max(best, 0.001) / 1000);
}

export async function benchEtcd(): Promise<BenchSection> {
  const acknowledged = { count: 0 };
  let virtualMs = 0;
  const wallMs = await timeBest(async () => {
    acknowledged.count = 0;
    const result = await runScenario(throughputScenario(acknowledged), { seed: 1, faults: { version: 1, faults: [] } });
    virtualMs = result.stats.virtualTimeMs;
  }, 2);
  return {
    title: "etcd (3 members on RaftNode, no faults)",
    rows: [
      {
        name: "3 members: puts acknowledged per wall second",
        value: acknowledged.count / (wallMs / 1000),
        unit: "puts/s",
        baseline: directAppliesPerSecond(acknowledged.count),
        baselineName: "EtcdFsm.apply directly",
      },
      { name: "3 members: simulated seconds per wall second", value: virtualMs / wallMs, unit: "sim s/s" },
    ],
    notes: [
      `${SIMULATED_MS} simulated ms per run, ${IN_FLIGHT} puts in flight from one EtcdClient; ${acknowledged.count} puts acknowledged per run (MVCC history kept: no compaction).`,
    ],
  };
}
