/**
 * Every buggify point of the bmdb package (a rare but legal path the code takes on
 * purpose in runs that enable buggify), with what each does, for coverage reports;
 * properties/bmdb/buggify-points.test.ts checks that this list and the code agree.
 */
export const BMDB_BUGGIFY_POINTS = {
  "bmdb.heartbeat-delayed":
    "a session's next poke after a success starts up to interval/10 late (at the default 5 s interval, with 1.5 s of its lease left instead of 2 s)",
  "bmdb.transaction-backoff-at-bound":
    "a retried transaction (a work lock, a poke, a finish) waits the longest backoff its attempt allows",
} as const;

export type BmdbBuggifyPoint = keyof typeof BMDB_BUGGIFY_POINTS;
