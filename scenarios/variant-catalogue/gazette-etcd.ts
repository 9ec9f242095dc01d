/**
 * The catalogue's entries for Gazette (brokers and client) and etcd: the scenario
 * whose sweep catches each variant, or why no sweep can and the property that
 * does (figures measured with scripts that run a scenario's seeds in order).
 */
import { byProperty, swept, type CatalogueEntry } from "./entry.ts";

const ETCD: readonly CatalogueEntry[] = [
  byProperty(
    "etcd-server",
    "local-reads",
    "properties/scenarios/etcd/kv-linearizable.test.ts",
    "a stale read needs a deposed leader that still thinks it leads, cut off with a client and paused across an election, to answer that client's queued reads before its own timers tell it it is deposed; no sweep of etcd-kv caught it within 200 seeds (seeds 1..200 clean, and 1..120 clean with a stale-leader or paused-leader fault shape tried), so the crafted stale-read plan (partition with the client, pauses in slices) catches it",
  ),
  swept("etcd-lessor", "no-lease-promote", "etcd-leases"),
  swept("etcd-mvcc", "version-not-reset-on-delete", "etcd-kv"),
  swept("etcd-mvcc", "revoke-key-by-key", "etcd-leases"),
  swept("etcd-watch", "resume-from-last", "etcd-kv"),
  swept("etcd-watch", "resume-from-current", "etcd-kv"),
];

const GAZETTE_BROKERS: readonly CatalogueEntry[] = [
  swept("gazette-allocator", "replace-survivors", "gazette-churn"),
  swept("gazette-allocator", "promote-newest", "gazette-churn"),
  byProperty(
    "gazette-allocator",
    "no-leader-election",
    "properties/gazette/broker/keyspace/allocator-cluster.test.ts",
    "each member's round is one etcd txn guarded by the modRevision of every key it read, so of competing rounds one commits and the others fail their compares and plan again: the assignments are those one leader makes, only more contended, which no journal invariant sees (gazette-journals seeds 1-12 pass); the property's check that only the lowest createRevision commits catches it",
  ),
  byProperty(
    "gazette-announce",
    "overwrite-existing",
    "properties/gazette/broker/keyspace/announce.test.ts",
    "a broker restarted within its lease TTL takes its key over instead of waiting it out, and so keeps its assignments with an empty spool; the next sync rolls it forward to its peers (as a lagging primary), so journals and reads stay correct (gazette-journals seeds 1-12 pass); the property watches the key and sees it overwritten",
  ),
  byProperty(
    "gazette-announce",
    "ignore-renewal-failures",
    "properties/gazette/broker/keyspace/announce.test.ts",
    "the scenarios cut a broker off from etcd only by isolating it (or pausing it), which cuts it off from its peers and clients too, so a broker that misses its lease loss serves and commits nothing meanwhile, and its key is gone when it comes back (gazette-journals seeds 1-12 pass with it); the property partitions a broker from etcd alone and requires `lost` within the TTL",
  ),
  byProperty(
    "gazette-announce",
    "renew-after-loss",
    "properties/gazette/broker/keyspace/announce.test.ts",
    "harmful only when a broker gives its lease up as lost while etcd still holds it, and a renewal then gets through (so the key outlives the broker): no scenario's fault mix arranges that (gazette-journals seeds 1-12 pass with it); the property times a partition to do exactly that",
  ),
  byProperty(
    "gazette-keyspace",
    "accept-malformed",
    "properties/gazette/broker/keyspace/keyspace.test.ts",
    "nothing in the simulation writes an invalid JournalSpec or BrokerSpec to etcd (gazette.keyspace.malformed-value is never hit), so there is nothing malformed to accept; the property feeds the mirror malformed values",
  ),
  byProperty(
    "gazette-keyspace",
    "no-reload-on-compacted",
    "properties/gazette/broker/keyspace/keyspace.test.ts",
    "a broker's watch must fall behind etcd's compaction, which no scenario reaches (gazette.keyspace.reloaded is never hit, even in gazette-outages with 5 revisions retained); the property partitions a mirroring host across a compaction",
  ),
  byProperty(
    "gazette-list-apply",
    "ignore-expect-mod-revision",
    "properties/gazette/broker/keyspace/list-apply.test.ts",
    "the scenarios' admin applies its specs once, with expectModRevision -1 (no check), and nothing else applies, so there is no compare to ignore; the property applies with stale expectModRevisions",
  ),
  swept("gazette-list-apply", "page-token-inclusive", "gazette-churn"),
  byProperty(
    "gazette-resolver",
    "ignore-proxy-header-revision",
    "properties/gazette/broker/keyspace/resolver.test.ts",
    "a proxied request names a later revision than the receiving broker's key space only while that broker's watch lags by a few milliseconds, and no scenario's reads or appends went wrong for it (gazette-journals seeds 1-12 pass with it); the property resolves with a Header ahead of the key space",
  ),
  byProperty(
    "gazette-replication",
    "commit-before-peers-ack",
    "properties/gazette/broker/replication/append-pipeline.test.ts",
    "the primary's early commit is wrong only if a peer fails during that commit, a reader reads the content from the primary, and the primary then loses its spool before its next sync rolls the others forward to it; otherwise the journal adopts the content; gazette-journals seeds 1-116 pass; the property crashes a peer mid-commit and reads from the primary",
  ),
  byProperty(
    "gazette-replication",
    "skip-sync-roll",
    "properties/gazette/broker/replication/append-pipeline.test.ts",
    "needs a primary behind one of its peers at a sync (gazette.broker.sync-peer-ahead): a broker cannot restart into its own assignments (its new incarnation waits until the old member key expires and its assignments are gone), and a promoted survivor holds every acknowledged commit, so no run reached that state (seeds 1-100 of gazette-journals unmodified; seeds 1-104 pass with the variant); the property restarts a primary into its assignment with an empty spool",
  ),
  byProperty(
    "gazette-replication",
    "registers-on-mismatch",
    "properties/gazette/broker/replication/preconditions.test.ts",
    "the scenarios' appends carry no register selectors, so none is refused with REGISTER_MISMATCH; the property appends with checked registers",
  ),
  swept("gazette-replication", "expose-unadopted", "gazette-journals"),
  byProperty(
    "gazette-read",
    "no-jump-metadata",
    "properties/gazette/broker/read.test.ts",
    "the client's Reader treats a content response above its offset as an offset jump too, so a reader reads the same bytes and takes the same jump with or without the metadata; the property checks the responses of serveRead themselves",
  ),
  swept("gazette-fragment-index", "jump-into-gap-at-once", "gazette-outages"),
  swept("gazette-fragment-index", "no-jump-before-first", "gazette-retention"),
  swept("gazette-fragment-index", "jump-before-first-at-once", "gazette-retention"),
  byProperty(
    "gazette-fragment-index",
    "drops-local-on-refresh",
    "properties/gazette/broker/fragment/index.test.ts",
    "the primary persists each spool as it completes, so the fragments a refresh drops are in the store's listing it installs, and readers read them from there (gazette-retention seeds 1-20 and gazette-journals seeds 1-12 pass with it); the property refreshes over local fragments not yet persisted",
  ),
  swept("gazette-index-refresh", "retention-ignores-age", "gazette-retention"),
  byProperty(
    "gazette-cover-set",
    "keeps-covered",
    "properties/gazette/broker/fragment/cover-set.test.ts",
    "a covered fragment holds the same bytes as the one that covers it, so keeping it changes which file serves a read, not what is read (gazette-journals seeds 1-12 and gazette-retention seeds 1-20 pass); the property checks the set against a model",
  ),
  byProperty(
    "gazette-spool",
    "commit-ignores-sum",
    "properties/gazette/broker/replication/spool.test.ts",
    "a proposal's sum differs from a peer's only when replicas already diverged in content, which no run of the shipping replication showed, so the missing check is never exercised (gazette-journals seeds 1-12 pass with it); the property proposes a wrong sum",
  ),
  swept("gazette-spool", "discard-keeps-sum", "gazette-journals"),
  byProperty(
    "gazette-fragment-store",
    "no-checksum",
    "properties/gazette/broker/fragment/store.test.ts",
    "the brokers upload exactly the content of the fragment they name, so the store's check never refuses anything in a run; the property puts mismatching content",
  ),
  byProperty(
    "gazette-persister",
    "gives-up",
    "properties/gazette/broker/fragment/persister.test.ts",
    "a dropped spool is lost only if every replica then loses the content before a later spool covers it, and readers otherwise read it from the replicas (gazette-outages seeds 1-30 pass); the property fails a round of uploads and requires a later retry",
  ),
];

const GAZETTE_CLIENT: readonly CatalogueEntry[] = [
  swept("gazette-append-service", "ignore-dependencies", "gazette-churn"),
  swept("gazette-append-service", "batch-across-dependencies", "gazette-churn"),
  swept("gazette-append-service", "retry-everything", "gazette-churn"),
  byProperty(
    "gazette-append-service",
    "constant-backoff",
    "properties/gazette/client/append-service.test.ts",
    "the backoff only spaces retries in time: every invariant of a run holds whatever the delays, and no run times how retries are spaced; the property checks the delays",
  ),
  swept("gazette-append-service", "forget-failures", "gazette-churn"),
  swept("gazette-append-service", "dispatch-concurrently", "gazette-churn"),
  swept("gazette-append-service", "no-rollback", "gazette-journals"),
  swept("gazette-appender", "ignore-response-route", "gazette-churn"),
  swept("gazette-polled-list", "no-update-signal", "gazette-churn"),
  swept("gazette-polled-list", "keep-first-listing", "gazette-churn"),
  swept("gazette-reader", "silent-offset-jump", "gazette-retention"),
  byProperty(
    "gazette-reader",
    "accept-offset-below-request",
    "properties/gazette/client/reader.test.ts",
    "real brokers answer a read at its offset or jump above it, never below, so no run produces the response the variant wrongly accepts; the property's model broker does",
  ),
  swept("gazette-retry-reader", "restart-at-original-offset", "gazette-journals"),
  byProperty(
    "gazette-route-cache",
    "no-ttl",
    "properties/gazette/client/route-cache.test.ts",
    "every stale route is corrected by the next response's header or dropped when a call fails, so the TTL never decides where a call goes (gazette-churn seeds 1-20 pass); the property advances the clock past the TTL",
  ),
  byProperty(
    "gazette-route-cache",
    "evict-most-recent",
    "properties/gazette/client/route-cache.test.ts",
    "the scenarios' clients use at most four journals, against a cache of 64 routes: nothing is ever evicted; the property fills a small cache",
  ),
  byProperty(
    "gazette-route-cache",
    "ignore-empty-route",
    "properties/gazette/client/route-cache.test.ts",
    "a kept empty route is a miss like no route, so a call falls back to the service address either way; the property checks the cache's contents",
  ),
  byProperty(
    "gazette-fragment-reader",
    "no-eof-check",
    "properties/gazette/client/fragment-reader.test.ts",
    "a fragment file in the store holds exactly its fragment's bytes (the store checks length and SHA-1 on put), so a direct read never meets a file that ends early or late; the property feeds short and long files",
  ),
];

/** Every Gazette and etcd entry, in the order `dst variants` runs them. */
export const GAZETTE_ETCD_ENTRIES: readonly CatalogueEntry[] = [...ETCD, ...GAZETTE_BROKERS, ...GAZETTE_CLIENT];
