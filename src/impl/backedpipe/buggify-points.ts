/**
 * Every buggify point of the backedpipe package (a rare but legal path the code
 * takes on purpose in runs that enable buggify, through the `buggify` option), with
 * what each does, for coverage reports; properties/backedpipe/buggify-points.test.ts
 * checks that this list and the code agree.
 */
export const BACKEDPIPE_BUGGIFY_POINTS = {
  "backedpipe.reconnect-racing-write":
    "a write on a connected pipe starts a reconnection right behind it (as a caller's forceReconnect may): the write is queued or in flight while the connection is replaced",
  "backedpipe.short-ring-buffer-read":
    "a reconnection reads its replay from the ring buffer in two parts, a short one first, and writes each to the new connection",
} as const;

export type BackedPipeBuggifyPoint = keyof typeof BACKEDPIPE_BUGGIFY_POINTS;
