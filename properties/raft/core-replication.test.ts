/**
 * The leader's replication at the edges, on one core stepped by hand
 * (_support/hand-stepped.ts):
 * - flow control: a follower in replicate mode has at most maxInflightAppends
 *   AppendEntries outstanding, and each acknowledgement frees room for one more; a
 *   follower that never answered (probe mode) gets one AppendEntries, then nothing
 *   until it answers or the next heartbeat;
 * - a rejection of an index the follower is known to hold (a stale one, reordered)
 *   changes nothing; a fresh one moves the follower to probe at the hinted index;
 * - a verification (verifyLeader) is confirmed once a quorum, the leader
 *   included, answered a message sent after it, and not before.
 *
 * Written because mutation testing (npm run mutate) found flow control and
 * verification thresholds unchecked: breaking them leaves every safety property
 * true, so only an exact count of messages catches them.
 */
import { describe, expect, it } from "vitest";
import type { Message, Ready } from "../../src/impl/raft/core/index.ts";
import { acknowledge, leaderOfThree } from "./_support/hand-stepped.ts";

const appendsTo = (ready: Ready, to: string) =>
  ready.messages.filter(
    (message): message is Extract<Message, { type: "append-entries" }> =>
      message.type === "append-entries" && message.to === to,
  );

describe("flow control", () => {
  it("keeps at most maxInflightAppends AppendEntries outstanding to a replicating follower, one more per acknowledgement", () => {
    const core = leaderOfThree({ checkQuorum: false, maxInflightAppends: 2, maxEntriesPerAppend: 1 });
    core.step(acknowledge("n2", 2, 2)); // n2 holds the no-op: replicate mode
    const readies: Ready[] = [];
    for (let count = 0; count < 5; count++) {
      const outcome = core.propose(Uint8Array.of(count));
      if (!outcome.ok) throw outcome.error;
      readies.push(outcome.ready);
    }
    const sent = readies.flatMap((ready) => appendsTo(ready, "n2"));
    expect(sent.map((message) => message.entries.map((entry) => entry.index))).toEqual([[3], [4]]);
    const next = core.step(acknowledge("n2", 2, 3));
    expect(appendsTo(next, "n2").map((message) => message.entries.map((entry) => entry.index))).toEqual([[5]]);
  });

  it("sends a follower that never answered one AppendEntries, then waits for an answer or a heartbeat", () => {
    const core = leaderOfThree({ checkQuorum: false, maxInflightAppends: 4 });
    const readies: Ready[] = [];
    for (let count = 0; count < 3; count++) {
      const outcome = core.propose(Uint8Array.of(count));
      if (!outcome.ok) throw outcome.error;
      readies.push(outcome.ready);
    }
    expect(readies.flatMap((ready) => appendsTo(ready, "n3"))).toEqual([]);
  });
});

describe("rejections", () => {
  const reject = (rejectedIndex: number, hintIndex: number, hintTerm: number): Message => ({
    type: "append-entries-response",
    from: "n2",
    to: "n1",
    term: 2,
    success: false,
    matchIndex: 0,
    rejectedIndex,
    hintIndex,
    hintTerm,
    sequence: 0,
  });

  it("ignores a stale rejection of an index the follower is known to hold", () => {
    const core = leaderOfThree({ checkQuorum: false });
    core.step(acknowledge("n2", 2, 2));
    const ready = core.step(reject(2, 1, 1));
    expect(ready.probes).not.toContain("raft.append-rejected");
    expect(appendsTo(ready, "n2")).toEqual([]);
    expect(core.status().followers.find((follower) => follower.id === "n2")).toMatchObject({
      mode: "replicate",
      matchIndex: 2,
      nextIndex: 3,
    });
  });

  it("moves the follower to probe at the hinted index on a fresh rejection", () => {
    const core = leaderOfThree({ checkQuorum: false });
    const ready = core.step(reject(1, 0, 0));
    expect(ready.probes).toContain("raft.append-rejected");
    expect(appendsTo(ready, "n2").map((message) => message.prevLogIndex)).toEqual([0]);
    expect(core.status().followers.find((follower) => follower.id === "n2")).toMatchObject({
      mode: "probe",
      nextIndex: 1,
    });
  });

  it("backs up to just after the last index whose term is at most the hinted term, never below the match index", () => {
    const core = leaderOfThree({ checkQuorum: false });
    core.step(acknowledge("n2", 2, 2));
    for (let count = 0; count < 3; count++) expect(core.propose(Uint8Array.of(count)).ok).toBe(true);
    expect(core.status().followers.find((follower) => follower.id === "n2")).toMatchObject({
      mode: "replicate",
      nextIndex: 6,
    });
    const ready = core.step(reject(5, 3, 2));
    expect(appendsTo(ready, "n2").map((message) => message.prevLogIndex)).toEqual([3]);
    expect(core.status().followers.find((follower) => follower.id === "n2")).toMatchObject({
      mode: "probe",
      nextIndex: 4,
      matchIndex: 2,
    });
  });
});

describe("leader verification", () => {
  it("is confirmed once a quorum (the leader included) answered after it, not before", () => {
    const core = leaderOfThree({ checkQuorum: false });
    const started = core.verifyLeader(7);
    if (!started.ok) throw started.error;
    const sequence = started.ready.messages.find((message) => message.type === "heartbeat")?.sequence;
    expect(sequence).toBeDefined();
    expect(
      core.step({ type: "heartbeat-response", from: "n2", to: "n1", term: 2, sequence: (sequence as number) - 1 })
        .verifications,
    ).toEqual([]);
    expect(
      core.step({ type: "heartbeat-response", from: "n2", to: "n1", term: 2, sequence: sequence as number })
        .verifications,
    ).toEqual([{ id: 7, confirmed: true }]);
  });
});
