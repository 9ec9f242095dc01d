/**
 * Deliberately broken dqlite nodes, one bug each, built from the real parts through
 * the node's seams (DqliteNodeParts): a subclass that overrides one protected
 * decision of a part, or an option injected into it. Only a run that names a
 * variant uses them; the shipping code in src/impl never does. This is the single
 * copy: the dqlite scenarios offer these variants (`dst run <scenario> --variant
 * <name>`), and the dqlite properties import them (`withVariant`).
 */
import {
  DqliteFsm,
  type DatabaseSnapshot,
  type DqliteFsmOptions,
  type RestoreLayout,
  type Transaction,
} from "../../src/impl/dqlite/fsm/index.ts";
import {
  DiskDatabaseFiles,
  DqliteServer,
  LeaderMethods,
  PAGE_SIZE,
  SQLITE_OK,
  WalCapture,
  type CaptureHooks,
  type DatabaseLeader,
  type DqliteNodeOptions,
  type DqliteNodeParts,
  type WalChainState,
} from "../../src/impl/dqlite/index.ts";
import type { DatabaseFiles, FramesPayload } from "../../src/impl/dqlite/types.ts";
import type { WalChecksum } from "../../src/impl/dqlite/wal/wal-format.ts";

/** The leader's broken variants (its replication hooks, and the server in front of them) and what each gets wrong. */
export const DQLITE_LEADER_BROKEN_VARIANTS = {
  "ack-before-raft-commit":
    "the commit frame is written and acknowledged to SQLite before Raft has applied it (replication runs in the background): an acknowledged commit can be lost with the leader",
  "skip-dangling-undo":
    "a new leader drops a dangling transaction of an earlier leader from its own registry without an Undo command: followers keep it in Writing and trip on the next transaction",
  "serve-abandoned-calls":
    "the server runs a call whose caller gave up while it waited for the database: abandoned begins each hold the database until they idle out, and live clients starve",
  "keep-dropped-transactions":
    "a transaction whose caller left its begin stream (gave up as the session was sent, crashed, was cut off) is kept until it idles out: it holds the database meanwhile, and every other client waits",
  "zombie-after-apply":
    "a leadership loss marks every leader transaction a zombie, even one whose commit frames (or Undo) the FSM already applied before SQLite's End hook ran: markZombie's in-flight assertion fails inside Raft's leadership observer",
} as const;

export type DqliteLeaderBrokenVariant = keyof typeof DQLITE_LEADER_BROKEN_VARIANTS;

/** Bug: the commit is written and acknowledged first, and replicated in the background (its failure ignored). */
class AcknowledgeBeforeReplicationCapture extends WalCapture {
  protected override async commit(commitSize: number): Promise<number> {
    return this.writeThenReplicate(commitSize);
  }

  private async writeThenReplicate(commitSize: number): Promise<number> {
    const frames = this.frames;
    const written = await this.writeHeld(true);
    if (written !== SQLITE_OK) return written;
    void this.hooks.replicate(frames, commitSize).then(() => undefined);
    this.endCommit();
    return SQLITE_OK;
  }
}

/** Bug ("ack-before-raft-commit"): every database's capture acknowledges commits before Raft applied them. */
class AcknowledgingLeader extends LeaderMethods {
  protected override newCapture(heldFramesMax: number, hooks: CaptureHooks): WalCapture {
    return new AcknowledgeBeforeReplicationCapture(PAGE_SIZE, heldFramesMax, hooks);
  }
}

/** Bug: a dangling transaction of an earlier leader is dropped here only, never undone on the followers. */
class SkipDanglingUndoLeader extends LeaderMethods {
  protected override undoDangling(_database: DatabaseLeader, leftover: Transaction): number {
    this.registry.txnDel(leftover.id);
    return SQLITE_OK;
  }
}

/** Bug: every leader transaction becomes a zombie at a leadership loss, even one whose last command applied. */
class ZombieAfterApplyLeader extends LeaderMethods {
  protected override becomesZombie(): boolean {
    return true;
  }
}

/** Bug: a session outlives its caller's leaving (until it idles out). */
class KeepDroppedTransactionsServer extends DqliteServer {
  protected override followCaller(): void {}
}

/** Bug: calls whose caller gave up run all the same, and their sessions outlive them. */
class ServeAbandonedCallsServer extends KeepDroppedTransactionsServer {
  protected override isAbandoned(): boolean {
    return false;
  }
}

const BROKEN_LEADERS: Readonly<Record<DqliteLeaderBrokenVariant, DqliteNodeParts>> = {
  "ack-before-raft-commit": { createMethods: (...args) => new AcknowledgingLeader(...args) },
  "skip-dangling-undo": { createMethods: (...args) => new SkipDanglingUndoLeader(...args) },
  "serve-abandoned-calls": { createServer: (env, node) => new ServeAbandonedCallsServer(env, node) },
  "keep-dropped-transactions": { createServer: (env, node) => new KeepDroppedTransactionsServer(env, node) },
  "zombie-after-apply": { createMethods: (...args) => new ZombieAfterApplyLeader(...args) },
};

/** The FSM's broken variants and what each gets wrong. */
export const DQLITE_FSM_BROKEN_VARIANTS = {
  "undo-keeps-zombies": "applyUndo leaves an undone zombie registered (case 3 of the seed's comment forgotten)",
  "no-stale-zombie-purge":
    "frames of a new transaction or a checkpoint meeting a stale Pending zombie are a violation instead of purging it",
  "resurrect-without-frames": "a resurrected zombie does not re-apply the non-commit frames it had applied as leader",
  "follower-kept-after-commit": "a follower transaction stays registered after its commit frames",
  "snapshot-ignores-transactions": "snapshot() captures the databases even while a transaction is in flight",
  "restore-swaps-wals":
    "restore() writes the first two databases of a snapshot each with the other's WAL (files paired by position)",
  "no-leader-hook-wait":
    "another transaction's command on a database applies at once while this node's own leader transaction there has its commit applied but not yet written by SQLite nor ended (go-dqlite's HookSyncWait forgotten)",
} as const;

export type DqliteFsmBrokenVariant = keyof typeof DQLITE_FSM_BROKEN_VARIANTS;

/** Bug: an undone zombie stays registered. */
class UndoKeepsZombiesFsm extends DqliteFsm {
  protected override unregistersOnceDone(txn: Transaction, last: "commit" | "undo"): boolean {
    return !(last === "undo" && txn.isZombie) && super.unregistersOnceDone(txn, last);
  }
}

/** Bug: a follower transaction stays registered after its commit. */
class FollowerKeptAfterCommitFsm extends DqliteFsm {
  protected override unregistersOnceDone(txn: Transaction, last: "commit" | "undo"): boolean {
    return last !== "commit" && super.unregistersOnceDone(txn, last);
  }
}

/** Bug: a stale zombie is never purged, so the frames or checkpoint that meet it fail. */
class NoStaleZombiePurgeFsm extends DqliteFsm {
  protected override mayPurge(): boolean {
    return false;
  }
}

/** Bug: a zombie whose commit frames arrive becomes a surrogate that lacks the frames it had applied as leader. */
class ResurrectWithoutFramesFsm extends DqliteFsm {
  protected override recoverZombie(
    zombie: Transaction,
    frames: FramesPayload,
    files: DatabaseFiles,
  ): Promise<{ txn: Transaction; begin: boolean }> {
    if (!frames.isCommit) return super.recoverZombie(zombie, frames, files);
    return Promise.resolve({ txn: this.registry.txnFollowerSurrogate(zombie, files), begin: true });
  }
}

/** Bug: a snapshot is taken whatever is in flight. */
class SnapshotIgnoresTransactionsFsm extends DqliteFsm {
  protected override snapshotRefusal(): undefined {
    return undefined;
  }
}

/** Bug: go-dqlite's HookSyncWait forgotten. */
class NoLeaderHookWaitFsm extends DqliteFsm {
  protected override async awaitLeaderHooks(): Promise<void> {}
}

/**
 * Bug ("restore-swaps-wals"): the first two databases get each other's WAL, as a
 * restore that took the files and the WALs from two lists in different orders
 * would. A snapshot of fewer than two databases is unaffected.
 */
export const restoreSwappingFirstWals: RestoreLayout = (databases: readonly DatabaseSnapshot[]) => {
  const [first, second, ...rest] = databases;
  if (first === undefined || second === undefined) return databases;
  return [{ ...first, wal: second.wal }, { ...second, wal: first.wal }, ...rest];
};

const BROKEN_FSMS: Readonly<Record<DqliteFsmBrokenVariant, NonNullable<DqliteNodeParts["createFsm"]>>> = {
  "undo-keeps-zombies": (options) => new UndoKeepsZombiesFsm(options),
  "no-stale-zombie-purge": (options) => new NoStaleZombiePurgeFsm(options),
  "resurrect-without-frames": (options) => new ResurrectWithoutFramesFsm(options),
  "follower-kept-after-commit": (options) => new FollowerKeptAfterCommitFsm(options),
  "snapshot-ignores-transactions": (options) => new SnapshotIgnoresTransactionsFsm(options),
  "restore-swaps-wals": (options: DqliteFsmOptions) =>
    new DqliteFsm({ ...options, restoreLayout: restoreSwappingFirstWals }),
  "no-leader-hook-wait": (options) => new NoLeaderHookWaitFsm(options),
};

/** The database files' broken variants and what each gets wrong. */
export const DATABASE_FILES_BROKEN_VARIANTS = {
  "unchained-batches": "every batch's frames chain from the WAL header's checksum instead of the previous frame's",
  "undo-keeps-running-checksum":
    "dropping pending frames keeps the checksum of the last dropped frame as the running one",
  "undo-is-noop": "undo does nothing: the frames of an undone transaction stay pending",
  "leader-commit-keeps-chain": "noteLeaderCommit keeps the in-memory checksum chain instead of reading SQLite's back",
  "checkpoint-keeps-size": "checkpoint does not cut the database file to the last commit's size",
} as const;

export type DatabaseFilesBrokenVariant = keyof typeof DATABASE_FILES_BROKEN_VARIANTS;

/** Bug: each batch chains from the WAL header, so a WAL of several batches fails its checksums past the first. */
class UnchainedBatchesFiles extends DiskDatabaseFiles {
  protected override continuedChecksum(chain: WalChainState): WalChecksum {
    return chain.header.checksum;
  }
}

/** Bug: dropped frames leave their checksum behind as the running one. */
class UndoKeepsRunningChecksumFiles extends DiskDatabaseFiles {
  protected override checksumAfterDrop(chain: WalChainState): WalChecksum {
    return chain.running;
  }
}

/** Bug: an undone transaction's frames stay pending. */
class UndoIsNoopFiles extends DiskDatabaseFiles {
  protected override async undoPending(): Promise<void> {}
}

/** Bug: after SQLite's own commit the files go on from the chain they remember. */
class LeaderCommitKeepsChainFiles extends DiskDatabaseFiles {
  protected override rereadsChainAfterLeaderCommit(): boolean {
    return false;
  }
}

/** Bug: a checkpoint leaves the database file at its old size. */
class CheckpointKeepsSizeFiles extends DiskDatabaseFiles {
  protected override cutCheckpointed(): Promise<void> {
    return Promise.resolve();
  }
}

const BROKEN_FILES: Readonly<Record<DatabaseFilesBrokenVariant, NonNullable<DqliteNodeParts["createFiles"]>>> = {
  "unchained-batches": (init) => new UnchainedBatchesFiles(init),
  "undo-keeps-running-checksum": (init) => new UndoKeepsRunningChecksumFiles(init),
  "undo-is-noop": (init) => new UndoIsNoopFiles(init),
  "leader-commit-keeps-chain": (init) => new LeaderCommitKeepsChainFiles(init),
  "checkpoint-keeps-size": (init) => new CheckpointKeepsSizeFiles(init),
};

/** The broken node parts of every variant, by name. */
const BROKEN_PARTS: Readonly<Record<string, DqliteNodeParts>> = {
  ...BROKEN_LEADERS,
  ...Object.fromEntries(Object.entries(BROKEN_FSMS).map(([name, createFsm]) => [name, { createFsm }])),
  ...Object.fromEntries(Object.entries(BROKEN_FILES).map(([name, createFiles]) => [name, { createFiles }])),
};

/** The node parts that run `variant`: none replaced for undefined, else the named broken part (which must exist). */
export function dqliteParts(variant: string | undefined): DqliteNodeParts {
  if (variant === undefined) return {};
  const parts = BROKEN_PARTS[variant];
  if (parts === undefined) throw new Error(`no broken dqlite node part named "${variant}"`);
  return parts;
}

/** `options` whose node runs `variant` (unchanged for undefined): a test passes it instead of building the part. */
export function withVariant<T extends Partial<DqliteNodeOptions>>(options: T, variant: string | undefined): T {
  if (variant === undefined) return options;
  return { ...options, parts: { ...options.parts, ...dqliteParts(variant) } };
}
