/**
 * The Gazette scenarios' final audit (scenarios/gazette/audit.ts): after the
 * heal, every broker's replica of each journal (DoNotProxy) and every fragment in
 * the store is read back and held to the run's ledger, so that a copy no reader
 * read is judged too.
 *
 * On unmodified runs it reads each journal's three replicas (the other brokers
 * refuse: not theirs) and every stored fragment, and finds nothing. A rogue
 * persister (the fixture properties/scenarios/gazette/_fixtures/rogue-persister.ts) that,
 * after the heal, stores a copy of a fragment under the wrong journal, one record
 * off, or a byte short, is caught by the audit alone (every violation names an
 * audit copy): gazette.no-foreign-records, gazette.offsets-agree and
 * gazette.store-copy-intact. Without the audit such a copy was read by nobody.
 * The gazette-journals runs take the shape the counts are for (five brokers,
 * replication 3, 4 KiB fragments: JOURNALS_BEFORE_KNOBS).
 */
import { describe, expect, it } from "vitest";
import { FRAGMENT_STORE_PORT } from "../../../src/impl/gazette/broker/fragment/store-url.ts";
import { gazetteJournals, STORE } from "../../../scenarios/gazette/journals.ts";
import { gazetteRetention } from "../../../scenarios/gazette/retention.ts";
import { describeScenarioRun, runAs } from "../../_support/describe-run.ts";
import { withRoguePut, type RoguePut } from "./_fixtures/rogue-persister.ts";
import { JOURNALS_BEFORE_KNOBS } from "./_support/scenario-knobs.ts";

const STORE_URL = `sim://${STORE}:${FRAGMENT_STORE_PORT}/`;
/** gazette-journals' two journals. */
const JOURNALS = ["logs/part-000", "logs/part-001"] as const;
const SEED = 1;

describe("the final audit of every copy", () => {
  it(`reads each journal's three replicas and every stored fragment, and finds nothing wrong (gazette-journals seed ${SEED})`, async () => {
    const run = { seed: SEED, knobs: JOURNALS_BEFORE_KNOBS };
    const result = await runAs(gazetteJournals, run);
    expect(result.violations, describeScenarioRun(gazetteJournals, run, result)).toEqual([]);
    const workload = result.stats.workload;
    expect(workload.auditReplicaCopies).toBe(6);
    expect(workload.auditReplicasRefused).toBe(4);
    expect(Number(workload.auditStoreFragments)).toBeGreaterThan(10);
    expect(workload.auditUnfinished).toBeUndefined();
  }, 90_000);

  it("reads the replicas' recent content of a journal that retention prunes as it reads (gazette-retention seed 1)", async () => {
    const run = { seed: 1 };
    const result = await runAs(gazetteRetention, run);
    expect(result.violations, describeScenarioRun(gazetteRetention, run, result)).toEqual([]);
    expect(Number(result.stats.workload.auditReplicaCopies)).toBeGreaterThan(0);
    expect(result.stats.workload.auditUnfinished).toBeUndefined();
  }, 90_000);

  const rogue: ReadonlyArray<{ put: RoguePut; invariant: string }> = [
    { put: "misfiled", invariant: "gazette.no-foreign-records" },
    { put: "shifted", invariant: "gazette.offsets-agree" },
    { put: "truncated", invariant: "gazette.store-copy-intact" },
  ];
  for (const { put, invariant } of rogue) {
    it(`a ${put} copy in the store, put after the heal, is caught by the audit alone: ${invariant} (seed ${SEED})`, async () => {
      const scenario = withRoguePut(gazetteJournals, { put, storeUrl: STORE_URL, from: JOURNALS[0], to: JOURNALS[1] });
      const result = await runAs(scenario, { seed: SEED, knobs: JOURNALS_BEFORE_KNOBS });
      expect(result.violations.map((violation) => violation.invariant)).toContain(invariant);
      for (const violation of result.violations)
        expect(`${violation.host ?? ""} ${violation.details}`).toMatch(/audit: /);
    }, 90_000);
  }
});
