/**
 * The Raft core's answers to requests and to a leader's messages, at the edges,
 * on one core stepped by hand (_support/hand-stepped.ts):
 * - configuration changes: refused (ErrConfigurationChangeInProgress) until the
 *   leader's no-op commits and while another change is uncommitted; removing a
 *   server that is not a voter, or the last voter, is ErrUnknownPeer;
 * - leadership transfer: to an unknown server or to the leader itself is
 *   ErrUnknownPeer; without a target it picks the follower with the highest
 *   match index (the first on a tie); a caught-up target gets TimeoutNow at once,
 *   one behind once it acknowledges the leader's last entry;
 * - a follower refusing AppendEntries hints where the logs may last agree (index
 *   and term), and appending new entries truncates nothing;
 * - an InstallSnapshot older than the commit index is answered with the commit
 *   index and installs nothing; TimeoutNow to a server that is not a voter starts
 *   no election.
 *
 * Written because mutation testing (npm run mutate) found these unchecked.
 */
import { describe, expect, it } from "vitest";
import type { Message, Ready } from "../../src/impl/raft/core/index.ts";
import { RaftCore } from "../../src/impl/raft/core/index.ts";
import { ErrConfigurationChangeInProgress, ErrUnknownPeer } from "../../src/impl/raft/errors.ts";
import {
  acknowledge,
  append,
  BASE,
  configurationEntry,
  follower,
  leaderOfThree,
  LONGEST,
  noop,
} from "./_support/hand-stepped.ts";

const errorOf = (outcome: { ok: true } | { ok: false; error: unknown }) => (outcome.ok ? undefined : outcome.error);
const sentTo = (ready: Ready, to: string) =>
  ready.messages.filter((message) => message.to === to).map((message) => message.type);

describe("configuration changes", () => {
  it("are refused until the leader's no-op commits, and while another change is uncommitted", () => {
    const core = leaderOfThree({ checkQuorum: false });
    expect(errorOf(core.proposeConfigurationChange({ kind: "add-voter", id: "n4" }))).toBeInstanceOf(
      ErrConfigurationChangeInProgress,
    );
    core.step(acknowledge("n2", 2, 2));
    expect(core.status().commitIndex).toBe(2);
    expect(core.proposeConfigurationChange({ kind: "add-voter", id: "n4" }).ok).toBe(true);
    expect(errorOf(core.proposeConfigurationChange({ kind: "add-voter", id: "n5" }))).toBeInstanceOf(
      ErrConfigurationChangeInProgress,
    );
    expect(core.status().configuration.voters).toEqual(["n1", "n2", "n3", "n4"]);
  });

  it("removing a server that is not a voter, or the last voter, is ErrUnknownPeer", () => {
    const core = leaderOfThree({ checkQuorum: false });
    core.step(acknowledge("n2", 2, 2));
    expect(errorOf(core.proposeConfigurationChange({ kind: "remove-server", id: "n9" }))).toBeInstanceOf(
      ErrUnknownPeer,
    );
    const alone = new RaftCore(
      { id: "n1", random: LONGEST, electionTimeoutTicks: BASE },
      {
        hardState: { term: 1, votedFor: undefined },
        snapshot: undefined,
        logBase: { index: 0, term: 0 },
        entries: [configurationEntry(1, 1, ["n1"])],
      },
    );
    for (let tick = 0; tick < 4 * BASE && alone.status().role !== "leader"; tick++) alone.tick();
    expect(errorOf(alone.proposeConfigurationChange({ kind: "remove-server", id: "n1" }))).toBeInstanceOf(
      ErrUnknownPeer,
    );
    expect(alone.status().configuration.voters).toEqual(["n1"]);
  });
});

describe("leadership transfer", () => {
  it("to an unknown server or to the leader itself is ErrUnknownPeer", () => {
    const core = leaderOfThree({ checkQuorum: false });
    expect(errorOf(core.transferLeadership("n9"))).toBeInstanceOf(ErrUnknownPeer);
    expect(errorOf(core.transferLeadership("n1"))).toBeInstanceOf(ErrUnknownPeer);
    expect(core.status().transferTarget).toBeUndefined();
  });

  it("without a target picks the follower with the highest match index, the first one on a tie", () => {
    const tie = leaderOfThree({ checkQuorum: false });
    const first = tie.transferLeadership();
    expect(first.ok && first.target).toBe("n2");
    const ahead = leaderOfThree({ checkQuorum: false });
    ahead.step(acknowledge("n3", 2, 2));
    const chosen = ahead.transferLeadership();
    expect(chosen.ok && chosen.target).toBe("n3");
  });

  it("sends TimeoutNow at once to a caught-up target, and to one behind once it acknowledges the last entry", () => {
    const caughtUp = leaderOfThree({ checkQuorum: false });
    caughtUp.step(acknowledge("n2", 2, 2));
    const now = caughtUp.transferLeadership("n2");
    expect(now.ok && sentTo(now.ready, "n2")).toEqual(["timeout-now"]);
    const behind = leaderOfThree({ checkQuorum: false });
    behind.step(acknowledge("n3", 2, 1));
    const later = behind.transferLeadership("n3");
    expect(later.ok).toBe(true);
    expect(later.ok && sentTo(later.ready, "n3")).not.toContain("timeout-now");
    expect(sentTo(behind.step(acknowledge("n3", 2, 2)), "n3")).toContain("timeout-now");
  });
});

describe("a follower's answers", () => {
  const response = (ready: Ready) =>
    ready.messages.find(
      (message): message is Extract<Message, { type: "append-entries-response" }> =>
        message.type === "append-entries-response",
    );

  it("refusing AppendEntries, hints at the last index whose term is at most the leader's previous term", () => {
    const beyond = follower({ checkQuorum: false });
    expect(response(beyond.step(append("n2", 3, 5, 3, [])))).toMatchObject({
      success: false,
      rejectedIndex: 5,
      hintIndex: 1,
      hintTerm: 1,
      term: 3,
    });
    const conflicting = follower({ checkQuorum: false });
    conflicting.step(append("n2", 2, 1, 1, [noop(2, 2), noop(3, 2)], 1));
    expect(response(conflicting.step(append("n3", 4, 3, 3, [])))).toMatchObject({
      success: false,
      rejectedIndex: 3,
      hintIndex: 3,
      hintTerm: 2,
    });
  });

  it("appending entries after its log truncates nothing", () => {
    const core = follower({ checkQuorum: false });
    const ready = core.step(append("n2", 2, 1, 1, [noop(2, 2)], 1));
    expect(ready.truncateFrom).toBeUndefined();
    expect(ready.probes).not.toContain("raft.log-conflict-truncated");
    expect(response(ready)).toMatchObject({ success: true, matchIndex: 2 });
  });

  it("answers an InstallSnapshot older than its commit index with the commit index, installing nothing", () => {
    const core = follower({ checkQuorum: false });
    core.step(append("n2", 2, 1, 1, [noop(2, 2)], 2));
    expect(core.status().commitIndex).toBe(2);
    const ready = core.step({
      type: "install-snapshot",
      from: "n2",
      to: "n1",
      term: 2,
      sequence: 3,
      snapshot: { index: 1, term: 1, configuration: { voters: ["n1", "n2", "n3"] }, configurationIndex: 1 },
    });
    expect(ready.snapshot).toBeUndefined();
    expect(response(ready)).toMatchObject({ success: true, matchIndex: 2 });
  });

  it("starts no election on TimeoutNow when it is not a voter", () => {
    const core = follower({ checkQuorum: false }, ["n2", "n3", "n4"]);
    const ready = core.step({ type: "timeout-now", from: "n2", to: "n1", term: 1 });
    expect(ready.probes).not.toContain("raft.timeout-now-received");
    expect(core.status()).toMatchObject({ role: "follower", term: 1 });
  });
});
