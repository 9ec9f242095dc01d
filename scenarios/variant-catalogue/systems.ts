/**
 * The catalogue's entries for Raft, dqlite, BMDB, the counter and backedpipe: each
 * with the cheapest scenario whose sweep catches it, or why no sweep can and the
 * property that does.
 */
import { byProperty, swept, type CatalogueEntry, type VariantComponent } from "./entry.ts";

/** Broken copies of a pure function that only their property test calls, one entry each. */
function copiesOnlyTheirPropertyCalls(
  component: VariantComponent,
  variants: readonly string[],
  caught: { property: string; reason: string },
): CatalogueEntry[] {
  return variants.map((variant) => byProperty(component, variant, caught.property, caught.reason));
}

const RAFT_CORE: readonly CatalogueEntry[] = [
  swept("raft-core", "count-stale-term-votes", "raft-kv-linearizable"),
  swept("raft-core", "leader-appends-after-commit-index", "raft-kv-linearizable"),
  swept("raft-core", "skip-previous-term-check", "raft-kv-linearizable"),
  swept("raft-core", "grant-vote-without-log-check", "raft-kv-linearizable"),
  swept("raft-core", "commit-previous-term-by-counting", "raft-kv-linearizable"),
  swept("raft-core", "heartbeat-commit-uncapped", "raft-kv-linearizable"),
  swept("raft-core", "vote-twice-in-term", "raft-kv-linearizable"),
  swept("raft-core", "no-next-index-backtracking", "raft-kv-linearizable"),
];

const RAFT_NODE: readonly CatalogueEntry[] = [
  swept("raft-node", "ack-before-fsync", "raft-kv-linearizable"),
  swept("raft-node", "apply-on-step-down", "raft-leadership-loss"),
  swept("raft-node", "ignore-install-snapshot-state", "raft-snapshot-catch-up"),
  swept("raft-node", "no-snapshot-retry", "dqlite-snapshot-catch-up"),
];

const DQLITE: readonly CatalogueEntry[] = [
  swept("dqlite-leader", "ack-before-raft-commit", "dqlite-bank"),
  swept("dqlite-leader", "skip-dangling-undo", "dqlite-leadership-loss"),
  swept("dqlite-leader", "serve-abandoned-calls", "dqlite-bank"),
  byProperty(
    "dqlite-leader",
    "keep-dropped-transactions",
    "properties/dqlite/node/dropped-transactions.test.ts",
    "needs a client to go (crash, be cut off, give up just as its session is sent) while its transaction is open on the leader, and another client to need the database within the idle timeout badly enough to fail a check: bmdb-sessions met it on 2 of 200 fresh seeds (100048, 100075, as a live session that lost its lease); the node-level property builds the moment for each way of going",
  ),
  byProperty(
    "dqlite-leader",
    "zombie-after-apply",
    "properties/dqlite/node/leadership-lost-after-apply.test.ts",
    "needs a leadership loss inside the few hundredths of a virtual ms between the FSM's apply of a leader's commit frames and SQLite's WAL write of them, which no sweep reaches reliably: dqlite-multi-database seed 69 did until later changes moved its timings (seeds 1-120 no longer do); the node-level property builds the moment by holding that WAL write while the leader hands leadership over",
  ),
  swept("dqlite-fsm", "undo-keeps-zombies", "dqlite-leadership-loss"),
  swept("dqlite-fsm", "no-stale-zombie-purge", "dqlite-leadership-loss"),
  swept("dqlite-fsm", "resurrect-without-frames", "dqlite-leadership-loss"),
  swept("dqlite-fsm", "follower-kept-after-commit", "dqlite-leadership-loss"),
  swept("dqlite-fsm", "snapshot-ignores-transactions", "dqlite-snapshot-catch-up"),
  swept("dqlite-fsm", "restore-swaps-wals", "dqlite-multi-database"),
  byProperty(
    "dqlite-fsm",
    "no-leader-hook-wait",
    "properties/dqlite/node/leadership-lost-after-apply.test.ts",
    "needs a leadership loss between the FSM's apply of a leader's commit and SQLite's write of it, with the next leader's frames on the same database applied in between: a paused leader in the swarm (dqlite-multi-database seed 100014) but rare; the property builds the moment on purpose",
  ),
  swept("dqlite-database-files", "unchained-batches", "dqlite-bank"),
  swept("dqlite-database-files", "undo-keeps-running-checksum", "dqlite-leadership-loss"),
  swept("dqlite-database-files", "undo-is-noop", "dqlite-zombies", { buggify: true }),
  swept("dqlite-database-files", "leader-commit-keeps-chain", "dqlite-bank"),
  byProperty(
    "dqlite-database-files",
    "checkpoint-keeps-size",
    "properties/dqlite/wal/database-files-model.test.ts",
    "invisible to a whole run: every replica, the leader too, applies the same Checkpoint commands to its files and so keeps the same bytes past the last commit's size, and SQLite takes a database's size from its header, so neither the replicas' comparison nor integrity_check can tell (tried: dqlite-snapshot-catch-up with a table that grows and shrinks under auto_vacuum=FULL passes seeds 1-3); the model property compares the file with the model's exact size",
  ),
  swept("dqlite-cluster", "no-restart-after-node-failure", "dqlite-register"),
  swept("dqlite-client", "unknown-outcome-as-failed", "dqlite-register"),
  // A broken WAL reader is a copy of the parser that only its property calls: no run reads a WAL through it.
  ...copiesOnlyTheirPropertyCalls(
    "dqlite-wal-reader",
    ["no-checksum-check", "no-salt-check", "uncommitted-tail-kept", "first-version-wins", "image-not-sized"],
    {
      property: "properties/dqlite/wal/wal-format.test.ts",
      reason:
        "a broken copy of the WAL parser that only its property calls; every run parses WALs with the shipping parser, so no scenario can select it",
    },
  ),
];

const BMDB: readonly CatalogueEntry[] = [
  byProperty(
    "bmdb-session",
    "no-session-check",
    "properties/bmdb/api.test.ts",
    "with leases on, the check in the transaction only matters when a session's row goes while its lease still runs (an administrator deletes it, or clocks disagree by more than LEASE_MARGIN_MS), which no scenario does: a session's own lease refuses its transactions first. bmdb-sessions caught it on seed 2 only through the dqlite bug fixed in 88b0d42 (a refused ROLLBACK left SQLite's transaction open, every BEGIN failed, and the live sessions' leases ran out); since then seed 2 passes, and with the begin stream seeds 1..40 do. The API property deletes the row as an administrator would",
  ),
  swept("bmdb-session", "no-session-collection", "bmdb-provisioning"),
  swept("bmdb-session", "seed-heartbeat-condition", "bmdb-sessions"),
  swept("bmdb-session", "no-lease", "bmdb-sessions"),
  swept("bmdb-session", "unchecked-session", "bmdb-sessions"),
  swept("bmdb-session", "seed-unconditional-history", "bmdb-sessions"),
  swept("bmdb-agent", "retrieval-ignores-backoff", "bmdb-provisioning"),
  ...copiesOnlyTheirPropertyCalls(
    "bmdb-backoff",
    [
      "no-initial-floor",
      "overflow-unchecked",
      "no-maximum-clamp",
      "simple-on-raw-exponent",
      "round-down",
      "simple-ignores-zero-exponent",
      "initial-truncated",
      "may-stick",
    ],
    {
      property: "properties/bmdb/backoff.test.ts",
      reason:
        "a broken copy of nextBackoffSeconds that only its property calls; BMDB's Work.fail computes backoffs with the shipping function, so no scenario can select it",
    },
  ),
];

const COUNTER_AND_PIPE: readonly CatalogueEntry[] = [
  swept("counter", "ack-before-fsync", "counter-quorum"),
  swept("backedpipe", "off-by-one-replay", "pipe-flaky-link"),
  swept("backedpipe", "replay-what-remains", "pipe-buffer-too-small"),
  swept("backedpipe", "stale-generation-reconnect", "pipe-flaky-link"),
  swept("backedpipe", "forgiving-replay", "pipe-flaky-link"),
  swept("backedpipe", "reader-kept-on-failed-replay", "pipe-buffer-too-small"),
];

/** Every entry of the systems this file covers, in the order `dst variants` runs them. */
export const SYSTEM_ENTRIES: readonly CatalogueEntry[] = [
  ...COUNTER_AND_PIPE,
  ...RAFT_CORE,
  ...RAFT_NODE,
  ...DQLITE,
  ...BMDB,
];
