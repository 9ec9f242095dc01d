/**
 * What the Raft-based cluster harnesses (raft-kv, dqlite, etcd) record the same
 * way: problems found as the servers run (reported later as safety violations),
 * election safety from each node's leadership observer, and all of Raft's safety
 * properties from each node's RaftObserver (src/impl/raft/testing).
 */
import type { Crc32 } from "../../src/sim/env.ts";
import type { RaftObserver } from "../../src/impl/raft/node/observer.ts";
import { safetyObserver } from "../../src/impl/raft/node/observer.ts";
import { RaftSafetyChecker } from "../../src/impl/raft/testing/safety-checker.ts";
import type { ScenarioContext } from "../../src/sim/runner.ts";

export interface ClusterProblem {
  readonly invariant: string;
  readonly host: string;
  readonly details: string;
}

/** The records every cluster keeps: who led each term, the problems found, and the Raft safety checker of its nodes. */
export interface ClusterRecords {
  readonly leadersByTerm: Map<number, string>;
  readonly problems: ClusterProblem[];
  /** Fed by every node's observer (raftObserverOf); its violations become problems in reportClusterProblems. */
  readonly raftSafety?: RaftSafetyChecker;
}

/** A checker for a cluster's records. */
export function newRaftSafety(): RaftSafetyChecker {
  return new RaftSafetyChecker();
}

/** The observer a node on `host` reports to the cluster's Raft safety checker with (undefined without one). */
export function raftObserverOf(records: ClusterRecords, host: string, crc32: Crc32): RaftObserver | undefined {
  return records.raftSafety === undefined ? undefined : safetyObserver(records.raftSafety, host, crc32);
}

/** A node's leadership event, as raft's observeLeadership reports it. */
interface LeadershipEvent {
  readonly isLeader: boolean;
  readonly term: number;
}

/**
 * Records `host`'s leaderships; a second leader in a term is an `invariant` problem (raft.election-safety or its
 * system's name).
 */
export function observeElectionSafety(
  node: { observeLeadership(observer: (event: LeadershipEvent) => void): unknown },
  host: string,
  records: ClusterRecords,
  invariant: string,
): void {
  node.observeLeadership((event) => {
    if (!event.isLeader) return;
    const other = records.leadersByTerm.get(event.term);
    if (other !== undefined && other !== host)
      records.problems.push({ invariant, host, details: `${host} and ${other} both lead term ${event.term}` });
    records.leadersByTerm.set(event.term, host);
  });
}

/** A server as the leader role sees it: its Raft state and term. */
export interface LeaderCandidate {
  state(): string;
  stats(): Record<string, string>;
}

/**
 * The live server that leads in the highest term (a deposed leader that has not heard yet may still think it leads);
 * undefined when none leads.
 */
export function leaderInHighestTerm(live: Iterable<[string, LeaderCandidate]>): string | undefined {
  let best: { host: string; term: number } | undefined;
  for (const [host, node] of live) {
    if (node.state() !== "Leader") continue;
    const term = Number(node.stats().term);
    if (best === undefined || term > best.term) best = { host, term };
  }
  return best?.host;
}

/** Resolves the fault plans' "@leader" to leaderInHighestTerm of the live servers. */
export function declareLeaderRole(context: ScenarioContext, live: () => Iterable<[string, LeaderCandidate]>): void {
  context.world.setRole("leader", () => leaderInHighestTerm(live()));
}

/** Moves the violations the cluster's Raft safety checker found since the last call into its problems. */
export function takeRaftSafetyProblems(records: ClusterRecords): void {
  for (const violation of records.raftSafety?.takeViolations() ?? []) {
    records.problems.push({
      invariant: `raft.${violation.invariant}`,
      host: violation.server,
      details: violation.details,
    });
  }
}

/** Reports the problems recorded since the last call as safety violations; returns the new count reported. */
export function reportClusterProblems(context: ScenarioContext, records: ClusterRecords, reported: number): number {
  takeRaftSafetyProblems(records);
  for (; reported < records.problems.length; reported++) {
    const problem = records.problems[reported] as ClusterProblem;
    context.world.violate({
      invariant: problem.invariant,
      kind: "safety",
      host: problem.host,
      details: problem.details,
    });
  }
  return reported;
}

/** A Raft-based server as a cluster kit supervises it: its node, and what it stopped for. */
export interface ObservedServer {
  readonly node: { observeLeadership(observer: (event: LeadershipEvent) => void): unknown };
  readonly terminated: Promise<{ readonly name: string } | undefined>;
}

/**
 * The supervisor's `run` for a Raft-based server on `host` (raft-kv's and etcd's kits): the
 * server is live while it runs, its leadership changes are checked for election safety as
 * `invariant`, and the name of what stopped it (undefined for a clean stop) is returned.
 */
export function runObserved<S extends ObservedServer>(
  records: ClusterRecords & { readonly live: Map<string, S> },
  host: string,
  invariant: string,
): (server: S) => Promise<string | undefined> {
  return async (server) => {
    records.live.set(host, server);
    observeElectionSafety(server.node, host, records, invariant);
    const reason = await server.terminated;
    records.live.delete(host);
    return reason?.name;
  };
}
