/**
 * A quorum-replicated counter: the demonstration system of the kernel.
 *
 * Replica 0 is the primary. An increment is made durable on the primary (write +
 * fsync), replicated to the backups (each makes it durable), and acknowledged only
 * once a majority, the primary included, holds it. A restarted primary recovers
 * the highest value held by a majority before serving, so no acknowledged
 * increment is ever lost while a majority of disks survives.
 *
 * Faults: a disk error while starting (reading the value, or the primary writing
 * what it recovered) fails that start attempt, and the replica tries again after
 * START_RETRY_BACKOFF_MS, START_ATTEMPTS_MAX times at most before it gives up and
 * never becomes ready (a disk that cannot be read). A disk error while serving fails that
 * request only. The value carries no checksum: corruption on read is out of scope.
 *
 * A seam for the demonstration's broken variant: CounterOptions.rules (CounterRules,
 * DEFAULT_COUNTER_RULES by default). The variant that acknowledges after a volatile
 * local write and recovers from its own disk only (the classic bug the harness must
 * catch) lives with its scenario, scenarios/counter/quorum.ts.
 */
import { DiskError, RpcError, type Env, type RpcServer, type WireValue } from "../../sim/env.ts";
import { assert } from "../../sim/assert.ts";

export const COUNTER_PORT = 7000;
const VALUE_PATH = "/counter";
/** Deadline for replication calls between replicas. */
export const REPLICATE_DEADLINE_MS = 200;
/** Increments waiting behind the one in progress before new ones are refused. */
export const INCREMENT_QUEUE_MAX = 64;
/** Start attempts failed by disk errors before a replica gives up. */
export const START_ATTEMPTS_MAX = 20;
/** Wait before a start attempt that follows one a disk error failed. */
export const START_RETRY_BACKOFF_MS = 100;

export interface CounterOptions {
  replicas: readonly string[];
  /** How a replica keeps its promises (a seam for the demonstration's broken variant); DEFAULT_COUNTER_RULES. */
  rules?: CounterRules;
}

/** The replicas' decisions that keep an acknowledged increment safe. */
export interface CounterRules {
  /** Whether a replica writes a value durably (written, fsynced, renamed into place) before it acknowledges it. */
  readonly durableBeforeAck: boolean;
  /** Whether a (re)started primary adopts the highest value a majority holds before it serves. */
  readonly recoverFromMajority: boolean;
  /** Whether an increment is acknowledged only once a majority holds it (else at once, replicated behind it). */
  readonly ackOnMajority: boolean;
}

/** The counter's own rules: durable before acknowledged, recovered from a majority, acknowledged by a majority. */
export const DEFAULT_COUNTER_RULES: CounterRules = Object.freeze({
  durableBeforeAck: true,
  recoverFromMajority: true,
  ackOnMajority: true,
});

/** In-memory state, exposed so scenario invariants can observe it. */
export interface ReplicaState {
  value: number;
  ready: boolean;
}

/**
 * Runs one replica: loads its value, serves, and (the primary) recovers before it
 * takes increments. Resolves once it serves, or with the disk error that failed its
 * last start attempt when START_ATTEMPTS_MAX attempts failed (it then never becomes ready).
 */
export async function runReplica(
  env: Env,
  options: CounterOptions,
  state: ReplicaState,
): Promise<DiskError | undefined> {
  const isPrimary = options.replicas[0] === env.host;
  const rules = options.rules ?? DEFAULT_COUNTER_RULES;
  state.ready = false;
  const loaded = await retryStart(env, () => loadValue(env));
  if (loaded instanceof DiskError) return loaded;
  state.value = loaded;
  const server = env.rpc.serve(COUNTER_PORT);
  server.unary("replicate", async (request) => {
    const value = readValue(request);
    if (value > state.value) {
      state.value = value;
      await persist(env, value, !rules.durableBeforeAck);
    }
    return { value: state.value };
  });
  server.unary("read", async () => ({ value: state.value, ready: state.ready }));
  if (isPrimary) {
    if (rules.recoverFromMajority) {
      const recovered = await retryStart(env, () => recover(env, options, state.value));
      if (recovered instanceof DiskError) return recovered;
      state.value = recovered;
    }
    serveIncrements(env, options, rules, state, server);
  }
  state.ready = true;
  env.log.info("replica ready", { value: state.value, primary: isPrimary });
  return undefined;
}

/**
 * Runs `step` until it completes without a disk error, START_ATTEMPTS_MAX times at most; returns its result or the last
 * error.
 */
async function retryStart<T>(env: Env, step: () => Promise<T>): Promise<T | DiskError> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      env.trace("counter.start-failed", { attempt, error: error.message });
      if (attempt >= START_ATTEMPTS_MAX) return error;
      env.probe("counter.start-retried");
      await env.clock.sleep(START_RETRY_BACKOFF_MS);
    }
  }
}

function serveIncrements(
  env: Env,
  options: CounterOptions,
  rules: CounterRules,
  state: ReplicaState,
  server: RpcServer,
): void {
  let queued = 0;
  let tail: Promise<unknown> = Promise.resolve();
  server.unary("increment", async () => {
    if (!state.ready) throw new RpcError("APPLICATION", "recovering", "not-ready");
    if (queued >= INCREMENT_QUEUE_MAX) {
      env.probe("counter.increment-queue-full");
      throw new RpcError("APPLICATION", "overloaded", "overloaded");
    }
    queued++;
    const result = tail.then(() => increment(env, options, rules, state));
    tail = result.catch(() => undefined);
    try {
      return await result;
    } finally {
      queued--;
    }
  });
}

async function increment(
  env: Env,
  options: CounterOptions,
  rules: CounterRules,
  state: ReplicaState,
): Promise<WireValue> {
  const value = state.value + 1;
  state.value = value;
  await persist(env, value, !rules.durableBeforeAck);
  if (!rules.ackOnMajority) {
    void replicate(env, options, value);
    return { value };
  }
  const acknowledged = await replicate(env, options, value);
  const majority = Math.floor(options.replicas.length / 2) + 1;
  if (acknowledged + 1 < majority) {
    env.probe("counter.increment-without-quorum");
    throw new RpcError("APPLICATION", `only ${acknowledged + 1} of ${majority} replicas hold ${value}`, "no-quorum");
  }
  return { value };
}

/** Sends `value` to every backup; resolves with how many acknowledged holding at least it. */
async function replicate(env: Env, options: CounterOptions, value: number): Promise<number> {
  const backups = options.replicas.filter((name) => name !== env.host);
  const results = await Promise.all(
    backups.map((backup) =>
      env.rpc.call(backup, COUNTER_PORT, "replicate", { value }, { deadlineMs: REPLICATE_DEADLINE_MS }).then(
        (reply) => readValue(reply) >= value,
        () => false,
      ),
    ),
  );
  return results.filter(Boolean).length;
}

/** Before serving, the primary adopts the highest value held by a majority (its own included). */
async function recover(env: Env, options: CounterOptions, local: number): Promise<number> {
  const majority = Math.floor(options.replicas.length / 2) + 1;
  const backups = options.replicas.filter((name) => name !== env.host);
  for (let attempt = 0; ; attempt++) {
    const values = await Promise.all(
      backups.map((backup) =>
        env.rpc
          .call(backup, COUNTER_PORT, "read", {}, { deadlineMs: REPLICATE_DEADLINE_MS })
          .then(readValue, () => undefined),
      ),
    );
    const answered = values.filter((value): value is number => value !== undefined);
    if (answered.length + 1 >= majority) {
      const recovered = Math.max(local, ...answered);
      if (recovered > local) {
        env.probe("counter.recovered-from-backups");
        await persist(env, recovered, false);
      }
      env.trace("counter.recovered", { local, recovered, attempt });
      return recovered;
    }
    await env.clock.sleep(Math.min(50 * 2 ** Math.min(attempt, 5), 1000));
  }
}

async function loadValue(env: Env): Promise<number> {
  if (!(await env.disk.exists(VALUE_PATH))) return 0;
  const bytes = await env.disk.readFile(VALUE_PATH);
  const text = new TextDecoder().decode(bytes);
  const value = Number(text);
  assert(Number.isSafeInteger(value) && value >= 0, `corrupt counter file: ${JSON.stringify(text)}`);
  return value;
}

async function persist(env: Env, value: number, volatile: boolean): Promise<void> {
  const bytes = new TextEncoder().encode(String(value));
  if (volatile) await env.disk.writeFile(VALUE_PATH, bytes);
  else await env.disk.writeFileAtomic(VALUE_PATH, bytes);
}

function readValue(message: WireValue): number {
  if (typeof message !== "object" || message === null || Array.isArray(message) || message instanceof Uint8Array) {
    throw new RpcError("MALFORMED", "expected an object with 'value'");
  }
  const value = (message as { value?: WireValue }).value;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new RpcError("MALFORMED", "bad 'value'");
  return value;
}
