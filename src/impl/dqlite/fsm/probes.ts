/**
 * Every probe (env.probe: a rare path was reached) of the dqlite FSM, with what
 * each means. Scenarios and sweeps use the names to report coverage of rare paths.
 */
export const DQLITE_FSM_PROBES = {
  "dqlite.fsm.surrogate-created":
    "non-commit frames of a zombie (its leader lost leadership, the entry committed anyway) went to a surrogate follower transaction",
  "dqlite.fsm.zombie-resurrected":
    "commit frames of a zombie committed anyway: it became a follower transaction that re-applied its earlier frames and committed",
  "dqlite.fsm.stale-zombie-purged":
    "another leader's transaction began on a database with a Pending zombie whose first frames never reached a quorum: the zombie was dropped",
  "dqlite.fsm.zombie-undone":
    "an Undo committed for a zombie leader transaction, which the FSM then unregistered itself",
  "dqlite.fsm.disk-failed":
    "the database files failed (EIO, ENOSPC) while an entry applied: the node stops and rebuilds from the snapshot and log",
  "dqlite.fsm.restored-several-databases":
    "a snapshot holding several databases replaced this node's (installed from the leader, or restored at start)",
  "dqlite.fsm.waited-for-leader-end":
    "a command on a database arrived while this node's own leader transaction there had its last command applied but its hooks (the WAL write, End) not yet done: the FSM waited for them, as go-dqlite's HookSyncWait",
  "dqlite.fsm.checkpoint": "a Checkpoint command copied a database's committed WAL frames into the database file",
} as const;

export type DqliteFsmProbe = keyof typeof DQLITE_FSM_PROBES;
