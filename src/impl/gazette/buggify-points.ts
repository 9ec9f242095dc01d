/**
 * Every buggify point of the gazette package (a rare but legal path the code takes
 * on purpose in runs that enable buggify), with what each does, for coverage
 * reports; properties/gazette/buggify-points.test.ts checks that this list and the
 * code agree. The etcd client's points ("etcd.*") are reached by brokers too.
 */
export const GAZETTE_BUGGIFY_POINTS = {
  "gazette.broker.flush-fragment-early":
    "an append rolls the spool to a new fragment before its content, as a flush interval would",
  "gazette.broker.replication-stream-reset":
    "a new pipeline's streams reset once, after the peers applied one of its first 8 commits (their answers lost): that append fails, the next sync discards the commit",
  "gazette.client.dispatch-fallback":
    "an RPC whose route names members goes to the default service address, as Gazette's dispatcher does when none of them is ready: the broker proxies it or answers with its route",
  "gazette.broker.fragment-listing-late":
    "an index refresh hands its store listing to the index up to a quarter of the refresh interval after it was taken",
} as const;

export type GazetteBuggifyPoint = keyof typeof GAZETTE_BUGGIFY_POINTS;
