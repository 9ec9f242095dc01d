/**
 * The catalogue's entries for Gazette (brokers and client) and etcd: the scenario
 * that offers each variant today, or `pending` where no scenario offers it yet.
 */
import { pending, swept, type CatalogueEntry } from "./entry.ts";

const ETCD: readonly CatalogueEntry[] = [
  swept("etcd-server", "local-reads", "etcd-kv"),
  swept("etcd-lessor", "no-lease-promote", "etcd-leases"),
  pending("etcd-mvcc", "version-not-reset-on-delete"),
  swept("etcd-mvcc", "revoke-key-by-key", "etcd-leases"),
  swept("etcd-watch", "resume-from-last", "etcd-kv"),
  swept("etcd-watch", "resume-from-current", "etcd-kv"),
];

const GAZETTE_BROKERS: readonly CatalogueEntry[] = [
  swept("gazette-allocator", "replace-survivors", "gazette-churn"),
  swept("gazette-allocator", "promote-newest", "gazette-churn"),
  pending("gazette-allocator", "no-leader-election"),
  pending("gazette-announce", "overwrite-existing"),
  pending("gazette-announce", "ignore-renewal-failures"),
  pending("gazette-announce", "renew-after-loss"),
  pending("gazette-keyspace", "accept-malformed"),
  pending("gazette-keyspace", "no-reload-on-compacted"),
  pending("gazette-list-apply", "ignore-expect-mod-revision"),
  pending("gazette-list-apply", "page-token-inclusive"),
  pending("gazette-resolver", "ignore-proxy-header-revision"),
  swept("gazette-replication", "commit-before-peers-ack", "gazette-journals"),
  swept("gazette-replication", "skip-sync-roll", "gazette-journals"),
  pending("gazette-replication", "registers-on-mismatch"),
  swept("gazette-replication", "expose-unadopted", "gazette-journals"),
  pending("gazette-read", "no-jump-metadata"),
  pending("gazette-fragment-index", "jump-into-gap-at-once"),
  swept("gazette-fragment-index", "no-jump-before-first", "gazette-retention"),
  swept("gazette-fragment-index", "jump-before-first-at-once", "gazette-retention"),
  pending("gazette-fragment-index", "drops-local-on-refresh"),
  swept("gazette-index-refresh", "retention-ignores-age", "gazette-retention"),
  pending("gazette-cover-set", "keeps-covered"),
  pending("gazette-spool", "commit-ignores-sum"),
  pending("gazette-spool", "discard-keeps-sum"),
  pending("gazette-fragment-store", "no-checksum"),
  pending("gazette-persister", "gives-up"),
];

const GAZETTE_CLIENT: readonly CatalogueEntry[] = [
  swept("gazette-append-service", "ignore-dependencies", "gazette-churn"),
  swept("gazette-append-service", "batch-across-dependencies", "gazette-churn"),
  pending("gazette-append-service", "retry-everything"),
  pending("gazette-append-service", "constant-backoff"),
  swept("gazette-append-service", "forget-failures", "gazette-churn"),
  pending("gazette-append-service", "dispatch-concurrently"),
  pending("gazette-append-service", "no-rollback"),
  swept("gazette-appender", "ignore-response-route", "gazette-churn"),
  pending("gazette-polled-list", "no-update-signal"),
  swept("gazette-polled-list", "keep-first-listing", "gazette-churn"),
  swept("gazette-reader", "silent-offset-jump", "gazette-retention"),
  pending("gazette-reader", "accept-offset-below-request"),
  pending("gazette-retry-reader", "restart-at-original-offset"),
  pending("gazette-route-cache", "no-ttl"),
  pending("gazette-route-cache", "evict-most-recent"),
  pending("gazette-route-cache", "ignore-empty-route"),
  pending("gazette-fragment-reader", "no-eof-check"),
];

/** Every Gazette and etcd entry, in the order `dst variants` runs them. */
export const GAZETTE_ETCD_ENTRIES: readonly CatalogueEntry[] = [...ETCD, ...GAZETTE_BROKERS, ...GAZETTE_CLIENT];
