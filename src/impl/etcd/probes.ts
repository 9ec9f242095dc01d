/**
 * Every probe (env.probe: a rare path was reached) of the etcd package, with what
 * it means, for coverage reports of sweeps and scenarios.
 */
export const ETCD_PROBES = {
  "etcd.lease-expired": "the leader's lessor found a lease past its TTL and its revoke was applied (keys deleted at one revision)",
  "etcd.lease-promoted": "a member became leader and gave every lease a fresh TTL plus the election timeout (etcd's promote)",
  "etcd.watch-resumed": "a client's watch stream broke (member crash, partition, no leader, silence) and was reopened from the next revision owed",
  "etcd.compacted-revision-refused": "a range, watch or compaction asked for a revision below the compaction point (ErrCompacted)",
  "etcd.txn-failure-branch": "a txn's compares did not all hold: its failure branch ran",
} as const;

export type EtcdProbe = keyof typeof ETCD_PROBES;
