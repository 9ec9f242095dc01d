// DatabaseFiles and DatabaseStore on a simulated disk, one situation each: the files they leave are always a valid WAL
// database, and errors surface as values.
import { beforeAll, describe, expect, it } from "vitest";
import { AssertionError } from "../../../src/sim/assert.ts";
import { DiskError } from "../../../src/sim/env.ts";
import { DiskDatabaseStore } from "../../../src/impl/dqlite/wal/database-files.ts";
import { ErrWalMalformed, parseWal, WAL_HEADER_SIZE, walFrameOffset } from "../../../src/impl/dqlite/wal/wal-format.ts";
import { PAGE_SIZE } from "../../../src/impl/dqlite/types.ts";
import type { FrameBatch } from "../../../src/impl/dqlite/types.ts";
import { DATABASE_PATH, DIRECTORY, nodeFiles, nodeWithStore, WAL_PATH } from "./_support/node-database.ts";
import { emptyDatabaseTemplate, loadSqlite } from "./_support/wa-sqlite.ts";
import { concatenate } from "../../_support/bytes.ts";
import { patternPage } from "./_support/wal-builder.ts";

let template: Uint8Array;
beforeAll(async () => {
  template = await emptyDatabaseTemplate(await loadSqlite());
});

/** Frames for pages [pageNumber, fill]; with `commitSizePages`, the last one commits. */
function batch(pages: readonly (readonly [number, number])[], commitSizePages?: number): FrameBatch {
  return {
    pageSize: PAGE_SIZE,
    pageNumbers: pages.map(([pageNumber]) => pageNumber),
    pageData: concatenate(pages.map(([, fill]) => patternPage(PAGE_SIZE, fill))),
    truncate: commitSizePages ?? 0,
    isCommit: commitSizePages !== undefined,
  };
}

function page(bytes: Uint8Array, pageNumber: number): number[] {
  return [...bytes.subarray((pageNumber - 1) * PAGE_SIZE, pageNumber * PAGE_SIZE)];
}

function node(seed: string) {
  return nodeWithStore(seed, template);
}

describe("DatabaseStore", () => {
  it("open creates the files from the template only when the database file is absent", async () => {
    const { host, store } = node("open");
    const files = await host.run(() => store.open("db"));
    expect(await host.readFile(DATABASE_PATH)).toEqual(template);
    expect(await host.exists(WAL_PATH)).toBe(false);
    expect([files.committedFrames(), files.pendingFrames()]).toEqual([0, 0]);
    expect(await host.run(() => store.open("db"))).toBe(files);
    expect(store.get("db")).toBe(files);

    const existing = template.slice();
    existing[200] = 42;
    await host.writeFile("/data/kept", existing);
    await host.run(() => store.open("kept"));
    expect(await host.readFile("/data/kept")).toEqual(existing);

    await host.writeFile("/data/orphan-wal", new Uint8Array(100).fill(9));
    await host.run(() => store.open("orphan"));
    expect(await host.exists("/data/orphan-wal")).toBe(false);
    expect(store.names()).toEqual(["db", "kept", "orphan"]);
  });

  it("open reads the WAL it finds: committed frames count, what follows does not", async () => {
    const { host, store } = node("reopen");
    const files = await host.run(() => store.open("db"));
    await host.run(() => files.applyFrames(batch([[2, 1]], 2), true));
    await host.run(() => files.applyFrames(batch([[3, 2]]), true));
    const other = new DiskDatabaseStore(host.env, DIRECTORY, template);
    const reopened = await host.run(() => other.open("db"));
    expect([reopened.committedFrames(), reopened.pendingFrames()]).toEqual([1, 0]);
    await host.run(() => reopened.applyFrames(batch([[3, 3]], 3), true));
    const parsed = parseWal((await nodeFiles(host)).wal);
    expect([parsed.committedFrameCount, parsed.framesAfterCommit]).toEqual([2, 0]);
    expect(page(await host.run(() => reopened.image()), 3)).toEqual([...patternPage(PAGE_SIZE, 3)]);
  });

  it("restore writes both files, bumps the generation, and refuses a malformed WAL before writing anything", async () => {
    const { host, store } = node("restore");
    const files = await host.run(() => store.open("db"));
    await host.run(() =>
      files.applyFrames(
        batch(
          [
            [2, 1],
            [3, 2],
          ],
          3,
        ),
        true,
      ),
    );
    await host.run(() => files.applyFrames(batch([[2, 5]]), true));
    const snapshot = await host.run(() => files.read());
    expect(snapshot.database).toEqual(template);
    expect(snapshot.wal.length).toBe(walFrameOffset(PAGE_SIZE, 2));

    const follower = node("restore-follower");
    const restored = await follower.host.run(() => follower.store.restore("db", snapshot.database, snapshot.wal));
    expect([restored.committedFrames(), restored.pendingFrames()]).toEqual([2, 0]);
    expect(await follower.host.run(() => restored.image())).toEqual(await host.run(() => files.image()));

    const generation = files.generation();
    const again = await host.run(() => store.restore("db", snapshot.database, snapshot.wal));
    expect(again.generation()).toBeGreaterThan(generation);
    expect(files.generation()).toBe(again.generation());
    expect(() => files.undo()).toThrow(AssertionError);

    const malformed = snapshot.wal.slice();
    malformed[0] = 0;
    await expect(host.run(() => store.restore("other", template, malformed))).rejects.toThrow(ErrWalMalformed);
    expect(await host.exists("/data/other")).toBe(false);
  });

  it("clear deletes every database; opening again starts from the template at a higher generation", async () => {
    const { host, store } = node("clear");
    const files = await host.run(() => store.open("db"));
    await host.run(() => store.open("second"));
    await host.run(() => files.applyFrames(batch([[2, 1]], 2), true));
    const generation = files.generation();
    await host.run(() => store.clear());
    expect(await host.run(() => host.disk.list("/data"))).toEqual([]);
    expect(store.names()).toEqual([]);
    expect(store.get("db")).toBeUndefined();
    const reopened = await host.run(() => store.open("db"));
    expect(reopened.generation()).toBeGreaterThan(generation);
    expect(await host.run(() => reopened.image())).toEqual(template);
  });

  it("an existing WAL with a bad header is ErrWalMalformed", async () => {
    const { host, store } = node("bad-header");
    await host.run(() => host.disk.mkdir(DIRECTORY));
    await host.writeFile(DATABASE_PATH, template);
    await host.writeFile(WAL_PATH, new Uint8Array(WAL_HEADER_SIZE + 10).fill(1));
    await expect(host.run(() => store.open("db"))).rejects.toThrow(ErrWalMalformed);
  });
});

describe("DatabaseFiles", () => {
  it("follower frames start a fresh WAL, chain across batches, and commit with the commit frame", async () => {
    const { host, store } = node("frames");
    const files = await host.run(() => store.open("db"));
    const generations = [files.generation()];
    await host.run(() =>
      files.applyFrames(
        batch([
          [2, 1],
          [3, 2],
        ]),
        true,
      ),
    );
    generations.push(files.generation());
    expect([files.committedFrames(), files.pendingFrames()]).toEqual([0, 2]);
    let parsed = parseWal((await nodeFiles(host)).wal);
    expect(parsed.header?.checkpointSequence).toBe(0);
    expect([parsed.committedFrameCount, parsed.framesAfterCommit]).toEqual([0, 2]);
    await host.run(() => files.applyFrames(batch([[4, 3]], 4), false));
    generations.push(files.generation());
    expect([files.committedFrames(), files.pendingFrames()]).toEqual([3, 0]);
    parsed = parseWal((await nodeFiles(host)).wal);
    expect([parsed.committedFrameCount, parsed.framesAfterCommit, parsed.databaseSizePages]).toEqual([3, 0, 4]);
    expect(generations).toEqual([generations[0], (generations[0] ?? 0) + 1, (generations[0] ?? 0) + 2]);
    const image = await host.run(() => files.image());
    expect(image.length).toBe(4 * PAGE_SIZE);
    expect(page(image, 1)).toEqual(page(template, 1));
    expect(page(image, 4)).toEqual([...patternPage(PAGE_SIZE, 3)]);
  });

  it("begin drops the frames an abandoned transaction left", async () => {
    const { host, store } = node("begin");
    const files = await host.run(() => store.open("db"));
    await host.run(() => files.applyFrames(batch([[2, 1]], 2), true));
    await host.run(() =>
      files.applyFrames(
        batch([
          [2, 7],
          [3, 7],
          [4, 7],
        ]),
        true,
      ),
    );
    await host.run(() => files.applyFrames(batch([[3, 2]], 3), true));
    expect([files.committedFrames(), files.pendingFrames()]).toEqual([2, 0]);
    expect((await nodeFiles(host)).wal.length).toBe(walFrameOffset(PAGE_SIZE, 2));
    const image = await host.run(() => files.image());
    expect([page(image, 2), page(image, 3)]).toEqual([[...patternPage(PAGE_SIZE, 1)], [...patternPage(PAGE_SIZE, 2)]]);
  });

  it("undo cuts the WAL back to the committed frames (to nothing without any), and an undo with nothing to drop changes nothing", async () => {
    const { host, store } = node("undo");
    const files = await host.run(() => store.open("db"));
    await host.run(() => files.applyFrames(batch([[2, 1]]), true));
    await host.run(() => files.undo());
    expect((await nodeFiles(host)).wal.length).toBe(0);
    await host.run(() => files.applyFrames(batch([[2, 1]], 2), true));
    await host.run(() =>
      files.applyFrames(
        batch([
          [3, 1],
          [4, 1],
        ]),
        true,
      ),
    );
    await host.run(() => files.undo());
    expect([files.committedFrames(), files.pendingFrames()]).toEqual([1, 0]);
    expect((await nodeFiles(host)).wal.length).toBe(walFrameOffset(PAGE_SIZE, 1));
    const generation = files.generation();
    await host.run(() => files.undo());
    expect(files.generation()).toBe(generation);
  });

  it("checkpoint copies the committed pages into the database file, cut to the last commit's size, and empties the WAL; the next WAL is a new one", async () => {
    const { host, store } = node("checkpoint");
    const files = await host.run(() => store.open("db"));
    await host.run(() =>
      files.applyFrames(
        batch(
          [
            [2, 1],
            [3, 2],
            [5, 3],
          ],
          5,
        ),
        true,
      ),
    );
    await host.run(() => files.applyFrames(batch([[2, 4]], 3), true));
    const before = parseWal((await nodeFiles(host)).wal).header;
    const image = await host.run(() => files.image());
    await host.run(() => files.checkpoint());
    const { database, wal } = await nodeFiles(host);
    expect(wal.length).toBe(0);
    expect(database).toEqual(image);
    expect(database.length).toBe(3 * PAGE_SIZE);
    expect(files.committedFrames()).toBe(0);
    await host.run(() => files.applyFrames(batch([[3, 9]], 3), true));
    const after = parseWal((await nodeFiles(host)).wal).header;
    expect(after?.salt1).toBe(((before?.salt1 ?? 0) + 1) >>> 0);
    expect(after?.salt2).not.toBe(before?.salt2);
    expect(after?.checkpointSequence).toBe((before?.checkpointSequence ?? 0) + 1);
  });

  it("checkpoint with a follower transaction in flight is a programmer error", async () => {
    const { host, store } = node("checkpoint-pending");
    const files = await host.run(() => store.open("db"));
    await host.run(() => files.applyFrames(batch([[2, 1]]), true));
    await expect(host.run(() => files.checkpoint())).rejects.toThrow(AssertionError);
  });

  it("a disk write error propagates as DiskError, and the files stay usable once the disk recovers", async () => {
    const { host, store } = node("eio");
    const files = await host.run(() => store.open("db"));
    await host.run(() => files.applyFrames(batch([[2, 1]], 2), true));
    host.setFaults({ writeErrorProbability: 1 });
    await expect(
      host.run(() =>
        files.applyFrames(
          batch(
            [
              [3, 2],
              [4, 2],
            ],
            4,
          ),
          true,
        ),
      ),
    ).rejects.toThrow(DiskError);
    host.setFaults({ writeErrorProbability: 0 });
    expect(files.committedFrames()).toBe(1);
    await host.run(() =>
      files.applyFrames(
        batch(
          [
            [3, 2],
            [4, 2],
          ],
          4,
        ),
        true,
      ),
    );
    const parsed = parseWal((await nodeFiles(host)).wal);
    expect([parsed.committedFrameCount, parsed.framesAfterCommit]).toEqual([3, 0]);
  });

  it("a WAL corrupted on disk or on the way back is refused by read, never served", async () => {
    const { host, store } = node("corrupt");
    const files = await host.run(() => store.open("db"));
    await host.run(() =>
      files.applyFrames(
        batch(
          [
            [2, 1],
            [3, 1],
          ],
          3,
        ),
        true,
      ),
    );
    host.setFaults({ readCorruptionProbability: 1 });
    await expect(host.run(() => files.read())).rejects.toThrow(ErrWalMalformed);
    host.setFaults({ readCorruptionProbability: 0 });
    const { wal } = await nodeFiles(host);
    const damaged = wal.slice();
    damaged.fill(0xff, walFrameOffset(PAGE_SIZE, 0) + 500, walFrameOffset(PAGE_SIZE, 0) + 501);
    await host.writeFile(WAL_PATH, damaged);
    await expect(host.run(() => files.read())).rejects.toThrow(ErrWalMalformed);
  });

  it("a leader commit at a frame that is not a commit frame is ErrWalMalformed at the next append", async () => {
    const { host, store } = node("leader-bad-count");
    const files = await host.run(() => store.open("db"));
    await host.run(() =>
      files.applyFrames(
        batch(
          [
            [2, 1],
            [3, 1],
          ],
          3,
        ),
        true,
      ),
    );
    files.noteLeaderCommit(1);
    await expect(host.run(() => files.applyFrames(batch([[2, 2]], 3), true))).rejects.toThrow(ErrWalMalformed);
  });

  it("refuses batches that break the contract", async () => {
    const { host, store } = node("contract");
    const files = await host.run(() => store.open("db"));
    expect(() => files.applyFrames({ ...batch([[2, 1]], 2), pageSize: 1024 }, true)).toThrow(AssertionError);
    expect(() => files.applyFrames({ ...batch([[2, 1]]), truncate: 3 }, true)).toThrow(AssertionError);
    expect(() => files.applyFrames({ ...batch([[2, 1]], 2), truncate: 0 }, true)).toThrow(AssertionError);
    expect(() => files.applyFrames(batch([[0, 1]], 2), true)).toThrow(AssertionError);
  });
});
