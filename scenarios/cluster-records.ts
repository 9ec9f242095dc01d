/**
 * What the Raft-based cluster harnesses (raft-kv, dqlite, etcd) record the same
 * way: problems found as the servers run (reported later as safety violations),
 * and election safety from each node's leadership observer.
 */
import type { ScenarioContext } from "../src/sim/runner.ts";

export interface ClusterProblem {
  readonly invariant: string;
  readonly host: string;
  readonly details: string;
}

/** The records every cluster keeps: who led each term, and the problems found. */
export interface ClusterRecords {
  readonly leadersByTerm: Map<number, string>;
  readonly problems: ClusterProblem[];
}

/** A node's leadership event, as raft's observeLeadership reports it. */
interface LeadershipEvent {
  readonly isLeader: boolean;
  readonly term: number;
}

/** Records `host`'s leaderships; a second leader in a term is an `invariant` problem (raft.election-safety or its system's name). */
export function observeElectionSafety(node: { observeLeadership(observer: (event: LeadershipEvent) => void): unknown }, host: string, records: ClusterRecords, invariant: string): void {
  node.observeLeadership((event) => {
    if (!event.isLeader) return;
    const other = records.leadersByTerm.get(event.term);
    if (other !== undefined && other !== host) records.problems.push({ invariant, host, details: `${host} and ${other} both lead term ${event.term}` });
    records.leadersByTerm.set(event.term, host);
  });
}

/** Reports the problems recorded since the last call as safety violations; returns the new count reported. */
export function reportClusterProblems(context: ScenarioContext, records: ClusterRecords, reported: number): number {
  for (; reported < records.problems.length; reported++) {
    const problem = records.problems[reported] as ClusterProblem;
    context.world.violate({ invariant: problem.invariant, kind: "safety", host: problem.host, details: problem.details });
  }
  return reported;
}
