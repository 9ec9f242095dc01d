/**
 * A broken ServerRotation for LeaderCaller (src/impl/common/leader-caller.ts): servers
 * in turn, the one whose call just failed in transit included, as the caller tried
 * them before the buggify sweeps found bmdb-sessions seed 20 and gazette-outages
 * seed 23. Tests pass it as `rotation` to show what the skip protects against.
 */
import type { ServerRotation } from "../../../src/impl/common/leader-caller.ts";

export const plainRoundRobin: ServerRotation = (servers, turn) => ({
  server: servers[turn % servers.length] as string,
  nextTurn: turn + 1,
});
