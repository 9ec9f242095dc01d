/**
 * The node's stores on the simulated disk (src/impl/raft/node/*-store.ts), one
 * sentence each:
 * - after a crash that tears the unsynced tail of the log, the log restarts with
 *   every synced entry and a prefix of the unsynced ones, the torn record cut off;
 * - a record damaged in the middle of the log makes the node refuse to start with ErrLogCorrupted;
 * - a read that returns a flipped byte is read again, and never yields wrong entries;
 * - the stable store and the snapshot store keep what they made durable across a
 *   crash, and the snapshot store keeps only the newest snapshots;
 * - a term the stable store reads at start survives a later crash even if the save
 *   that wrote it failed on its last sync (visible to the restarted process, not yet
 *   durable): the store makes what it read durable before it is used.
 */
import { describe, expect, it } from "vitest";
import { DiskError, type Disk, type Env } from "../../src/sim/env.ts";
import { createSimDisks } from "../../src/sim/disk/system.ts";
import { World } from "../../src/sim/world.ts";
import type { LogEntry } from "../../src/impl/raft/index.ts";
import { ErrLogCorrupted, RaftNode } from "../../src/impl/raft/index.ts";
import { ensureDirectory } from "../../src/impl/raft/node/durable-file.ts";
import { LogStore, type LogStoreHooks } from "../../src/impl/raft/node/log-store.ts";
import { SnapshotStore, RETAINED_SNAPSHOTS } from "../../src/impl/raft/node/snapshot-store.ts";
import { StableStore } from "../../src/impl/raft/node/stable-store.ts";
import { RecordingFsm } from "./_support/recording-fsm.ts";

const LOG_PATH = "/raft/log";

function entry(index: number, term = 1, size = 300): LogEntry {
  return { index, term, kind: "command", data: new Uint8Array(size).fill(index % 251) };
}

interface Counters {
  tornTails: number;
  retries: number;
}

function hooks(counters: Counters): LogStoreHooks {
  return { readRetried: () => counters.retries++, tornTailTruncated: () => counters.tornTails++ };
}

/** A world with one host `s` on a simulated disk, running `main` once per call to `run`. */
function diskWorld(seed: number) {
  const disks = createSimDisks();
  const world = new World({ seed, disks });
  let main: (env: Env) => Promise<void> = async () => undefined;
  const host = world.addHost("s", (env) => main(env));
  return {
    world,
    disks,
    async run(body: (env: Env) => Promise<void>): Promise<void> {
      main = body;
      host.start();
      await world.scheduler.run({ untilTime: world.now + 1_000 });
    },
    crash(): void {
      host.crash();
    },
    stop(): void {
      host.stop();
    },
  };
}

async function openLog(env: Env, counters: Counters): Promise<LogStore> {
  await ensureDirectory(env.disk, "/raft");
  return LogStore.open(env.disk, LOG_PATH, hooks(counters), env.hash.crc32);
}

describe("log store recovery", () => {
  it("keeps every synced entry and a clean prefix of the unsynced ones after a torn crash (seeds 1-16)", async () => {
    let tornSeeds = 0;
    for (let seed = 1; seed <= 16; seed++) {
      const test = diskWorld(seed);
      const counters: Counters = { tornTails: 0, retries: 0 };
      await test.run(async (env) => {
        const log = await openLog(env, counters);
        await log.append([1, 2, 3, 4, 5].map((index) => entry(index)));
        await log.sync();
        await log.append([6, 7, 8].map((index) => entry(index)));
      });
      test.disks.setDiskFaults("s", { tornWrites: true });
      test.crash();
      test.disks.setDiskFaults("s", undefined);
      let recovered: LogEntry[] = [];
      await test.run(async (env) => {
        recovered = (await openLog(env, counters)).allEntries();
      });
      expect(recovered.length, `seed ${seed}`).toBeGreaterThanOrEqual(5);
      expect(recovered.length, `seed ${seed}`).toBeLessThanOrEqual(8);
      recovered.forEach((held) => expect(held, `seed ${seed}`).toEqual(entry(held.index)));
      if (counters.tornTails > 0) tornSeeds++;
      // Recovery left a clean file: opening it again finds the same entries and nothing torn.
      const tornBefore = counters.tornTails;
      test.crash();
      await test.run(async (env) => {
        expect((await openLog(env, counters)).allEntries()).toEqual(recovered);
      });
      expect(counters.tornTails).toBe(tornBefore);
      expect(test.world.violations).toEqual([]);
    }
    expect(tornSeeds, "some seed tears a record").toBeGreaterThan(0);
  });

  it("refuses to start when a record in the middle is damaged (seed 1)", async () => {
    const test = diskWorld(1);
    const counters: Counters = { tornTails: 0, retries: 0 };
    await test.run(async (env) => {
      const log = await openLog(env, counters);
      await log.append(Array.from({ length: 10 }, (_, position) => entry(position + 1)));
      await log.sync();
      await log.close();
      // Damage one byte of entry 5's payload on the disk itself.
      const handle = await env.disk.open(LOG_PATH);
      const size = await handle.size();
      const offset = Math.floor(size / 2);
      const [byte] = await handle.read(offset, 1);
      await handle.write(offset, new Uint8Array([(byte as number) ^ 0xff]));
      await handle.sync();
      await handle.close();
    });
    test.crash();
    let failure: unknown;
    await test.run(async (env) => {
      failure = await RaftNode.start(env, { fsm: new RecordingFsm() }).then(
        () => undefined,
        (error: unknown) => error,
      );
    });
    expect(failure).toBeInstanceOf(ErrLogCorrupted);
    expect(counters.retries).toBe(0);
    expect(test.world.probes.get("raft.read-retried-after-checksum-failure")).toBeGreaterThan(0);
  });

  it("reads again after a corrupted read and never returns damaged entries (seeds 1-10)", async () => {
    let retries = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const test = diskWorld(seed);
      const counters: Counters = { tornTails: 0, retries: 0 };
      const written = Array.from({ length: 20 }, (_, position) => entry(position + 1, 1, 40));
      await test.run(async (env) => {
        const log = await openLog(env, counters);
        await log.append(written);
        await log.sync();
      });
      test.crash();
      test.disks.setDiskFaults("s", { readCorruptionProbability: 0.3 });
      let outcome: LogEntry[] | unknown;
      await test.run(async (env) => {
        outcome = await openLog(env, counters).then(
          (log) => log.allEntries(),
          (error: unknown) => error,
        );
      });
      if (Array.isArray(outcome)) expect(outcome, `seed ${seed}`).toEqual(written);
      else expect(outcome, `seed ${seed}`).toBeInstanceOf(ErrLogCorrupted);
      retries += counters.retries;
    }
    expect(retries).toBeGreaterThan(0);
  });
});

describe("stable and snapshot stores", () => {
  it("keep what they made durable across a crash, and only the newest snapshots (seed 5)", async () => {
    const test = diskWorld(5);
    const configuration = { voters: ["a", "b", "c"] };
    await test.run(async (env) => {
      await ensureDirectory(env.disk, "/raft");
      const stable = await StableStore.open(env.disk, "/raft/stable", () => undefined, env.hash.crc32);
      expect(stable.hardState).toEqual({ term: 0, votedFor: undefined });
      await stable.save({ term: 7, votedFor: "b" });
      const snapshots = await SnapshotStore.open(env.disk, "/raft/snapshots", () => undefined, env.hash.crc32);
      for (const index of [10, 20, 30]) {
        await snapshots.store({
          metadata: { index, term: 2, configuration, configurationIndex: 1 },
          data: new Uint8Array([index]),
        });
      }
    });
    test.crash();
    await test.run(async (env) => {
      const stable = await StableStore.open(env.disk, "/raft/stable", () => undefined, env.hash.crc32);
      expect(stable.hardState).toEqual({ term: 7, votedFor: "b" });
      const snapshots = await SnapshotStore.open(env.disk, "/raft/snapshots", () => undefined, env.hash.crc32);
      const latest = await snapshots.latest();
      expect(latest?.metadata.index).toBe(30);
      expect([...(latest?.data ?? [])]).toEqual([30]);
      expect(await snapshots.read({ index: 10, term: 2, configuration, configurationIndex: 1 })).toBeUndefined();
      expect((await env.disk.list("/raft/snapshots")).length).toBe(RETAINED_SNAPSHOTS);
    });
    expect(test.world.violations).toEqual([]);
  });

  it("make a term read at start durable, even if the save that wrote it failed on its last sync (seed 6)", async () => {
    const test = diskWorld(6);
    /** The disk, except that directory syncs fail (after nothing was synced). */
    const failingDirectorySync = (disk: Disk): Disk =>
      Object.assign(Object.create(disk) as Disk, {
        syncDirectory: async (path: string) => {
          throw new DiskError("EIO", "syncDirectory", path, "injected by the test");
        },
      });
    await test.run(async (env) => {
      await ensureDirectory(env.disk, "/raft");
      const store = await StableStore.open(env.disk, "/raft/stable", () => undefined, env.hash.crc32);
      await store.save({ term: 2, votedFor: "a" });
      Object.assign(store, { disk: failingDirectorySync(env.disk) });
      await expect(store.save({ term: 3, votedFor: "b" })).rejects.toBeInstanceOf(DiskError);
    });
    test.stop();
    // A new process on the same host (no crash): it sees term 3, renamed but not durable.
    await test.run(async (env) => {
      expect((await StableStore.open(env.disk, "/raft/stable", () => undefined, env.hash.crc32)).hardState).toEqual({
        term: 3,
        votedFor: "b",
      });
    });
    test.crash();
    await test.run(async (env) => {
      expect((await StableStore.open(env.disk, "/raft/stable", () => undefined, env.hash.crc32)).hardState).toEqual({
        term: 3,
        votedFor: "b",
      });
    });
    expect(test.world.violations).toEqual([]);
  });
});
