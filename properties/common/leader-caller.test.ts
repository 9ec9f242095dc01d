/**
 * LeaderCaller (src/impl/common/leader-caller.ts), one behaviour: a server whose
 * call just failed in transit is skipped by the fallback that tries servers in
 * turn while the others answer, so a leader elected meanwhile among them is found
 * within a backoff, not after another call deadline spent on the unreachable one.
 *
 * Method: servers a, b, c and a client in a simulated world. c leads and serves a
 * call; then c is cut off and deposed, and the client calls again: its call to c
 * times out, a and b refuse (no leader) until b leads 300 ms later. The call must
 * succeed on b within 300 ms of that (the backoff is 200 ms at most). Found in
 * buggify sweeps: a BMDB heartbeat (bmdb-sessions seed 20) and a broker's lease
 * renewal (gazette-outages seed 23) spent their time on a cut-off server while
 * the new leader served every other call. Without the skip (the rotation
 * `plainRoundRobin`, a fixture), the call is 457 ms late, and the test shows it.
 */
import { describe, expect, it } from "vitest";
import {
  LeaderCaller,
  type CallOutcome,
  type Refusal,
  type ServerRotation,
} from "../../src/impl/common/leader-caller.ts";
import { RpcError, type Env } from "../../src/sim/env.ts";
import { World } from "../../src/sim/world.ts";
import { plainRoundRobin } from "./_fixtures/plain-round-robin.ts";

const PORT = 7100;
const SERVERS = ["a", "b", "c"] as const;
const CALL_DEADLINE_MS = 700;
const ELECTION_AFTER_CUT_MS = 300;

function refusalOf(error: RpcError): Refusal | undefined {
  if (error.code !== "APPLICATION") return undefined;
  const leader = (error.details as { leader?: string | null } | undefined)?.leader ?? null;
  return { kind: "redirect", leader };
}

async function serve(env: Env, leader: () => string | undefined): Promise<void> {
  env.rpc.serve(PORT).unary("test.call", async () => {
    const current = leader();
    if (current !== env.host) throw new RpcError("APPLICATION", "not the leader", { leader: current ?? null });
    return { served: env.host };
  });
  await new Promise<void>((resolve) => env.lifetime.signal.addEventListener("abort", () => resolve()));
}

/** Ms from b's election to the second call's success, and both calls' outcomes. */
async function lateAfterElection(
  rotation?: ServerRotation,
): Promise<{ first?: CallOutcome; second?: CallOutcome; lateMs: number }> {
  const world = new World({ seed: 1 });
  let leader: string | undefined = "c";
  for (const host of SERVERS) world.addHost(host, (env) => serve(env, () => leader)).start();
  const result: { first?: CallOutcome; second?: CallOutcome; cutAt?: number; secondAt?: number } = {};
  world
    .addHost("client", async (env) => {
      const options = {
        servers: SERVERS,
        port: PORT,
        operationTimeoutMs: 5_000,
        callDeadlineMs: CALL_DEADLINE_MS,
        attemptsMax: 50,
        ...(rotation !== undefined ? { rotation } : {}),
      };
      const caller = new LeaderCaller(env, options, refusalOf);
      result.first = await caller.call("test.call", {}, true);
      world.network.isolate("c");
      leader = undefined;
      result.cutAt = world.now;
      world.scheduler.schedule(ELECTION_AFTER_CUT_MS, () => (leader = "b"));
      result.second = await caller.call("test.call", {}, true);
      result.secondAt = world.now;
    })
    .start();
  await world.scheduler.run({ untilTime: 10_000, predicate: () => result.secondAt !== undefined });
  return {
    first: result.first,
    second: result.second,
    lateMs: (result.secondAt ?? Infinity) - ((result.cutAt ?? 0) + ELECTION_AFTER_CUT_MS),
  };
}

describe("LeaderCaller", () => {
  it("skips a server whose call failed in transit while the others answer, and finds the new leader within a backoff (seed 1)", async () => {
    const { first, second, lateMs } = await lateAfterElection();
    expect(first).toMatchObject({ type: "ok", server: "c" });
    expect(second).toMatchObject({ type: "ok", server: "b" });
    expect(lateMs, "ms from b's election to the call's success").toBeLessThan(300);
  });

  it("the check fails with the rotation plainRoundRobin (the cut-off server tried again in its turn)", async () => {
    const { second, lateMs } = await lateAfterElection(plainRoundRobin);
    expect(second).toMatchObject({ type: "ok", server: "b" });
    expect(lateMs).toBeGreaterThanOrEqual(300);
  });
});
