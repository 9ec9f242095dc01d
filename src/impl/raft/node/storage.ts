/**
 * Opens a node's stores on its disk and brings them into agreement before the
 * core starts: the stable store (term and vote), the snapshot store and the log.
 *
 * - A snapshot newer than the log's base replaces the log unless the log holds its
 *   last entry with the same term (Raft §7): this finishes an InstallSnapshot the
 *   crash interrupted (the snapshot is stored before the core hears of it).
 * - A log compacted beyond every valid snapshot refuses the start (ErrSnapshotCorrupted).
 * - Bootstrap (hashicorp/raft's BootstrapCluster) writes the first configuration as
 *   entry 1 of term 1, only on a server that holds no log and no snapshot.
 */
import type { Env } from "../../../sim/env.ts";
import { configurationOf, type CoreRestore, type ServerId } from "../core/index.ts";
import { ErrSnapshotCorrupted } from "../errors.ts";
import { ensureDirectory } from "./durable-file.ts";
import { LogStore } from "./log-store.ts";
import { SnapshotStore, type StoredSnapshot } from "./snapshot-store.ts";
import { StableStore } from "./stable-store.ts";

/** The opened stores, and what the core restarts from. */
export interface Storage {
  readonly stable: StableStore;
  readonly log: LogStore;
  readonly snapshots: SnapshotStore;
  /** The snapshot the FSM must be restored from, if any. */
  readonly latestSnapshot: StoredSnapshot | undefined;
  readonly restore: CoreRestore;
}

export async function openStorage(
  env: Env,
  directory: string,
  bootstrapVoters: readonly ServerId[] | undefined,
): Promise<Storage> {
  const readRetried = () => env.probe("raft.read-retried-after-checksum-failure");
  await ensureDirectory(env.disk, directory);
  const crc32 = env.hash.crc32;
  const stable = await StableStore.open(env.disk, `${directory}/stable`, readRetried, crc32);
  const snapshots = await SnapshotStore.open(env.disk, `${directory}/snapshots`, readRetried, crc32);
  const log = await LogStore.open(
    env.disk,
    `${directory}/log`,
    {
      readRetried,
      tornTailTruncated: (bytes) => {
        env.probe("raft.log-tail-truncated-on-restart");
        env.log.warn("raft: truncated a torn log tail", { bytes });
      },
    },
    crc32,
  );
  const latest = await snapshots.latest();
  await reconcile(env, stable, log, latest);
  if (bootstrapVoters !== undefined && log.lastIndex === 0 && latest === undefined) {
    await stable.save({ term: Math.max(1, stable.hardState.term), votedFor: stable.hardState.votedFor });
    await log.append([
      {
        index: 1,
        term: 1,
        kind: "configuration",
        data: new Uint8Array(0),
        configuration: configurationOf(bootstrapVoters),
      },
    ]);
    await log.sync();
    env.trace("raft.bootstrapped", { voters: [...bootstrapVoters] });
  }
  return {
    stable,
    log,
    snapshots,
    latestSnapshot: latest,
    restore: {
      hardState: stable.hardState,
      snapshot: latest?.metadata,
      logBase: log.logBase,
      entries: log.allEntries(),
    },
  };
}

async function reconcile(
  env: Env,
  stable: StableStore,
  log: LogStore,
  latest: StoredSnapshot | undefined,
): Promise<void> {
  if (latest === undefined) {
    if (log.logBase.index > 0)
      throw new ErrSnapshotCorrupted(
        "snapshots",
        `the log is compacted through ${log.logBase.index} but no valid snapshot is left`,
      );
    return;
  }
  const snapshot = latest.metadata;
  if (snapshot.index < log.logBase.index) {
    throw new ErrSnapshotCorrupted(
      "snapshots",
      `the log is compacted through ${log.logBase.index} but the newest valid snapshot ends at ${snapshot.index}`,
    );
  }
  if (log.termAt(snapshot.index) !== snapshot.term) {
    env.probe("raft.snapshot-install-finished-on-restart");
    await log.resetTo({ index: snapshot.index, term: snapshot.term });
  }
  if (stable.hardState.term < snapshot.term) await stable.save({ term: snapshot.term, votedFor: undefined });
}
