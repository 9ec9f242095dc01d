/**
 * Loss recovery in the leader's replication (src/impl/raft/core/replication.ts):
 * whatever AppendEntries and answers were lost, one heartbeat exchange without loss
 * brings every follower's log up to the leader's, without waiting for a later
 * heartbeat round. As in etcd raft (MsgHeartbeatResp → maybeSendAppend with
 * sendIfEmpty), a follower behind answers a heartbeat and gets one AppendEntries, an
 * empty one at nextIndex - 1 if its window is full or all in flight; the follower's
 * answer, an acknowledgement or a rejection, frees the window or moves it to probe.
 *
 * Written for raft-kv-linearizable seed 66 with --buggify (one-entry appends, one in
 * flight, messages dropped): every lost append stalled its follower until a heartbeat
 * round found the stream stalled, one to two intervals later, and commits fell behind
 * the clients' deadlines for good. The fixture SilentOnHeartbeatProgress
 * (_fixtures/broken-progress.ts, through the core's `createProgress` seam) is that
 * core: both tests fail on it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CoreOptions, Message, Ready } from "../../src/impl/raft/core/index.ts";
import { propertyParameters, seedFromName } from "../_support/fast-check.ts";
import { silentOnHeartbeat } from "./_fixtures/broken-progress.ts";
import { CoreCluster, listeners } from "./_support/core-cluster.ts";
import { acknowledge, leaderOfThree } from "./_support/hand-stepped.ts";
import { INVARIANTS, InvariantChecker } from "./_support/invariants.ts";
import { electLeader, settle } from "./_support/rounds.ts";

type AppendEntries = Extract<Message, { type: "append-entries" }>;
const appendsTo = (ready: Ready, to: string) =>
  ready.messages.filter((message): message is AppendEntries => message.type === "append-entries" && message.to === to);
const heartbeatResponse = (from: string): Message => ({
  type: "heartbeat-response",
  from,
  to: "n1",
  term: 2,
  sequence: 1,
});

describe("a heartbeat exchange restarts a stream whose appends were lost (hand-stepped)", () => {
  /** n2 replicates; the append of entry 3 is lost; n2 answers a heartbeat. What n1 sends n2, step by step. */
  function lostAppend(createProgress?: CoreOptions["createProgress"]): {
    answer: AppendEntries[];
    resent: AppendEntries[];
  } {
    const core = leaderOfThree({
      checkQuorum: false,
      maxInflightAppends: 1,
      maxEntriesPerAppend: 1,
      ...(createProgress !== undefined ? { createProgress } : {}),
    });
    core.step(acknowledge("n2", 2, 2));
    for (let count = 0; count < 2; count++) expect(core.propose(Uint8Array.of(count)).ok).toBe(true);
    const answer = appendsTo(core.step(heartbeatResponse("n2")), "n2");
    const rejection: Message = {
      type: "append-entries-response",
      from: "n2",
      to: "n1",
      term: 2,
      success: false,
      matchIndex: 0,
      rejectedIndex: 3,
      hintIndex: 2,
      hintTerm: 2,
      sequence: 0,
    };
    const resent = answer.length > 0 ? appendsTo(core.step(rejection), "n2") : [];
    return { answer, resent };
  }

  it("answers with one empty AppendEntries at nextIndex - 1, and the follower's rejection gets the lost entry sent again", () => {
    const { answer, resent } = lostAppend();
    expect(answer.map((message) => [message.prevLogIndex, message.entries.length])).toEqual([[3, 0]]);
    expect(resent.map((message) => [message.prevLogIndex, message.entries.map((entry) => entry.index)])).toEqual([
      [2, [3]],
    ]);
  });

  it("fails on a leader whose heartbeat answers elicit nothing (SilentOnHeartbeatProgress)", () => {
    expect(lostAppend(silentOnHeartbeat).answer).toEqual([]);
  });
});

/** Drawn per run: the cluster's flow control, the proposals, which messages are lost. */
interface LossCase {
  readonly seed: number;
  readonly maxInflightAppends: number;
  readonly maxEntriesPerAppend: number;
  readonly heartbeatIntervalTicks: number;
  readonly proposals: number;
  /** Message k of the lossy phase is lost if `losses[k % losses.length]`. */
  readonly losses: readonly boolean[];
}

const lossCase: fc.Arbitrary<LossCase> = fc.record({
  seed: fc.nat({ max: 1_000_000 }),
  maxInflightAppends: fc.integer({ min: 1, max: 4 }),
  maxEntriesPerAppend: fc.integer({ min: 1, max: 3 }),
  heartbeatIntervalTicks: fc.integer({ min: 1, max: 4 }),
  proposals: fc.integer({ min: 1, max: 12 }),
  losses: fc.array(fc.boolean(), { minLength: 1, maxLength: 24 }),
});

/** Messages delivered or lost in the lossy phase at most (a runaway guard). */
const LOSSY_DELIVERIES_MAX = 1_000;
const ELECTION_TIMEOUT_TICKS = 10;

/**
 * Elects a leader of n1..n3, proposes while messages are lost (no ticks), then ticks
 * the leader to its next heartbeat round and delivers everything without loss (no
 * more ticks). True if every follower's durable log then matches the leader's.
 */
function recoversInOneHeartbeatExchange(testCase: LossCase, createProgress?: CoreOptions["createProgress"]): boolean {
  const checker = new InvariantChecker(new Set(INVARIANTS));
  const cluster = new CoreCluster({
    ids: ["n1", "n2", "n3"],
    seed: testCase.seed,
    core: {
      electionTimeoutTicks: ELECTION_TIMEOUT_TICKS,
      heartbeatIntervalTicks: testCase.heartbeatIntervalTicks,
      checkQuorum: false,
      maxInflightAppends: testCase.maxInflightAppends,
      maxEntriesPerAppend: testCase.maxEntriesPerAppend,
      snapshotThresholdEntries: 1_000,
      ...(createProgress !== undefined ? { createProgress } : {}),
    },
    listener: listeners(checker),
  });
  const leader = electLeader(cluster);
  settle(cluster);
  for (let count = 0; count < testCase.proposals; count++) cluster.propose(leader);
  cluster.sync(leader);
  for (let position = 0; cluster.network.length > 0; position++) {
    if (position >= LOSSY_DELIVERIES_MAX) throw new Error("the lossy phase does not end");
    if (testCase.losses[position % testCase.losses.length] === true) {
      cluster.drop(0);
      continue;
    }
    const receiver = cluster.network[0]?.message.to as string;
    cluster.deliver(0);
    cluster.sync(receiver);
  }
  tickToHeartbeatRound(cluster, leader, testCase.heartbeatIntervalTicks);
  settle(cluster);
  checker.check();
  const leaderLog = logOf(cluster, leader);
  return cluster.ids.every((id) => logOf(cluster, id) === leaderLog);
}

function tickToHeartbeatRound(cluster: CoreCluster, leader: string, heartbeatIntervalTicks: number): void {
  for (let ticks = 0; ticks < heartbeatIntervalTicks; ticks++) {
    cluster.tick(leader);
    cluster.sync(leader);
    if (cluster.network.some((inFlight) => inFlight.message.type === "heartbeat")) return;
  }
  throw new Error(`no heartbeat round within ${heartbeatIntervalTicks} ticks`);
}

/** A node's durable log (as the harness's disk holds it), as index/term pairs. */
function logOf(cluster: CoreCluster, id: string): string {
  return cluster
    .node(id)
    .durable.entries.map((entry) => `${entry.index}/${entry.term}`)
    .join(" ");
}

describe("a heartbeat exchange restarts a stream whose appends were lost (property)", () => {
  const name =
    "raft core: after any losses, one heartbeat exchange without loss brings every follower up to the leader";

  it(name, () => {
    fc.assert(
      fc.property(lossCase, (testCase) => recoversInOneHeartbeatExchange(testCase)),
      propertyParameters(name, 200),
    );
  });

  it("fails on a leader whose heartbeat answers elicit nothing (SilentOnHeartbeatProgress)", () => {
    const result = fc.check(
      fc.property(lossCase, (testCase) => recoversInOneHeartbeatExchange(testCase, silentOnHeartbeat)),
      { seed: seedFromName(`${name} (broken)`), numRuns: 200, endOnFailure: true },
    );
    expect(result.failed, `no counterexample in 200 runs (seed ${result.seed})`).toBe(true);
  });
});
