/**
 * Deliberately broken host clocks, never used by shipping code: worlds whose hosts
 * ignore drift when turning host-local durations into virtual time, or whose skew
 * also jumps the monotonic clock.
 */
import { worldPatchingHosts, type WorldFactory } from "../_support/world-factory.ts";

/** Host-local durations are taken as true durations: sleeps and timers ignore drift. */
export const driftIgnoringWorld: WorldFactory = worldPatchingHosts((host) => {
  host.clock.toTrueDuration = (localMs) => localMs;
  host.clock.schedule = (durationMs, callback, owner) => {
    const event = host.scheduler.schedule(durationMs, callback, { owner });
    return { deadline: 0, event, callback, owner, previous: undefined, next: undefined, linked: false };
  };
});

/** A clock skew also jumps the monotonic clock (which may then go backwards). */
export const skewJumpsMonotonicWorld: WorldFactory = worldPatchingHosts((host) => {
  const clock = host.clock;
  const skew = clock.skew.bind(clock);
  clock.skew = (offsetMs) => {
    skew(offsetMs);
    (clock as unknown as { anchorMonotonic: number }).anchorMonotonic += offsetMs;
  };
});
