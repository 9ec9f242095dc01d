/**
 * describeMessage: one line per message, etcd style, as the node's traces and the
 * harness's failure reports print them. Each kind is shown exactly, with the
 * variants of its fields (pre-vote, transfer, an empty or a ranged AppendEntries,
 * an accepted or a rejected answer). Written because mutation testing found the
 * format unchecked: a trace that misstates a message misleads whoever debugs a run.
 */
import { describe, expect, it } from "vitest";
import { describeMessage, type Message } from "../../src/impl/raft/core/index.ts";
import { noop } from "./_support/hand-stepped.ts";

const base = { from: "n1", to: "n2", term: 3 } as const;
const snapshot = { index: 9, term: 2, configuration: { voters: ["n1", "n2", "n3"] }, configurationIndex: 1 };

const cases: Array<[Message, string]> = [
  [
    { ...base, type: "request-vote", lastLogIndex: 7, lastLogTerm: 2, preVote: false, transfer: false },
    "n1->n2 request-vote t3 last 7/2",
  ],
  [
    { ...base, type: "request-vote", lastLogIndex: 7, lastLogTerm: 2, preVote: true, transfer: false },
    "n1->n2 request-vote t3 pre last 7/2",
  ],
  [
    { ...base, type: "request-vote", lastLogIndex: 7, lastLogTerm: 2, preVote: false, transfer: true },
    "n1->n2 request-vote t3 transfer last 7/2",
  ],
  [
    { ...base, type: "request-vote-response", granted: true, preVote: false },
    "n1->n2 request-vote-response t3 granted",
  ],
  [
    { ...base, type: "request-vote-response", granted: false, preVote: true },
    "n1->n2 request-vote-response t3 pre rejected",
  ],
  [
    { ...base, type: "append-entries", prevLogIndex: 4, prevLogTerm: 2, entries: [], leaderCommit: 4, sequence: 1 },
    "n1->n2 append-entries t3 prev 4/2 entries none commit 4",
  ],
  [
    {
      ...base,
      type: "append-entries",
      prevLogIndex: 4,
      prevLogTerm: 2,
      entries: [noop(5, 3), noop(6, 3)],
      leaderCommit: 4,
      sequence: 1,
    },
    "n1->n2 append-entries t3 prev 4/2 entries 5..6 commit 4",
  ],
  [
    {
      ...base,
      type: "append-entries-response",
      success: true,
      matchIndex: 6,
      rejectedIndex: 0,
      hintIndex: 0,
      hintTerm: 0,
      sequence: 1,
    },
    "n1->n2 append-entries-response t3 ok match 6",
  ],
  [
    {
      ...base,
      type: "append-entries-response",
      success: false,
      matchIndex: 0,
      rejectedIndex: 6,
      hintIndex: 3,
      hintTerm: 1,
      sequence: 1,
    },
    "n1->n2 append-entries-response t3 reject 6 hint 3/1",
  ],
  [{ ...base, type: "heartbeat", leaderCommit: 5, sequence: 8 }, "n1->n2 heartbeat t3 commit 5 seq 8"],
  [{ ...base, type: "heartbeat-response", sequence: 8 }, "n1->n2 heartbeat-response t3 seq 8"],
  [{ ...base, type: "install-snapshot", snapshot, sequence: 2 }, "n1->n2 install-snapshot t3 snapshot 9/2"],
  [{ ...base, type: "timeout-now" }, "n1->n2 timeout-now t3"],
];

describe("describeMessage", () => {
  for (const [message, line] of cases) {
    it(`describes ${line}`, () => {
      expect(describeMessage(message)).toBe(line);
    });
  }
});
