/**
 * The client side of the raft-kv scenarios: client hosts, each running KvClient
 * operations one at a time (random get, put and cas on a few keys, unique values),
 * recorded in one Jepsen-style history at true virtual time and traced as client
 * operations (scenarios/harness/client-operations.ts); and the final check
 * of that history for linearizability, per key.
 *
 * A client whose write ended "info" (outcome unknown) continues as a new process,
 * as Jepsen's do. Clients stop invoking once `stop()` holds.
 */
import { KvClient, type KvOutcome } from "../../src/impl/raft-kv/index.ts";
import type { Env } from "../../src/sim/env.ts";
import type { ScenarioContext } from "../../src/sim/runner.ts";
import { TracedHistory } from "../harness/client-operations.ts";
import { checkHistoryLinearizable } from "../harness/history-check.ts";
import { raftKvModel, type RaftKvInput, type RaftKvOutput } from "../harness/kv-model.ts";

/** Search steps of the final check at most (an "unknown" verdict is reported as liveness). */
export const LINEARIZABILITY_STEPS_MAX = 4_000_000;

export interface KvWorkloadOptions {
  readonly clients: readonly string[];
  readonly servers: readonly string[];
  readonly keys: readonly string[];
  /** Pause between one client's operations, in ms: drawn in [0, thinkMsMax]. */
  readonly thinkMsMax: number;
  readonly stop: () => boolean;
  /** KvClient timeouts (defaults: 600 ms per operation, 250 ms per call). */
  readonly operationTimeoutMs?: number;
  readonly callDeadlineMs?: number;
}

/** What the clients record as they run. */
export interface KvWorkload {
  readonly recorder: TracedHistory<RaftKvInput, RaftKvOutput>;
  readonly counts: { ok: number; fail: number; info: number };
  /** Each client's operation in flight, by host. */
  readonly inFlight: Map<string, RaftKvInput>;
  /** True virtual time of the last ok operation. */
  lastOkAt: number | undefined;
  /** The command id and reason of every write whose outcome is unknown. */
  readonly unknownWrites: Array<{ readonly id: string; readonly reason: string }>;
}

export function startKvWorkload(context: ScenarioContext, options: KvWorkloadOptions): KvWorkload {
  const workload: KvWorkload = {
    recorder: new TracedHistory(),
    counts: { ok: 0, fail: 0, info: 0 },
    lastOkAt: undefined,
    unknownWrites: [],
    inFlight: new Map(),
  };
  for (const host of options.clients)
    context.world.addHost(host, (env) => clientLoop(env, context, options, workload)).start();
  return workload;
}

async function clientLoop(
  env: Env,
  context: ScenarioContext,
  options: KvWorkloadOptions,
  workload: KvWorkload,
): Promise<void> {
  const client = new KvClient(env, {
    servers: options.servers,
    operationTimeoutMs: options.operationTimeoutMs ?? 600,
    callDeadlineMs: options.callDeadlineMs ?? 250,
  });
  const lastSeen = new Map<string, string | null>();
  let generation = 0;
  let counter = 0;
  while (!options.stop()) {
    const key = env.random.pick(options.keys);
    const input = chooseInput(env, key, lastSeen.get(key) ?? null, `${env.host}-${++counter}`);
    const process = `${env.host}/${env.lifetime.incarnation}/${generation}`;
    const handle = workload.recorder.invoke(env, process, input, context.world.now);
    workload.inFlight.set(env.host, input);
    const outcome = await runInput(client, input);
    workload.inFlight.delete(env.host);
    const now = context.world.now;
    if (outcome.type === "ok") {
      workload.recorder.ok(handle, outcome.value, now);
      workload.counts.ok++;
      workload.lastOkAt = now;
      if (input.f === "get") lastSeen.set(key, outcome.value as string | null);
      else if (input.f === "put" || outcome.value === true)
        lastSeen.set(key, input.f === "put" ? input.value : input.value[1]);
    } else if (outcome.type === "fail") {
      workload.recorder.fail(handle, now, outcome.reason);
      workload.counts.fail++;
    } else {
      workload.recorder.info(handle, now, outcome.reason);
      workload.counts.info++;
      workload.unknownWrites.push({ id: client.lastCommandId ?? "?", reason: outcome.reason });
      generation++;
    }
    await env.clock.sleep(env.random.int(0, options.thinkMsMax));
  }
}

function chooseInput(env: Env, key: string, seen: string | null, fresh: string): RaftKvInput {
  const draw = env.random.next();
  if (draw < 0.4) return { f: "get", key, value: null };
  if (draw < 0.7) return { f: "put", key, value: fresh };
  return { f: "cas", key, value: [seen, fresh] };
}

async function runInput(client: KvClient, input: RaftKvInput): Promise<KvOutcome<RaftKvOutput>> {
  switch (input.f) {
    case "get":
      return client.get(input.key);
    case "put":
      return client.put(input.key, input.value);
    case "cas":
      return client.cas(input.key, input.value[0], input.value[1]);
  }
}

/**
 * Checks the history; reports "raft-kv.linearizable" (safety) or, when the search ran out,
 * "raft-kv.linearizability-unknown" (liveness).
 */
export function checkHistory(context: ScenarioContext, workload: KvWorkload): void {
  checkHistoryLinearizable(context, workload.recorder.history(), {
    system: "raft-kv",
    model: raftKvModel,
    stepsMax: LINEARIZABILITY_STEPS_MAX,
  });
}
