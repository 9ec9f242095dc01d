/**
 * How the Raft core answers each kind of message by its term, and its timers, on
 * one core stepped by hand (_support/hand-stepped.ts):
 * - a higher term is adopted (the vote forgotten) from every message except a
 *   pre-vote request and a granted pre-vote response; only messages a leader sends
 *   (AppendEntries, heartbeats, InstallSnapshot, TimeoutNow) name the leader;
 * - a message of a lower term changes nothing: a stale leader's AppendEntries,
 *   heartbeat or InstallSnapshot is answered with the current term (so it steps
 *   down), a stale pre-vote request is refused, anything else is dropped;
 * - a vote goes to one candidate per term (asked again, it is granted again), never
 *   while a leader of the term is known; a pre-vote only for a later term;
 * - a pre-candidate counts granted pre-votes of the next term only; a quorum of
 *   refusals sends a (pre-)candidate back to follower; votes of non-voters and
 *   stale or wrong-kind responses do not count;
 * - timers: a follower campaigns at exactly its randomized election timeout; a
 *   leader sends heartbeats every heartbeat interval, gives up a leadership
 *   transfer after exactly one election timeout, and, with check-quorum, steps
 *   down one election timeout after it last heard from a quorum, and while it
 *   hears from one, ignores vote requests of higher terms (its lease).
 *
 * Written because mutation testing (npm run mutate) found these rules checked only
 * through whole clusters, where breaking one of them often changes nothing visible.
 */
import { describe, expect, it } from "vitest";
import type { Message, RaftCore, Ready } from "../../src/impl/raft/core/index.ts";
import {
  append,
  BASE,
  follower,
  leaderOfThree,
  noop,
  requestVote,
  voteGranted,
  voteResponse,
} from "./_support/hand-stepped.ts";

const answers = (ready: Ready) =>
  ready.messages.map((message) => ({
    type: message.type,
    to: message.to,
    term: message.term,
    ...("granted" in message ? { granted: message.granted } : {}),
    ...("success" in message ? { success: message.success } : {}),
  }));

/** n1 ticked into a pre-candidate of term 1 (its pre-votes ask for term 2). */
function preCandidate(voters?: readonly string[]): RaftCore {
  const core = follower({}, voters);
  for (let tick = 0; tick < 2 * BASE && core.status().role !== "pre-candidate"; tick++) core.tick();
  expect(core.status()).toMatchObject({ role: "pre-candidate", term: 1 });
  return core;
}

describe("messages of a higher term", () => {
  const leaderMessages: Array<[string, Message]> = [
    ["AppendEntries", append("n2", 3, 1, 1, [])],
    ["a heartbeat", { type: "heartbeat", from: "n2", to: "n1", term: 3, leaderCommit: 1, sequence: 1 }],
    [
      "InstallSnapshot",
      {
        type: "install-snapshot",
        from: "n2",
        to: "n1",
        term: 3,
        sequence: 1,
        snapshot: { index: 1, term: 1, configuration: { voters: ["n1", "n2", "n3"] }, configurationIndex: 1 },
      },
    ],
  ];
  for (const [what, message] of leaderMessages) {
    it(`${what} makes the receiver a follower of the sender at its term`, () => {
      const core = follower({ checkQuorum: false });
      core.step(message);
      expect(core.status()).toMatchObject({ term: 3, role: "follower", leaderId: "n2", votedFor: undefined });
    });
  }

  it("TimeoutNow makes the receiver campaign at once, in the next term, skipping pre-vote", () => {
    const core = follower();
    const ready = core.step({ type: "timeout-now", from: "n2", to: "n1", term: 3 });
    expect(core.status()).toMatchObject({ term: 4, role: "candidate", votedFor: "n1", leaderId: undefined });
    expect(
      ready.messages
        .filter((message) => message.type === "request-vote")
        .map((message) => message.type === "request-vote" && message.transfer && !message.preVote),
    ).toEqual([true, true]);
  });

  it("a vote request is adopted without naming a leader, and granted", () => {
    const core = follower({ checkQuorum: false });
    expect(voteGranted(core.step(requestVote("n3", 3)), "n3")).toBe(true);
    expect(core.status()).toMatchObject({ term: 3, role: "follower", leaderId: undefined, votedFor: "n3" });
  });

  it("a pre-vote request changes no term, and is granted for a later term", () => {
    const core = follower({ checkQuorum: false });
    const ready = core.step(requestVote("n3", 3, false, true));
    expect(answers(ready)).toEqual([{ type: "request-vote-response", to: "n3", term: 3, granted: true }]);
    expect(core.status()).toMatchObject({ term: 1, votedFor: undefined });
  });

  it("a granted pre-vote response of the next term makes a pre-candidate campaign; a refused one of a higher term makes it follow that term", () => {
    const granted = preCandidate();
    granted.step(voteResponse("n2", 2, true, true));
    expect(granted.status()).toMatchObject({ role: "candidate", term: 2 });
    const refused = preCandidate();
    refused.step(voteResponse("n2", 5, false, true));
    expect(refused.status()).toMatchObject({ role: "follower", term: 5, leaderId: undefined });
  });

  it("a vote response of a higher term makes a candidate follow that term", () => {
    const core = preCandidate();
    core.step(voteResponse("n2", 2, true, true));
    core.step(voteResponse("n3", 4, false, false));
    expect(core.status()).toMatchObject({ role: "follower", term: 4, votedFor: undefined });
  });
});

describe("messages of a lower term", () => {
  /** n1 a follower of n2 at term 3. */
  const atTerm3 = () => {
    const core = follower({ checkQuorum: false });
    core.step(append("n2", 3, 1, 1, [noop(2, 3)], 2));
    return core;
  };
  const staleLeaderMessages: Array<[string, Message]> = [
    ["AppendEntries", append("n3", 2, 1, 1, [noop(2, 2)])],
    ["a heartbeat", { type: "heartbeat", from: "n3", to: "n1", term: 2, leaderCommit: 1, sequence: 7 }],
    [
      "InstallSnapshot",
      {
        type: "install-snapshot",
        from: "n3",
        to: "n1",
        term: 2,
        sequence: 7,
        snapshot: { index: 1, term: 1, configuration: { voters: ["n1", "n2", "n3"] }, configurationIndex: 1 },
      },
    ],
  ];
  for (const [what, message] of staleLeaderMessages) {
    it(`${what} of a stale leader is refused with the current term, and changes nothing`, () => {
      const core = atTerm3();
      const before = core.status();
      const ready = core.step(message);
      expect(answers(ready)).toEqual([{ type: "append-entries-response", to: "n3", term: 3, success: false }]);
      expect(ready.probes).toContain("raft.stale-leader-answered");
      expect(core.status()).toEqual(before);
    });
  }

  it("a stale pre-vote request is refused; a stale vote request, a response and TimeoutNow are dropped", () => {
    const core = atTerm3();
    const before = core.status();
    expect(answers(core.step(requestVote("n3", 2, false, true)))).toEqual([
      { type: "request-vote-response", to: "n3", term: 3, granted: false },
    ]);
    expect(core.step(requestVote("n3", 2)).messages).toEqual([]);
    expect(core.step(voteResponse("n3", 2, true, false)).messages).toEqual([]);
    expect(core.step({ type: "timeout-now", from: "n2", to: "n1", term: 2 }).messages).toEqual([]);
    expect(
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
        sequence: 1,
      }).messages,
    ).toEqual([]);
    expect(core.status()).toEqual(before);
  });
});

describe("votes in a term", () => {
  it("go to one candidate: the same one again, not another", () => {
    const core = follower({ checkQuorum: false });
    expect(voteGranted(core.step(requestVote("n2", 3)), "n2")).toBe(true);
    expect(voteGranted(core.step(requestVote("n2", 3)), "n2")).toBe(true);
    const other = core.step(requestVote("n3", 3));
    expect(answers(other)).toEqual([{ type: "request-vote-response", to: "n3", term: 3, granted: false }]);
    expect(core.status().votedFor).toBe("n2");
  });

  it("are refused while a leader of the term is known, though no vote was cast", () => {
    const core = follower({ checkQuorum: false });
    core.step(append("n2", 3, 1, 1, []));
    expect(core.status().votedFor).toBeUndefined();
    expect(voteGranted(core.step(requestVote("n3", 3)), "n3")).toBe(false);
  });

  it("a pre-vote for the current term is refused (a pre-vote asks for a later one) once a leader is known", () => {
    const core = follower({ checkQuorum: false });
    core.step(append("n2", 3, 1, 1, []));
    expect(voteGranted(core.step(requestVote("n3", 3, false, true)), "n3")).toBe(false);
    expect(voteGranted(core.step(requestVote("n3", 4, false, true)), "n3")).toBe(true);
    expect(core.status()).toMatchObject({ term: 3, leaderId: "n2" });
  });
});

describe("counting votes", () => {
  const FIVE = ["n1", "n2", "n3", "n4", "n5"];

  it("a pre-candidate counts only granted pre-votes of the next term, from voters", () => {
    const core = preCandidate(FIVE);
    core.step(voteResponse("n2", 2, true, true));
    core.step(voteResponse("n2", 2, true, true)); // the same voter twice
    core.step(voteResponse("n3", 3, true, false)); // not a pre-vote: a higher term, so adopted
    expect(core.status()).toMatchObject({ role: "follower", term: 3 });
    const other = preCandidate(FIVE);
    other.step(voteResponse("n2", 2, true, true));
    other.step(voteResponse("n9", 2, true, true)); // not a voter
    other.step(voteResponse("n3", 1, true, true)); // not the next term
    expect(other.status()).toMatchObject({ role: "pre-candidate", term: 1 });
    other.step(voteResponse("n4", 2, true, true));
    expect(other.status()).toMatchObject({ role: "candidate", term: 2 });
  });

  it("a quorum of refusals (carrying the voters' own term, as etcd's do) sends a pre-candidate back to follower, and not fewer", () => {
    const core = preCandidate(FIVE);
    core.step(voteResponse("n2", 1, false, true));
    core.step(voteResponse("n3", 1, false, true));
    expect(core.status().role).toBe("pre-candidate");
    const ready = core.step(voteResponse("n4", 1, false, true));
    expect(ready.probes).toContain("raft.pre-vote-rejected");
    expect(core.status()).toMatchObject({ role: "follower", term: 1 });
  });

  it("a candidate counts votes of its term only, and not pre-votes", () => {
    const core = preCandidate(FIVE);
    core.step(voteResponse("n2", 2, true, true));
    core.step(voteResponse("n3", 2, true, true));
    expect(core.status()).toMatchObject({ role: "candidate", term: 2 });
    core.step(voteResponse("n2", 2, true, true)); // a late pre-vote
    core.step(voteResponse("n3", 1, true, false)); // a vote of an earlier term
    expect(core.status().role).toBe("candidate");
    core.step(voteResponse("n2", 2, true, false));
    expect(core.status().role).toBe("candidate");
    core.step(voteResponse("n3", 2, true, false));
    expect(core.status()).toMatchObject({ role: "leader", term: 2 });
  });
});

describe("timers", () => {
  it("a follower campaigns at exactly its randomized election timeout", () => {
    const core = follower();
    for (let tick = 1; tick < 2 * BASE - 1; tick++) {
      core.tick();
      expect(core.status().role, `tick ${tick}`).toBe("follower");
    }
    core.tick();
    expect(core.status().role).toBe("pre-candidate");
  });

  const heartbeats = (ready: Ready) => ready.messages.filter((message) => message.type === "heartbeat").length;

  it("a leader sends heartbeats every heartbeat interval", () => {
    const core = leaderOfThree({ heartbeatIntervalTicks: 2, checkQuorum: false });
    expect([1, 2, 3, 4].map(() => heartbeats(core.tick()))).toEqual([0, 2, 0, 2]);
  });

  it("a leader gives up a transfer after exactly one election timeout", () => {
    const core = leaderOfThree({ checkQuorum: false });
    expect(core.transferLeadership("n3").ok).toBe(true);
    for (let tick = 1; tick < BASE; tick++) expect(core.tick().transfer, `tick ${tick}`).toBeUndefined();
    const ready = core.tick();
    expect(ready.transfer).toEqual({ target: "n3", outcome: "timed-out" });
    expect(ready.probes).toContain("raft.leadership-transfer-timed-out");
    expect(core.status()).toMatchObject({ role: "leader", transferTarget: undefined });
  });

  it("with check-quorum, a leader that hears from a quorum stays in its lease: it ignores a higher term's vote request however long it leads", () => {
    const core = leaderOfThree();
    for (let tick = 0; tick < 3 * BASE; tick++) {
      core.step({ type: "heartbeat-response", from: "n2", to: "n1", term: 2, sequence: 0 });
      core.tick();
    }
    const ready = core.step(requestVote("n3", 3));
    expect(ready.probes).toContain("raft.vote-ignored-in-lease");
    expect(core.status()).toMatchObject({ role: "leader", term: 2 });
  });

  it("with check-quorum, a leader steps down one election timeout after a quorum was last heard, not before", () => {
    const core = leaderOfThree();
    core.step({ type: "heartbeat-response", from: "n2", to: "n1", term: 2, sequence: 0 });
    for (let tick = 1; tick < BASE; tick++) {
      core.tick();
      expect(core.status().role, `tick ${tick}`).toBe("leader");
    }
    const ready = core.tick();
    expect(ready.probes).toContain("raft.check-quorum-step-down");
    expect(core.status()).toMatchObject({ role: "follower", term: 2, leaderId: undefined });
  });
});
