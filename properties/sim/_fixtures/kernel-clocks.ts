/**
 * Deliberately broken host clocks, never used by shipping code: worlds whose hosts
 * ignore drift when turning host-local durations into virtual time, whose skew also
 * jumps the monotonic clock, or whose drift changes are applied twice, not at all,
 * without re-anchoring the clock, or without re-planning pending timers.
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

interface ClockInternals {
  anchorTrueTime: number;
  anchorWall: number;
  anchorMonotonic: number;
  rate: number;
  reanchor(): void;
}

/** A drift is applied twice: the clock runs at 1 + 2 * drift. */
export const driftAppliedTwiceWorld: WorldFactory = worldPatchingHosts((host) => {
  const clock = host.clock;
  const setDrift = clock.setDrift.bind(clock);
  clock.setDrift = (drift) => setDrift(2 * drift);
});

/** A drift change does nothing: the clock keeps its rate. */
export const driftIgnoredWorld: WorldFactory = worldPatchingHosts((host) => {
  host.clock.setDrift = () => undefined;
});

/**
 * A drift change forgets to re-anchor the clock: the new rate applies to the time
 * since the last anchor too, so wall and monotonic time jump. A skew at the same
 * instant re-anchors first and hides it.
 */
export const driftWithoutReanchorWorld: WorldFactory = worldPatchingHosts((host) => {
  const clock = host.clock;
  const internals = clock as unknown as ClockInternals;
  const setDrift = clock.setDrift.bind(clock);
  clock.setDrift = (drift) => {
    const { anchorTrueTime, anchorWall, anchorMonotonic } = internals;
    setDrift(drift);
    Object.assign(internals, { anchorTrueTime, anchorWall, anchorMonotonic });
  };
});

/** A drift change re-anchors the clock but leaves pending timers planned at the old rate. */
export const driftKeepsTimerPlansWorld: WorldFactory = worldPatchingHosts((host) => {
  const internals = host.clock as unknown as ClockInternals;
  host.clock.setDrift = (drift) => {
    internals.reanchor();
    internals.rate = 1 + drift;
  };
});
