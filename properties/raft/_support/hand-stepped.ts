/**
 * A Raft core stepped by hand: a follower n1 of n1..n3 and crafted messages to it,
 * for tests that compare each answer exactly (core-contract, core-step).
 */
import { expect } from "vitest";
import {
  RaftCore,
  configurationOf,
  type CoreOptions,
  type LogEntry,
  type Message,
  type Ready,
} from "../../../src/impl/raft/core/index.ts";

export const BASE = 5;
/** Always the longest timeout (2 × base - 1), so that a follower reaches `base` ticks without campaigning. */
export const LONGEST = { int: (_min: number, max: number) => max };

export function configurationEntry(index: number, term: number, voters: readonly string[]): LogEntry {
  return { index, term, kind: "configuration", data: new Uint8Array(0), configuration: configurationOf(voters) };
}
export function noop(index: number, term: number): LogEntry {
  return { index, term, kind: "noop", data: new Uint8Array(0) };
}

/** n1, a follower at term 1 holding the bootstrap configuration (n1..n3 unless given) at index 1. */
export function follower(options: Partial<CoreOptions> = {}, voters: readonly string[] = ["n1", "n2", "n3"]): RaftCore {
  return new RaftCore(
    { id: "n1", random: LONGEST, electionTimeoutTicks: BASE, ...options },
    {
      hardState: { term: 1, votedFor: undefined },
      snapshot: undefined,
      logBase: { index: 0, term: 0 },
      entries: [configurationEntry(1, 1, voters)],
    },
  );
}

export function append(
  from: string,
  term: number,
  prevLogIndex: number,
  prevLogTerm: number,
  entries: readonly LogEntry[],
  leaderCommit = 1,
): Message {
  return {
    type: "append-entries",
    from,
    to: "n1",
    term,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit,
    sequence: 1,
  };
}
export function requestVote(from: string, term: number, transfer = false, preVote = false): Message {
  return { type: "request-vote", from, to: "n1", term, lastLogIndex: 1, lastLogTerm: 1, preVote, transfer };
}
export function voteResponse(from: string, term: number, granted: boolean, preVote: boolean): Message {
  return { type: "request-vote-response", from, to: "n1", term, granted, preVote };
}
export const voteGranted = (ready: Ready, to: string) =>
  ready.messages.some((message) => message.type === "request-vote-response" && message.to === to && message.granted);

/**
 * n1 leader of n1..n3 at term 2 (n2's pre-vote and vote stepped in by hand); its no-op at index 2 is not committed yet.
 */
export function leaderOfThree(options: Partial<CoreOptions> = {}): RaftCore {
  const core = follower(options);
  for (let tick = 0; tick < 2 * BASE && core.status().role !== "pre-candidate"; tick++) core.tick();
  core.step(voteResponse("n2", 2, true, true));
  core.step(voteResponse("n2", 2, true, false));
  expect(core.status()).toMatchObject({ role: "leader", term: 2, lastIndex: 2 });
  return core;
}

/** A follower's acknowledgement of everything through `matchIndex`, to n1. */
export function acknowledge(from: string, term: number, matchIndex: number): Message {
  return {
    type: "append-entries-response",
    from,
    to: "n1",
    term,
    success: true,
    matchIndex,
    rejectedIndex: 0,
    hintIndex: 0,
    hintTerm: 0,
    sequence: 0,
  };
}
