/**
 * counter-quorum: the kernel's demonstration scenario.
 *
 * Goal: show that the harness catches a durability bug and passes the correct code.
 * Method: three replicas (n1 primary, n2, n3) of the quorum counter; one client
 * increments sequentially with a deadline, recording each acknowledged value
 * (each increment is traced: scenarios/harness/client-operations.ts).
 * The swarm plan partitions, clogs, pauses, skews and crashes the replicas (at most
 * one down at a time) and injects disk faults on a minority (a replica retries a
 * start that a disk error failed).
 * Invariants:
 * - counter.acknowledgements-increase (continuous): each acknowledged value is
 *   greater than every value acknowledged before it. A lost increment shows up
 *   as a repeated or smaller value.
 * - counter.acknowledged-write-lost (final): after healing, a majority of replicas
 *   holds at least the highest acknowledged value.
 * - progress: an increment is acknowledged after every fault has healed.
 * Broken variant `ack-before-fsync`: the primary acknowledges before its write is
 * durable and recovers from its own disk only; a crash of the primary loses
 * acknowledged increments.
 */
import {
  COUNTER_PORT,
  DEFAULT_COUNTER_RULES,
  runReplica,
  type CounterRules,
  type ReplicaState,
} from "../../src/impl/counter/replica.ts";
import { RpcError, type Env } from "../../src/sim/env.ts";
import type { Scenario, ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { SimDiskSystem } from "../../src/sim/disk/system.ts";
import { invokeOperation } from "../harness/client-operations.ts";

const REPLICAS = ["n1", "n2", "n3"] as const;
const INCREMENT_DEADLINE_MS = 300;

/** The counter's broken variant (src/impl/counter/replica.ts's CounterRules). */
export const COUNTER_BROKEN_VARIANTS = {
  "ack-before-fsync": "the primary acknowledges before fsync and recovers only from its own disk",
} as const;

const BROKEN_COUNTER_RULES: Readonly<Record<keyof typeof COUNTER_BROKEN_VARIANTS, CounterRules>> = {
  "ack-before-fsync": { durableBeforeAck: false, recoverFromMajority: false, ackOnMajority: false },
};

/** The replicas' rules under `variant` (their own unless it names one of COUNTER_BROKEN_VARIANTS). */
function rulesOf(variant: string | undefined): CounterRules {
  return variant !== undefined && Object.hasOwn(BROKEN_COUNTER_RULES, variant)
    ? BROKEN_COUNTER_RULES[variant as keyof typeof COUNTER_BROKEN_VARIANTS]
    : DEFAULT_COUNTER_RULES;
}

export const counterQuorum: Scenario = {
  name: "counter-quorum",
  description:
    "quorum-replicated counter under partitions, crashes, pauses and disk faults; no acknowledged increment may be lost",
  safetyMs: 10_000,
  livenessMs: 10_000,
  swarm: { hosts: REPLICAS },
  variants: COUNTER_BROKEN_VARIANTS,
  rareStates: {
    "increment-refused-without-quorum": "counter.increment-without-quorum",
    "primary-recovered-from-backups": "counter.recovered-from-backups",
  },
  createDisks: () => new SimDiskSystem(),
  setup,
};

function setup(context: ScenarioContext): ScenarioHooks {
  const { world } = context;
  const states = new Map<string, ReplicaState>();
  const options = { replicas: REPLICAS, rules: rulesOf(context.variant) };
  for (const name of REPLICAS) {
    const state: ReplicaState = { value: 0, ready: false };
    states.set(name, state);
    // A replica whose start disk errors failed START_ATTEMPTS_MAX times resolves and never serves.
    world.addHost(name, async (env) => void (await runReplica(env, options, state))).start();
  }
  const client: Client = { acknowledged: [], attempts: 0, unknown: 0 };
  const { acknowledged } = client;
  let checkedAcks = 0;
  let highest = 0;
  world.addHost("client", (env) => runClient(env, context, client)).start();

  return {
    check: () => {
      for (; checkedAcks < acknowledged.length; checkedAcks++) {
        const ack = acknowledged[checkedAcks] as { value: number };
        if (ack.value <= highest) {
          world.violate({
            invariant: "counter.acknowledgements-increase",
            kind: "safety",
            host: "client",
            details: `acknowledged value ${ack.value} after ${highest} was acknowledged: an acknowledged increment was lost`,
          });
        }
        highest = Math.max(highest, ack.value);
      }
    },
    progress: () => {
      const since = context.livenessStartedAt();
      const last = acknowledged[acknowledged.length - 1];
      return since !== undefined && last !== undefined && last.time >= since;
    },
    finish: () => {
      const values = REPLICAS.map((name) => (states.get(name) as ReplicaState).value).sort((a, b) => b - a);
      const majorityValue = values[Math.floor(REPLICAS.length / 2)] as number;
      if (majorityValue < highest) {
        world.violate({
          invariant: "counter.acknowledged-write-lost",
          kind: "safety",
          details: `a majority holds only ${majorityValue} but ${highest} was acknowledged (replicas: ${values.join(", ")})`,
        });
      }
    },
    summary: () => ({ attempts: client.attempts, acknowledged: acknowledged.length, unknown: client.unknown, highest }),
  };
}

/** What the client saw: each acknowledged value and when, its attempts, and those whose outcome it never learnt. */
interface Client {
  readonly acknowledged: Array<{ value: number; time: number }>;
  attempts: number;
  unknown: number;
}

/** Increments through the primary (REPLICAS[0]) forever, with a pause between attempts. */
async function runClient(env: Env, context: ScenarioContext, client: Client): Promise<never> {
  while (true) {
    client.attempts++;
    const traced = invokeOperation(env, "increment");
    try {
      const reply = await env.rpc.call(
        REPLICAS[0],
        COUNTER_PORT,
        "increment",
        {},
        { deadlineMs: INCREMENT_DEADLINE_MS },
      );
      const value = (reply as { value: number }).value;
      client.acknowledged.push({ value, time: context.world.now });
      traced.ok({ value });
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      traced.failedWith(error, true);
      client.unknown++;
      await env.clock.sleep(context.random.int(20, 100));
    }
    await env.clock.sleep(context.random.int(5, 30));
  }
}
