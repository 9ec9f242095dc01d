/**
 * The hooks every Gazette journal scenario returns (journals, outages, retention, churn), once: the continuous check
 * reports etcd's and the ledger's problems as they appear; the final phase audits every copy of every journal (the
 * store's fragments and each broker's replica), then checks the ledger against everything read; the summary gives
 * the workload's counts, the audit's figures and the cluster's failures. Each scenario adds its own checks, progress
 * condition and figures through the options.
 */
import type { ScenarioContext, ScenarioHooks } from "../../src/sim/runner.ts";
import { reportProblems as reportEtcdProblems } from "../etcd/cluster.ts";
import { auditFigures, auditJournals, type Audit, type AuditTarget } from "./audit.ts";
import type { GazetteCluster } from "./cluster.ts";
import { checkLedger } from "./records.ts";
import type { JournalWorkload } from "./workload.ts";

export interface JournalHooksOptions {
  /** What the final audit reads (read when the final phase starts: the brokers may have changed). */
  readonly audit: () => AuditTarget;
  /** The liveness condition. */
  readonly progress: () => boolean;
  /** A continuous check of the scenario's own, run after etcd's problems are reported and before the ledger's. */
  readonly check?: () => void;
  /** Final checks of the scenario's own, run after the ledger was checked against every reader and the audit. */
  readonly finish?: (audit: Audit) => void;
  /** The scenario's own figures, after the shared ones. */
  readonly summary?: () => Record<string, unknown>;
}

export function journalHooks(
  context: ScenarioContext,
  cluster: GazetteCluster,
  workload: JournalWorkload,
  options: JournalHooksOptions,
): ScenarioHooks {
  let reported = 0;
  let etcdReported = 0;
  let audit: Audit | undefined;
  return {
    check: () => {
      etcdReported = reportEtcdProblems(context, cluster.etcd, etcdReported);
      options.check?.();
      reported = workload.ledger.report(context, reported);
    },
    progress: options.progress,
    finish: async () => {
      const done = await auditJournals(context, workload.ledger, options.audit());
      audit = done;
      workload.ledger.report(context, reported);
      checkLedger(context, workload.ledger, [...workload.parsers, ...done.parsers]);
      options.finish?.(done);
    },
    summary: () => ({
      ...workload.counts,
      ...auditFigures(audit),
      ...cluster.failures,
      ...options.summary?.(),
    }),
  };
}

/** Whether, since the liveness phase began, the specs were applied and every writer had an append acknowledged. */
export function writersAcknowledgedSinceHeal(
  context: ScenarioContext,
  workload: JournalWorkload,
  writers: readonly string[],
): boolean {
  const since = context.livenessStartedAt();
  if (since === undefined || !workload.applied) return false;
  return writers.every((writer) => (workload.lastAckAt.get(writer) ?? -1) >= since);
}
