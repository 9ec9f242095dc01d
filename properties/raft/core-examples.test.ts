/**
 * Examples of the Raft core's contract, each on a small in-memory cluster run in
 * synchronous rounds (_support/rounds.ts), seed in the test:
 * - a leader is elected and its proposals are applied everywhere; followers refuse
 *   proposals with ErrNotLeader naming the leader;
 * - pre-vote: a partitioned server does not raise its term, and does not disrupt
 *   the leader when it returns (without pre-vote it does);
 * - check-quorum: a leader cut off from a quorum steps down within an election timeout;
 * - leadership transfer hands over to the target; a transfer to an unreachable
 *   server times out and the leader leads on; proposals wait meanwhile;
 * - membership: a voter is added and catches up, changes go one at a time, a
 *   removed leader steps down once its removal is committed;
 * - snapshots: the log is compacted behind a snapshot, and a follower behind it
 *   catches up with InstallSnapshot;
 * - fast backtracking repairs a long divergent log in a few round trips;
 * - verifyLeader is confirmed by a quorum and refused to a cut-off leader.
 */
import { describe, expect, it } from "vitest";
import type { Ready } from "../../src/impl/raft/core/index.ts";
import {
  ErrConfigurationChangeInProgress,
  ErrLeadershipTransferInProgress,
  ErrNotLeader,
  ErrUnknownPeer,
} from "../../src/impl/raft/errors.ts";
import { CoreCluster, encodeValue, listeners, type CoreTuning } from "./_support/core-cluster.ts";
import { INVARIANTS, InvariantChecker } from "./_support/invariants.ts";
import { electLeader, leaderOf, round, roundsUntil, settle } from "./_support/rounds.ts";

const THREE = ["n1", "n2", "n3"] as const;
const ELECTION_TIMEOUT_TICKS = 5;

/** A cluster whose readies are recorded per node, with every invariant checked on each ready. */
function cluster(seed: number, tuning: CoreTuning = {}, ids: readonly string[] = THREE) {
  const readies = new Map<string, Ready[]>();
  const checker = new InvariantChecker(new Set(INVARIANTS));
  const result = new CoreCluster({
    ids,
    seed,
    core: { electionTimeoutTicks: ELECTION_TIMEOUT_TICKS, ...tuning },
    listener: listeners(checker, {
      readyProduced: (node, ready) => void readies.set(node, [...(readies.get(node) ?? []), ready]),
    }),
  });
  const probes = (node: string) => (readies.get(node) ?? []).flatMap((ready) => ready.probes);
  return { cluster: result, readies, probes, check: () => checker.check() };
}

const appliedValue = (test: CoreCluster, id: string, value: number) =>
  test.node(id).applied.some((key) => key.endsWith(`:command:${value}`));
const statusOf = (test: CoreCluster, id: string) => test.node(id).core.status();
const others = (test: CoreCluster, id: string) => test.ids.filter((other) => other !== id);

describe("election and replication", () => {
  it("elects one leader and applies its proposals on every server (seed 1)", () => {
    const { cluster: test, check } = cluster(1);
    const leader = electLeader(test);
    const values = [test.propose(leader), test.propose(leader), test.propose(leader)];
    expect(values.every((value) => value !== undefined)).toBe(true);
    roundsUntil(test, () => test.ids.every((id) => values.every((value) => appliedValue(test, id, value as number))));
    check();
    expect(test.ids.filter((id) => statusOf(test, id).role === "leader")).toEqual([leader]);
    for (const id of test.ids) expect(test.node(id).applied).toEqual(test.node(leader).applied);
  });

  it("refuses proposals on a follower with ErrNotLeader naming the leader (seed 2)", () => {
    const { cluster: test } = cluster(2);
    const leader = electLeader(test);
    round(test);
    const follower = others(test, leader)[0] as string;
    const outcome = test.node(follower).core.propose(encodeValue(7));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toBeInstanceOf(ErrNotLeader);
    expect((outcome.error as ErrNotLeader).leaderId).toBe(leader);
  });

  it("repairs a long divergent log with a few rejections (fast backtracking, seed 3)", () => {
    const { cluster: test, readies, check } = cluster(3, { maxEntriesPerAppend: 8 });
    const first = electLeader(test);
    settle(test);
    // The first leader, cut off, appends 30 entries nobody else gets.
    test.isolated.add(first);
    for (let count = 0; count < 30; count++) test.propose(first);
    roundsUntil(test, () => ![undefined, first].includes(leaderOf(test)), 100, { frozen: new Set([first]) });
    const second = leaderOf(test) as string;
    for (let count = 0; count < 30; count++) test.propose(second);
    roundsUntil(
      test,
      () => others(test, first).every((id) => statusOf(test, id).commitIndex === statusOf(test, second).lastIndex),
      50,
      { frozen: new Set([first]) },
    );
    // A third leader, elected with the long log, has never probed the first one.
    const third = others(test, first).find((id) => id !== second) as string;
    expect(test.transfer(second, third)).toBeUndefined();
    roundsUntil(test, () => leaderOf(test) === third, 50, { frozen: new Set([first]) });
    const rejectionsOf = () =>
      (readies.get(third) ?? []).flatMap((ready) => ready.probes).filter((probe) => probe === "raft.append-rejected")
        .length;
    test.isolated.clear();
    roundsUntil(
      test,
      () =>
        statusOf(test, first).commitIndex === statusOf(test, third).commitIndex &&
        statusOf(test, first).role === "follower",
    );
    check();
    // 30 divergent entries, repaired with one or two rejections instead of thirty.
    expect(rejectionsOf()).toBeGreaterThan(0);
    expect(rejectionsOf()).toBeLessThanOrEqual(2);
    expect(test.node(first).applied).toEqual(test.node(second).applied);
  });
});

describe("pre-vote and check-quorum", () => {
  it("a partitioned follower keeps its term with pre-vote and does not disrupt the leader when it returns (seed 4)", () => {
    const { cluster: test } = cluster(4);
    const leader = electLeader(test);
    settle(test);
    const term = statusOf(test, leader).term;
    const follower = others(test, leader)[0] as string;
    test.isolated.add(follower);
    for (let count = 0; count < 10 * ELECTION_TIMEOUT_TICKS; count++) round(test);
    expect(statusOf(test, follower).term).toBe(term);
    expect(statusOf(test, follower).role).toBe("pre-candidate");
    test.isolated.clear();
    for (let count = 0; count < 3 * ELECTION_TIMEOUT_TICKS; count++) round(test);
    expect(leaderOf(test)).toBe(leader);
    expect(statusOf(test, leader).term).toBe(term);
    expect(statusOf(test, follower)).toMatchObject({ role: "follower", leaderId: leader, term });
  });

  it("without pre-vote, the returning follower's higher term makes the leader step down (seed 4)", () => {
    const { cluster: test } = cluster(4, { preVote: false });
    const leader = electLeader(test);
    settle(test);
    const term = statusOf(test, leader).term;
    const follower = others(test, leader)[0] as string;
    test.isolated.add(follower);
    for (let count = 0; count < 10 * ELECTION_TIMEOUT_TICKS; count++) round(test);
    expect(statusOf(test, follower).term).toBeGreaterThan(term + 2);
    test.isolated.clear();
    roundsUntil(test, () => leaderOf(test) !== undefined && statusOf(test, leaderOf(test) as string).term > term);
  });

  it("a pre-candidate whose log is behind is refused, and one that is up to date wins (seed 5)", () => {
    const { cluster: test, probes } = cluster(5, { checkQuorum: false });
    const leader = electLeader(test);
    settle(test);
    const [behind, ahead] = others(test, leader) as [string, string];
    test.isolated.add(behind);
    test.propose(leader);
    settle(test);
    // The leader goes away; the server that is behind campaigns first.
    test.isolated.clear();
    test.isolated.add(leader);
    roundsUntil(test, () => probes(behind).includes("raft.pre-vote-rejected"), 100, {
      frozen: new Set([ahead, leader]),
    });
    expect(statusOf(test, behind).role).not.toBe("leader");
    roundsUntil(test, () => statusOf(test, ahead).role === "leader", 100, { frozen: new Set([leader]) });
  });

  it("a leader cut off from a quorum steps down within an election timeout (seed 6)", () => {
    const { cluster: test, probes } = cluster(6);
    const leader = electLeader(test);
    settle(test);
    test.isolated.add(leader);
    let ticks = 0;
    while (statusOf(test, leader).role === "leader") {
      round(test, { frozen: new Set(others(test, leader)) });
      ticks++;
      expect(ticks).toBeLessThanOrEqual(ELECTION_TIMEOUT_TICKS);
    }
    expect(probes(leader)).toContain("raft.check-quorum-step-down");
    const next = electLeader(test, 100, { frozen: new Set([leader]) });
    expect(next).not.toBe(leader);
  });
});

describe("leadership transfer", () => {
  it("hands leadership to the target, refusing proposals meanwhile (seed 7)", () => {
    const { cluster: test, probes } = cluster(7);
    const leader = electLeader(test);
    settle(test);
    const term = statusOf(test, leader).term;
    const target = others(test, leader)[1] as string;
    expect(test.transfer(leader, target)).toBeUndefined();
    const refused = test.node(leader).core.propose(encodeValue(1));
    expect(!refused.ok && refused.error).toBeInstanceOf(ErrLeadershipTransferInProgress);
    expect(test.transfer(leader, target)).toBeInstanceOf(ErrLeadershipTransferInProgress);
    settle(test);
    expect(leaderOf(test)).toBe(target);
    expect(statusOf(test, target).term).toBe(term + 1);
    expect(probes(target)).toContain("raft.timeout-now-received");
  });

  it("times out when the target cannot be reached, and the leader leads on (seed 8)", () => {
    const { cluster: test, readies } = cluster(8, { checkQuorum: false });
    const leader = electLeader(test);
    settle(test);
    const target = others(test, leader)[0] as string;
    test.isolated.add(target);
    expect(test.transfer(leader, target)).toBeUndefined();
    roundsUntil(
      test,
      () => (readies.get(leader) ?? []).some((ready) => ready.transfer?.target === target),
      3 * ELECTION_TIMEOUT_TICKS,
      { frozen: new Set([target]) },
    );
    expect(leaderOf(test)).toBe(leader);
    expect(test.propose(leader)).toBeDefined();
    expect(test.transfer(leader, "n9")).toBeInstanceOf(ErrUnknownPeer);
  });
});

describe("membership changes", () => {
  it("adds a voter that catches up, one change at a time (seed 9)", () => {
    const { cluster: test, check } = cluster(9);
    const leader = electLeader(test);
    settle(test);
    const value = test.propose(leader) as number;
    test.addNode("n4");
    expect(test.changeConfiguration(leader, { kind: "add-voter", id: "n4" })).toBeUndefined();
    expect(test.changeConfiguration(leader, { kind: "remove-server", id: "n1" })).toBeInstanceOf(
      ErrConfigurationChangeInProgress,
    );
    roundsUntil(
      test,
      () => appliedValue(test, "n4", value) && statusOf(test, leader).commitIndex === statusOf(test, leader).lastIndex,
    );
    check();
    expect(statusOf(test, "n4").configuration.voters).toEqual(["n1", "n2", "n3", "n4"]);
    const later = test.propose(leader) as number;
    roundsUntil(test, () => test.ids.every((id) => appliedValue(test, id, later)));
  });

  it("a removed leader steps down once its removal commits, and the others elect a leader (seed 10)", () => {
    const { cluster: test, probes, check } = cluster(10);
    const leader = electLeader(test);
    settle(test);
    expect(test.changeConfiguration(leader, { kind: "remove-server", id: leader })).toBeUndefined();
    roundsUntil(test, () => statusOf(test, leader).role !== "leader");
    expect(probes(leader)).toContain("raft.removed-leader-stepped-down");
    const next = electLeader(test);
    expect(next).not.toBe(leader);
    expect(statusOf(test, next).configuration.voters).not.toContain(leader);
    const value = test.propose(next) as number;
    roundsUntil(test, () => others(test, leader).every((id) => appliedValue(test, id, value)));
    // The removed server never campaigns again: it is no voter of its latest configuration.
    for (let count = 0; count < 5 * ELECTION_TIMEOUT_TICKS; count++) round(test);
    expect(statusOf(test, leader).role).toBe("follower");
    expect(leaderOf(test)).toBe(next);
    check();
  });
});

describe("snapshots and compaction", () => {
  it("compacts behind snapshots and catches a far-behind follower up with InstallSnapshot (seed 11)", () => {
    const { cluster: test, probes, check } = cluster(11, { snapshotThresholdEntries: 5, trailingLogEntries: 1 });
    const leader = electLeader(test);
    settle(test);
    const behind = others(test, leader)[0] as string;
    test.isolated.add(behind);
    const values: number[] = [];
    for (let count = 0; count < 20; count++) {
      values.push(test.propose(leader) as number);
      round(test, { frozen: new Set([behind]) });
    }
    expect(statusOf(test, leader).firstIndex).toBeGreaterThan(statusOf(test, behind).lastIndex + 1);
    test.isolated.clear();
    roundsUntil(test, () => values.every((value) => appliedValue(test, behind, value)));
    check();
    expect(probes(leader)).toContain("raft.snapshot-sent");
    expect(probes(behind)).toContain("raft.snapshot-installed");
    expect(test.node(behind).applied).toEqual(test.node(leader).applied.slice(0, test.node(behind).applied.length));
    // After a crash, the follower restarts from its snapshot and its log.
    test.crash(behind);
    roundsUntil(test, () => values.every((value) => appliedValue(test, behind, value)));
  });
});

describe("verifyLeader", () => {
  it("is confirmed by a quorum, and refused to a leader cut off from it (seed 12)", () => {
    const { cluster: test, readies } = cluster(12);
    const leader = electLeader(test);
    settle(test);
    const verifications = () => (readies.get(leader) ?? []).flatMap((ready) => ready.verifications);
    test.verify(leader, 1);
    settle(test);
    expect(verifications()).toEqual([{ id: 1, confirmed: true }]);
    test.isolated.add(leader);
    test.verify(leader, 2);
    roundsUntil(test, () => statusOf(test, leader).role !== "leader", 3 * ELECTION_TIMEOUT_TICKS, {
      frozen: new Set(others(test, leader)),
    });
    expect(verifications()).toEqual([
      { id: 1, confirmed: true },
      { id: 2, confirmed: false },
    ]);
    const follower = others(test, leader)[0] as string;
    const refused = test.node(follower).core.verifyLeader(3);
    expect(!refused.ok && refused.error).toBeInstanceOf(ErrNotLeader);
  });
});
