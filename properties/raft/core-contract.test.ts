/**
 * The Raft core's contract at the edges, each on one core stepped by hand with
 * crafted messages (no cluster), so that each answer is compared exactly:
 * - check-quorum's lease: a follower that heard from its leader less than an
 *   election timeout ago ignores a vote request of a higher term (no term change,
 *   no vote), and grants it from the tick the timeout is reached; a transfer's
 *   vote request (TimeoutNow) and a core without check-quorum are never ignored;
 * - leadership is reported once per change of role or leader, not per message;
 * - a configuration entry takes effect when appended, and a truncation that
 *   removes it restores the configuration before it;
 * - the core asks for a snapshot at exactly `snapshotThresholdEntries` entries
 *   applied since the last one, not one earlier;
 * - a leader tracks exactly the other voters: a removed voter's progress goes, an
 *   added one starts at the leader's last index (the entry that adds it).
 *
 * Written because mutation testing (npm run mutate) showed each of these unchecked:
 * the lease's comparison, the leadership report and the truncated configuration
 * could be changed without any test failing.
 */
import { describe, expect, it } from "vitest";
import { RaftCore, type CoreOptions, type Ready } from "../../src/impl/raft/core/index.ts";
import {
  append,
  BASE,
  configurationEntry,
  follower,
  LONGEST,
  noop,
  requestVote,
  voteGranted,
} from "./_support/hand-stepped.ts";

describe("check-quorum's lease", () => {
  it("ignores a vote request for an election timeout after the leader was heard, and grants it from then on", () => {
    const core = follower();
    core.step(append("n2", 2, 1, 1, []));
    for (let tick = 0; tick < BASE - 1; tick++) core.tick();
    const ignored = core.step(requestVote("n3", 3));
    expect(ignored.probes).toContain("raft.vote-ignored-in-lease");
    expect(ignored.messages).toEqual([]);
    expect(core.status()).toMatchObject({ term: 2, votedFor: undefined, role: "follower", leaderId: "n2" });
    core.tick(); // BASE ticks since the leader was heard: the lease is over (the timeout is 2 × BASE - 1).
    expect(core.status()).toMatchObject({ role: "follower", leaderId: "n2" });
    const granted = core.step(requestVote("n3", 3));
    expect(granted.probes).not.toContain("raft.vote-ignored-in-lease");
    expect(voteGranted(granted, "n3")).toBe(true);
    expect(core.status()).toMatchObject({ term: 3, votedFor: "n3" });
  });

  it("grants a transfer's vote request inside the lease", () => {
    const core = follower();
    core.step(append("n2", 2, 1, 1, []));
    expect(voteGranted(core.step(requestVote("n3", 3, true)), "n3")).toBe(true);
    expect(core.status()).toMatchObject({ term: 3, votedFor: "n3" });
  });

  it("has no lease without check-quorum", () => {
    const core = follower({ checkQuorum: false });
    core.step(append("n2", 2, 1, 1, []));
    expect(voteGranted(core.step(requestVote("n3", 3)), "n3")).toBe(true);
  });
});

describe("leadership reports", () => {
  it("reports a new leader once, and again only when the role or the leader changes", () => {
    const core = follower();
    expect(core.step(append("n2", 2, 1, 1, [])).leadership).toEqual({ role: "follower", leaderId: "n2", term: 2 });
    expect(core.step(append("n2", 2, 1, 1, [])).leadership).toBeUndefined();
    for (let tick = 0; tick < BASE; tick++) expect(core.tick().leadership).toBeUndefined();
    expect(core.step(append("n3", 3, 1, 1, [])).leadership).toEqual({ role: "follower", leaderId: "n3", term: 3 });
    expect(core.step(append("n3", 3, 1, 1, [])).leadership).toBeUndefined();
  });
});

describe("configurations in the log", () => {
  it("takes a configuration when appended, and goes back to the one before when a new leader truncates it", () => {
    const core = follower();
    core.step(append("n2", 2, 1, 1, [configurationEntry(2, 2, ["n1", "n2", "n3", "n4"])]));
    expect(core.status()).toMatchObject({ configuration: { voters: ["n1", "n2", "n3", "n4"] }, configurationIndex: 2 });
    const ready = core.step(append("n3", 3, 1, 1, [noop(2, 3)]));
    expect(ready.truncateFrom).toBe(2);
    expect(core.status()).toMatchObject({
      lastIndex: 2,
      lastTerm: 3,
      configuration: { voters: ["n1", "n2", "n3"] },
      configurationIndex: 1,
    });
  });
});

/** n1 alone: it elects itself and commits at once. */
function single(options: Partial<CoreOptions> = {}): { core: RaftCore; readies: Ready[] } {
  const core = new RaftCore(
    { id: "n1", random: LONGEST, electionTimeoutTicks: BASE, ...options },
    {
      hardState: { term: 1, votedFor: undefined },
      snapshot: undefined,
      logBase: { index: 0, term: 0 },
      entries: [configurationEntry(1, 1, ["n1"])],
    },
  );
  const readies: Ready[] = [];
  for (let tick = 0; tick < 4 * BASE && core.status().role !== "leader"; tick++) readies.push(core.tick());
  expect(core.status().role).toBe("leader");
  return { core, readies };
}

describe("snapshot threshold", () => {
  it("asks for a snapshot at exactly the threshold of entries applied since the last one, not one earlier", () => {
    const threshold = 4;
    const { core, readies } = single({ snapshotThresholdEntries: threshold });
    /** Proposes until `applied` entries are applied; true if any ready since `from` asked for a snapshot. */
    const applyThrough = (applied: number): boolean => {
      const from = readies.length;
      while (core.status().appliedIndex < applied) {
        const outcome = core.propose(Uint8Array.of(1));
        if (!outcome.ok) throw outcome.error;
        readies.push(outcome.ready, core.tick());
      }
      expect(core.status().appliedIndex).toBe(applied);
      return readies.slice(from).some((ready) => ready.snapshotWanted);
    };
    expect(readies.some((ready) => ready.snapshotWanted)).toBe(false);
    expect(applyThrough(threshold - 1)).toBe(false);
    expect(applyThrough(threshold)).toBe(true);
    const metadata = core.snapshotMetadata(threshold);
    if (metadata === undefined) throw new Error("no snapshot metadata at the applied index");
    core.snapshotTaken(metadata);
    expect(applyThrough(2 * threshold - 1)).toBe(false);
    expect(applyThrough(2 * threshold)).toBe(true);
  });
});

/** n1 elected leader of n1 and n2 (n2's votes stepped in by hand), its no-op acknowledged by n2. */
function leaderOfTwo(): RaftCore {
  const core = new RaftCore(
    { id: "n1", random: LONGEST, electionTimeoutTicks: BASE },
    {
      hardState: { term: 1, votedFor: undefined },
      snapshot: undefined,
      logBase: { index: 0, term: 0 },
      entries: [configurationEntry(1, 1, ["n1", "n2"])],
    },
  );
  for (let tick = 0; tick < 4 * BASE && core.status().role !== "pre-candidate"; tick++) core.tick();
  core.step({ type: "request-vote-response", from: "n2", to: "n1", term: 2, granted: true, preVote: true });
  expect(core.status()).toMatchObject({ role: "candidate", term: 2 });
  core.step({ type: "request-vote-response", from: "n2", to: "n1", term: 2, granted: true, preVote: false });
  expect(core.status()).toMatchObject({ role: "leader", term: 2, lastIndex: 2 });
  core.step({
    type: "append-entries-response",
    from: "n2",
    to: "n1",
    term: 2,
    success: true,
    matchIndex: 2,
    rejectedIndex: 0,
    hintIndex: 0,
    hintTerm: 0,
    sequence: 0,
  });
  expect(core.status().commitIndex).toBe(2);
  return core;
}

const followersOf = (core: RaftCore) =>
  core
    .status()
    .followers.map((follower) => ({ id: follower.id, nextIndex: follower.nextIndex, matchIndex: follower.matchIndex }));

describe("leader progress follows the configuration", () => {
  it("tracks an added voter from the leader's last index (its configuration entry)", () => {
    const { core } = single();
    const outcome = core.proposeConfigurationChange({ kind: "add-voter", id: "n2" });
    if (!outcome.ok) throw outcome.error;
    expect(outcome.index).toBeGreaterThan(1);
    expect(followersOf(core)).toEqual([{ id: "n2", nextIndex: outcome.index, matchIndex: 0 }]);
  });

  it("drops a removed voter's progress as soon as the removal is appended", () => {
    const core = leaderOfTwo();
    expect(followersOf(core)).toEqual([{ id: "n2", nextIndex: 3, matchIndex: 2 }]);
    expect(core.proposeConfigurationChange({ kind: "remove-server", id: "n2" }).ok).toBe(true);
    expect(core.status().configuration.voters).toEqual(["n1"]);
    expect(followersOf(core)).toEqual([]);
  });
});
