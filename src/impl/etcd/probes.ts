/**
 * Every probe (env.probe: a rare path was reached) and buggify point (a rare but
 * legal path the code takes on purpose in runs that enable buggify) of the etcd
 * package, with what each means, for coverage reports of sweeps and scenarios.
 */
export const ETCD_PROBES = {
  "etcd.lease-expired":
    "the leader's lessor found a lease past its TTL and its revoke was applied (keys deleted at one revision)",
  "etcd.lease-promoted":
    "a member became leader and gave every lease a fresh TTL plus the election timeout (etcd's promote)",
  "etcd.watch-resumed":
    "a client's watch stream broke (member crash, partition, no leader, silence) and was reopened from the next revision owed",
  "etcd.compacted-revision-refused":
    "a range, watch or compaction asked for a revision below the compaction point (ErrCompacted)",
  "etcd.txn-failure-branch": "a txn's compares did not all hold: its failure branch ran",
} as const;

export type EtcdProbe = keyof typeof ETCD_PROBES;

/** Buggify points: each makes a legal but rare behaviour of etcd or its client frequent. */
export const ETCD_BUGGIFY_POINTS = {
  "etcd.watch-cancelled-after-events":
    "a member ends a watch stream right after sending it events (as a reset stream does); the client resumes from the next revision owed",
  "etcd.lease-keepalive-delayed":
    "the leader takes up a keep-alive request up to 300 ms late (a slow member): the renewal, and its answer, come late",
  "etcd.keepalive-short-timeout":
    "the client gives one lease renewal an operation timeout of at most 30 ms (it may time out and be retried within the lease)",
  "etcd.compact-at-odd-moment":
    "the leader's auto compaction runs at a random moment within its interval instead of at its end",
} as const;

export type EtcdBuggifyPoint = keyof typeof ETCD_BUGGIFY_POINTS;
