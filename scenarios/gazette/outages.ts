/**
 * gazette-outages: the gazette-journals workload while what the brokers depend on
 * fails too: the fragment store and the etcd members, besides the brokers.
 *
 * Goal: show that the brokers ride out an unreachable, paused, crashed or failing
 * fragment store (persist rounds and index refreshes fail and are retried; nothing
 * acknowledged is lost) and etcd members that crash, pause or are cut off
 * (key-space watches resume on another member), with the same guarantees as
 * gazette-journals.
 * Method: the cluster, journals, writers and readers of gazette-journals
 * (scenarios/gazette/journals.ts), with its knobs (GAZETTE_JOURNALS_KNOBS). The swarm faults the store host, the three
 * etcd members and the brokers by crashes, pauses, isolation, clogged links and
 * lossy links, one host down at a time (etcd keeps its quorum, the journals all
 * but one replica), each counted as down, as a broker in gazette-journals, until
 * a persist round after it came back (rounds that failed while the store was
 * down are tried again a persist interval later).
 * No partitions: one that cuts the brokers off from every etcd member takes all
 * their leases at once (their spools with them), which is beyond what
 * replication covers (Budget, below); disk faults (I/O errors, torn writes)
 * strike the store's disk only. etcd auto-compacts to the last 5 revisions every
 * second, so that a watch falling behind would find its next revision compacted
 * away; in the seeds swept so far the key space changes too slowly for that to
 * happen (the key-space properties cover the reload).
 * Invariants: those of gazette-journals (gazette.whole-records,
 * gazette.offsets-agree, gazette.acknowledged-readable, gazette.append-order,
 * gazette.no-jump-without-retention); liveness: after the heal every writer and
 * every journal is acknowledged and every reader reaches the end of its journal.
 * Variants: gazette-journals', and jump-into-gap-at-once (store outages leave
 * gaps in the fragment index, which the variant skips at once instead of
 * waiting for the fragment: a reader jumps in a journal without retention).
 * Budget: a broker's 2 s lease is renewed every 667 ms, each attempt bounded by
 * the etcd client's 500 ms call deadline. A cut resets the brokers' connections
 * to etcd, and every dial made during it (the key space's watch redials at once,
 * renewals when due) loses its SYN, which TCP sends again 1 s later, then 2 s
 * after that; a renewal that joins such a dial waits for it. Measured at seed 7
 * (four brokers cut off, several phases): a cut healed within 950 ms-1 s kept
 * every lease, one of 1.1 s or more took three or four (what is left of a lease
 * after the heal, 2 s minus the cut at most, ends before a stalled dial's next
 * SYN, 3 s after the cut). clientv3 fares no better: its renewals have no
 * deadline but wait on a stream whose connection gRPC redials at once, on the
 * same SYN schedule; real partitions drop packets without resetting
 * connections, which this network does not model. Gazette's own lease (20 s)
 * covers such cuts; this scenario's 2 s does not.
 */
import type { Scenario } from "../../src/sim/runner.ts";
import { GAZETTE_BROKER_FAULTS, GAZETTE_KNOB_BASE, GAZETTE_SCENARIO_BASE, gazetteLivenessMsOf } from "./cluster.ts";
import { brokersOf, ETCD, GAZETTE_JOURNALS_KNOBS, gazetteJournals, setupJournals, STORE } from "./journals.ts";
import { pickVariants } from "./variants/broker.ts";

/** Revisions etcd keeps: a few seconds of the key space's changes. */
const COMPACTION_RETENTION_REVISIONS = 5;

export const gazetteOutages: Scenario = {
  name: "gazette-outages",
  description:
    "the gazette-journals workload while the fragment store, the etcd members and the brokers crash, pause or are cut off (one at a time) and the store's disk fails, with etcd compacting to 5 revisions; same guarantees",
  safetyMs: 8_000,
  livenessMs: 12_000,
  livenessMsOf: gazetteLivenessMsOf(12_000),
  swarm: {
    hosts: (knob) => [STORE, ...ETCD, ...brokersOf(knob).map((broker) => broker.host)],
    ...GAZETTE_BROKER_FAULTS,
    // No partitions: one that cuts the brokers off from every etcd member takes all their leases, so all of them down
    // at once.
    kinds: ["crash", "pause", "isolate", "clog", "link-quality", "disk-faults"],
    diskFaultHosts: [STORE],
  },
  variants: { ...gazetteJournals.variants, ...pickVariants(["jump-into-gap-at-once"]) },
  ...GAZETTE_SCENARIO_BASE,
  ...GAZETTE_KNOB_BASE,
  knobs: GAZETTE_JOURNALS_KNOBS,
  rareStates: {
    "fragment-store-unavailable": "gazette.fragment-store.unavailable",
    "persist-round-failed": "gazette.broker.persist-round-failed",
    "index-refresh-failed": "gazette.broker.index-refresh-failed",
    "etcd-watch-resumed": "etcd.watch-resumed",
    "keyspace-reloaded-after-compaction": "gazette.keyspace.reloaded",
  },
  setup: (context) => setupJournals(context, { etcdCompactionRetentionRevisions: COMPACTION_RETENTION_REVISIONS }),
};
