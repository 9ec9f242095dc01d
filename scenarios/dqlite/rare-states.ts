/**
 * The rare states the dqlite scenarios exist to reach (Scenario.rareStates): state
 * name → the probe that marks it. Sweeps report how many runs reached each.
 */

/** dqlite-bank and dqlite-register: a leader deposed under the swarm's faults with a transaction of its own open. */
export const DQLITE_SWARM_RARE_STATES = {
  "leadership-lost-with-pending": "raft.leadership-lost-with-pending",
  "zombie-with-command-in-flight": "dqlite.leader.zombie-with-command-in-flight",
  "zombie-resurrected": "dqlite.fsm.zombie-resurrected",
  "follower-log-truncated": "raft.log-conflict-truncated",
  "snapshot-installed": "raft.snapshot-installed",
} as const;

/** dqlite-leadership-loss and dqlite-zombies: every path of the seed's zombie machinery. */
export const DQLITE_ZOMBIE_RARE_STATES = {
  "zombie-before-replication": "dqlite.leader.zombie-before-replication",
  "zombie-with-command-in-flight": "dqlite.leader.zombie-with-command-in-flight",
  "zombie-resurrected": "dqlite.fsm.zombie-resurrected",
  "surrogate-created": "dqlite.fsm.surrogate-created",
  "zombie-undone-by-fsm": "dqlite.fsm.zombie-undone",
  "zombie-undone-by-new-leader": "dqlite.leader.zombie-undone",
  "stale-zombie-purged": "dqlite.fsm.stale-zombie-purged",
  "dangling-follower-undone": "dqlite.leader.dangling-follower-undone",
} as const;
