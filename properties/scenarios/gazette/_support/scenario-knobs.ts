/**
 * The configurations the Gazette scenarios had before each seed drew its knobs,
 * for the tests whose crafted fault plans or regression seeds were written for
 * them (five brokers named in a plan, a 2 s lease a cut is timed against, a seed
 * that replays one trajectory). Every other test runs the seed's own draw.
 */
import type { KnobValue } from "../../../../src/sim/runner.ts";

/**
 * gazette-journals and gazette-outages: 5 brokers, replication 3, 2 s leases, 4 KiB fragments refreshed every 2 s, 60 s
 * persist rounds.
 */
export const JOURNALS_BEFORE_KNOBS: Readonly<Record<string, KnobValue>> = {
  brokers: 5,
  replication: 3,
  brokerLeaseTtlSeconds: 2,
  diskSyncMsMean: 1,
  fragmentLengthBytes: 4_096,
  refreshIntervalMs: 2_000,
  persistIntervalMs: 60_000,
};

/** gazette-churn: as gazette-journals, on its own six brokers. */
export const CHURN_BEFORE_KNOBS: Readonly<Record<string, KnobValue>> = {
  brokerLeaseTtlSeconds: 2,
  diskSyncMsMean: 1,
  fragmentLengthBytes: 4_096,
  refreshIntervalMs: 2_000,
  persistIntervalMs: 60_000,
};

/** gazette-retention: 4 brokers, replication 3, 2 s leases, 1 KiB fragments refreshed every second. */
export const RETENTION_BEFORE_KNOBS: Readonly<Record<string, KnobValue>> = {
  brokers: 4,
  replication: 3,
  brokerLeaseTtlSeconds: 2,
  diskSyncMsMean: 1,
  fragmentLengthBytes: 1_024,
  refreshIntervalMs: 1_000,
};
