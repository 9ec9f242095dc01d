/**
 * A fault-injected run of a three-server RaftNode cluster through the runner
 * (src/sim/runner.ts), for end-to-end properties; not a named scenario yet (the
 * KV scenarios come next).
 *
 * Method: each host runs a RaftNode with a RecordingFsm under the cluster kits'
 * supervisor (scenarios/harness/supervisor.ts), which starts it again after a fatal
 * disk failure or a failed start; while it leads, it applies commands. The
 * swarm's fault plan partitions, clogs, pauses, skews clocks, crashes (a minority
 * at once) and injects disk faults (EIO, torn writes) on a minority.
 * Invariants:
 * - raft.election-safety (continuous): at most one leader per term;
 * - Raft's safety properties across the nodes (continuous), from their observers (the kits' checker);
 * - raft.state-machine-safety (continuous): no two servers apply different commands at one index;
 * - raft.acknowledged-write-lost (final): the server that acknowledged the last
 *   command holds every acknowledged command, and a command acknowledged before
 *   another was invoked comes first (real-time order);
 * - progress: a command is acknowledged after every fault has healed.
 */
import { RaftNode, type RaftNodeOptions } from "../../../src/impl/raft/index.ts";
import type { RaftSafetyChecker } from "../../../src/impl/raft/testing/safety-checker.ts";
import type { Env } from "../../../src/sim/env.ts";
import { SimDiskSystem } from "../../../src/sim/disk/system.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../../src/sim/runner.ts";
import {
  newRaftSafety,
  observeElectionSafety,
  raftObserverOf,
  reportClusterProblems,
  type ClusterProblem,
} from "../../../scenarios/harness/cluster-records.ts";
import { recordApplied } from "../../../scenarios/harness/raft-server.ts";
import { supervise } from "../../../scenarios/harness/supervisor.ts";
import { command, RecordingFsm } from "./recording-fsm.ts";

const SERVERS = ["n1", "n2", "n3"] as const;

interface Shared {
  readonly leadersByTerm: Map<number, string>;
  readonly appliedAt: Map<number, string>;
  /** Acknowledged commands, with when they were invoked and acknowledged. */
  readonly acknowledged: Array<{ text: string; host: string; invokedAt: number; time: number }>;
  readonly fsms: Map<string, RecordingFsm>;
  readonly problems: ClusterProblem[];
  readonly raftSafety: RaftSafetyChecker;
  attempts: number;
  failures: Record<string, number>;
}

export function nodeScenario(
  options: { readonly node?: Partial<Omit<RaftNodeOptions, "fsm">>; readonly safetyMs?: number } = {},
): Scenario {
  return {
    name: "raft-node-cluster",
    description: "three RaftNodes under the swarm's faults; no acknowledged command may be lost",
    safetyMs: options.safetyMs ?? 4_000,
    livenessMs: 6_000,
    swarm: { hosts: SERVERS },
    createDisks: () => new SimDiskSystem(),
    setup: (context) => setup(context, options.node ?? {}),
  };
}

function setup(context: ScenarioContext, nodeOptions: Partial<Omit<RaftNodeOptions, "fsm">>): ScenarioHooks {
  const shared: Shared = {
    leadersByTerm: new Map(),
    appliedAt: new Map(),
    acknowledged: [],
    fsms: new Map(),
    problems: [],
    raftSafety: newRaftSafety(),
    attempts: 0,
    failures: {},
  };
  // True virtual time (host clocks may be skewed): the checker's clock, never the system's.
  const now = () => context.world.now;
  for (const host of SERVERS)
    context.world.addHost(host, (env) => superviseNode(env, shared, nodeOptions, now)).start();
  let reported = 0;
  return {
    check: () => {
      reported = reportClusterProblems(context, shared, reported);
    },
    progress: () => {
      const since = context.livenessStartedAt();
      const last = shared.acknowledged[shared.acknowledged.length - 1];
      return since !== undefined && last !== undefined && last.time >= since;
    },
    finish: () => {
      const last = shared.acknowledged[shared.acknowledged.length - 1];
      if (last === undefined) return;
      const held = shared.fsms.get(last.host)?.commands ?? [];
      const positions = shared.acknowledged.map((ack) => held.indexOf(ack.text));
      const missing = shared.acknowledged.filter((_, position) => positions[position] === -1).map((ack) => ack.text);
      const ordered = shared.acknowledged.every((earlier, first) =>
        shared.acknowledged.every(
          (later, second) =>
            !(earlier.time < later.invokedAt) || (positions[first] as number) < (positions[second] as number),
        ),
      );
      if (missing.length > 0 || !ordered) {
        context.world.violate({
          invariant: "raft.acknowledged-write-lost",
          kind: "safety",
          host: last.host,
          details:
            missing.length > 0
              ? `acknowledged but not applied: ${missing.slice(0, 5).join(", ")}`
              : "acknowledged commands applied out of order",
        });
      }
    },
    summary: () => ({ attempts: shared.attempts, acknowledged: shared.acknowledged.length, ...shared.failures }),
  };
}

/** Runs the node under the supervisor (started again after a fatal failure), and applies commands while it leads. */
async function superviseNode(
  env: Env,
  shared: Shared,
  nodeOptions: Partial<Omit<RaftNodeOptions, "fsm">>,
  now: () => number,
): Promise<void> {
  let starts = 0;
  await supervise(env, shared.failures, {
    start: async () => {
      const fsm = new RecordingFsm((index, text) =>
        recordApplied(shared, env.host, index, JSON.stringify(text), "raft.state-machine-safety"),
      );
      const observer = raftObserverOf(shared, env.host, env.hash.crc32);
      const node = await RaftNode.start(env, { ...nodeOptions, fsm, bootstrapVoters: SERVERS, observer });
      return { node, fsm };
    },
    run: async ({ node, fsm }) => {
      shared.fsms.set(env.host, fsm);
      observeElectionSafety(node, env.host, shared, "raft.election-safety");
      const prefix = `${env.host}/${env.lifetime.incarnation}/${starts++}`;
      const workload = applyWhileLeading(env, node, shared, now, prefix);
      const reason = await node.terminated;
      await workload;
      return reason?.name;
    },
  });
}

/** Commands are `${prefix}/${counter}`: unique in the run. */
async function applyWhileLeading(
  env: Env,
  node: RaftNode,
  shared: Shared,
  now: () => number,
  prefix: string,
): Promise<void> {
  let counter = 0;
  while (node.state() !== "Shutdown") {
    if (node.state() === "Leader") {
      const text = `${prefix}/${++counter}`;
      shared.attempts++;
      const invokedAt = now();
      try {
        await node.apply(command(text), 200);
        shared.acknowledged.push({ text, host: env.host, invokedAt, time: now() });
      } catch (error) {
        const name = error instanceof Error ? error.name : "unknown";
        shared.failures[name] = (shared.failures[name] ?? 0) + 1;
      }
    }
    await env.clock.sleep(env.random.int(5, 30));
  }
}
