// Worked examples of the simulated disk's contract, one situation each: the durability cases DESIGN.md names, error
// codes, space accounting, limits, latency, traces, and the per-host disk system.
import { describe, expect, it } from "vitest";
import type { DiskError, FileHandle } from "../../src/sim/env.ts";
import { Random } from "../../src/sim/random.ts";
import { Scheduler } from "../../src/sim/scheduler.ts";
import { World } from "../../src/sim/world.ts";
import { StandaloneContext } from "../../src/sim/process-context.ts";
import { DEFAULT_DISK_CAPACITY_BYTES, SimDisk } from "../../src/sim/disk/sim-disk.ts";
import type { SimDiskOptions } from "../../src/sim/disk/sim-disk.ts";
import { createSimDisks } from "../../src/sim/disk/system.ts";
import { MAXIMUM_PENDING_WRITES_PER_FILE, sectorCutLengths } from "../../src/sim/disk/pending-writes.ts";
import { bytesEqual } from "../../src/sim/disk/disk-snapshot.ts";
import { ReferenceDisk } from "./_fixtures/disk-reference-model.ts";
import { directoriesOf, DiskRig, filesOf, outcomeCode, patternBytes, track } from "./_fixtures/disk-rig.ts";

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** A disk that shows how many nodes its durability model holds. */
class InspectableDisk extends SimDisk {
  get modelNodeCount(): number {
    return this.state.modelNodeCount;
  }
}

async function createSynced(rig: DiskRig, path: string, content: Uint8Array): Promise<FileHandle> {
  const handle = await rig.must((disk) => disk.open(path, { create: true }));
  await rig.must(() => handle.write(0, content));
  await rig.must(() => handle.sync());
  return handle;
}

describe("durability by identity", () => {
  it("a synced file renamed without a directory sync comes back under its old name", async () => {
    const rig = new DiskRig();
    await createSynced(rig, "/old", text("payload"));
    await rig.must((disk) => disk.syncDirectory("/"));
    await rig.must((disk) => disk.rename("/old", "/new"));
    expect(filesOf(rig.disk.liveSnapshot())).toEqual([["/new", [...text("payload")]]]);
    rig.restart(true);
    expect(filesOf(rig.disk.liveSnapshot())).toEqual([["/old", [...text("payload")]]]);
  });

  it("a created and synced file whose directory was never synced disappears", async () => {
    const rig = new DiskRig();
    await createSynced(rig, "/lonely", text("synced data"));
    rig.restart(true);
    expect(filesOf(rig.disk.liveSnapshot())).toEqual([]);
  });

  it("an unlink without a directory sync is undone by a crash, with the file's synced data", async () => {
    const rig = new DiskRig();
    await createSynced(rig, "/kept", text("v1"));
    await rig.must((disk) => disk.syncDirectory("/"));
    await rig.must((disk) => disk.unlink("/kept"));
    rig.restart(true);
    expect(filesOf(rig.disk.liveSnapshot())).toEqual([["/kept", [...text("v1")]]]);
  });

  it("a directory whose parent was not synced disappears with everything in it", async () => {
    const rig = new DiskRig();
    await rig.must((disk) => disk.mkdir("/data"));
    await createSynced(rig, "/data/file", text("x"));
    await rig.must((disk) => disk.syncDirectory("/data"));
    rig.restart(true);
    expect(directoriesOf(rig.disk.liveSnapshot())).toEqual(["/"]);
    expect(filesOf(rig.disk.liveSnapshot())).toEqual([]);
  });

  it("unsynced writes are lost, synced ones kept, entry durable but data not", async () => {
    const rig = new DiskRig();
    const handle = await rig.must((disk) => disk.open("/log", { create: true }));
    await rig.must((disk) => disk.syncDirectory("/"));
    await rig.must(() => handle.write(0, text("first")));
    await rig.must(() => handle.sync());
    await rig.must(() => handle.write(5, text("second")));
    rig.restart(true);
    expect(filesOf(rig.disk.liveSnapshot())).toEqual([["/log", [...text("first")]]]);
  });

  it("writeFileAtomic survives a crash and replaces the old content whole", async () => {
    const rig = new DiskRig();
    await rig.must((disk) => disk.mkdir("/data"));
    await rig.must((disk) => disk.syncDirectory("/"));
    await rig.must((disk) => disk.writeFileAtomic("/data/state", text("one")));
    await rig.must((disk) => disk.writeFileAtomic("/data/state", text("two")));
    rig.restart(true);
    expect(filesOf(rig.disk.liveSnapshot())).toEqual([["/data/state", [...text("two")]]]);
    expect(await rig.must((disk) => disk.readFile("/data/state"))).toEqual(text("two"));
  });

  it("a torn crash keeps a sector-cut prefix of the pending writes", async () => {
    const seen = new Set<number>();
    for (let attempt = 0; attempt < 40; attempt++) {
      const rig = new DiskRig({ seed: `torn-${attempt}`, faults: { tornWriteProbability: 1 } });
      const handle = await rig.must((disk) => disk.open("/wal", { create: true }));
      await rig.must((disk) => disk.syncDirectory("/"));
      await rig.must(() => handle.write(100, patternBytes(2000, 3)));
      rig.restart(true);
      const content = rig.disk.liveSnapshot().files.get("/wal") ?? new Uint8Array(0);
      expect([0, 512, 1024, 1536, 2048, 2100]).toContain(content.length);
      seen.add(content.length);
    }
    expect(seen.size, "several cut points were chosen").toBeGreaterThan(2);
    expect(sectorCutLengths({ kind: "write", position: 100, data: new Uint8Array(2000) })).toEqual([
      412, 924, 1436, 1948,
    ]);
  });
});

describe("errors are DiskErrors with POSIX codes", () => {
  it("maps each failure to its code and never rejects with anything else", async () => {
    const rig = new DiskRig();
    await rig.must((disk) => disk.writeFile("/file", text("x")));
    await rig.must((disk) => disk.mkdir("/dir"));
    await rig.must((disk) => disk.writeFile("/dir/inner", text("y")));
    await rig.must((disk) => disk.mkdir("/empty"));
    const closed = await rig.must((disk) => disk.open("/file"));
    await rig.must(() => closed.close());
    const cases: [string, string, () => Promise<unknown>][] = [
      ["ENOENT", "read a missing file", () => rig.view.readFile("/missing")],
      ["ENOENT", "open without create", () => rig.view.open("/missing")],
      ["ENOENT", "create under a missing directory", () => rig.view.open("/nowhere/file", { create: true })],
      [
        "EEXIST",
        "exclusive create of an existing file",
        () => rig.view.open("/file", { create: true, exclusive: true }),
      ],
      ["EEXIST", "mkdir over a file", () => rig.view.mkdir("/file")],
      ["ENOTDIR", "a path through a file", () => rig.view.stat("/file/below")],
      ["ENOTDIR", "list a file", () => rig.view.list("/file")],
      ["ENOTDIR", "rename a directory over a file", () => rig.view.rename("/empty", "/file")],
      ["EISDIR", "open a directory", () => rig.view.open("/dir")],
      ["EISDIR", "unlink a directory", () => rig.view.unlink("/dir")],
      ["EISDIR", "rename a file over a directory", () => rig.view.rename("/file", "/empty")],
      ["ENOTEMPTY", "rename over a non-empty directory", () => rig.view.rename("/empty", "/dir")],
      ["EINVAL", "a relative path", () => rig.view.readFile("relative")],
      ["EINVAL", "a path with ..", () => rig.view.readFile("/dir/../file")],
      ["EINVAL", "move a directory into itself", () => rig.view.rename("/dir", "/dir/sub")],
      ["EINVAL", "a negative position", () => rig.view.open("/file").then((handle) => handle.read(-1, 3))],
      ["EBADF", "use a closed handle", () => closed.read(0, 1)],
    ];
    for (const [code, what, start] of cases) {
      const outcome = await rig.run(start);
      expect(outcomeCode(outcome), what).toBe(code);
      if (outcome.settled && !outcome.ok) expect((outcome.error as DiskError).name).toBe("DiskError");
    }
  });

  it("renaming an empty directory over another replaces it", async () => {
    const rig = new DiskRig();
    await rig.must((disk) => disk.mkdir("/a"));
    await rig.must((disk) => disk.writeFile("/a/x", text("x")));
    await rig.must((disk) => disk.mkdir("/b"));
    await rig.must((disk) => disk.rename("/a", "/b"));
    expect(directoriesOf(rig.disk.liveSnapshot())).toEqual(["/", "/b"]);
    expect(await rig.must((disk) => disk.list("/b"))).toEqual(["x"]);
  });
});

describe("space accounting", () => {
  it("counts the sum of file sizes; an unlinked file holds its space until its last handle closes", async () => {
    const rig = new DiskRig({ capacityBytes: 1000 });
    const handle = await rig.must((disk) => disk.open("/big", { create: true }));
    await rig.must(() => handle.write(0, new Uint8Array(700)));
    expect(outcomeCode(await rig.run((disk) => disk.writeFile("/other", new Uint8Array(400))))).toBe("ENOSPC");
    expect(rig.disk.liveSnapshot().files.has("/other")).toBe(false);
    await rig.must((disk) => disk.unlink("/big"));
    expect(rig.disk.stats().usedBytes).toBe(700);
    expect(await rig.must(() => handle.read(0, 3))).toEqual(new Uint8Array(3));
    await rig.must(() => handle.close());
    expect(rig.disk.stats().usedBytes).toBe(0);
    await rig.must((disk) => disk.writeFile("/other", new Uint8Array(400)));
    expect(rig.disk.stats().injectedFaults.noSpaceErrors).toBe(1);
  });

  it("the death of an incarnation closes its files and frees unlinked ones", async () => {
    const rig = new DiskRig();
    const handle = await rig.must((disk) => disk.open("/scratch", { create: true }));
    await rig.must(() => handle.write(0, new Uint8Array(300)));
    await rig.must((disk) => disk.unlink("/scratch"));
    expect(rig.disk.stats().usedBytes).toBe(300);
    rig.restart(false);
    expect(rig.disk.stats().usedBytes).toBe(0);
  });
});

describe("limits", () => {
  it("folds pending writes past the limit and keeps data and torn recovery correct", async () => {
    const writes = MAXIMUM_PENDING_WRITES_PER_FILE + 300;
    const rig = new DiskRig({ seed: "fold", faults: { tornWriteProbability: 1 } });
    const model = new ReferenceDisk();
    const handle = await rig.must((disk) => disk.open("/append", { create: true }));
    const file = model.open("/append", true, false);
    await rig.must((disk) => disk.syncDirectory("/"));
    model.syncDirectory("/");
    for (let index = 0; index < writes; index++) {
      const data = patternBytes(7, index);
      await rig.must(() => handle.write(index * 5, data));
      model.write(file, index * 5, data);
    }
    expect(filesOf(rig.disk.liveSnapshot())).toEqual([["/append", [...file.content]]]);
    rig.restart(true);
    const recovered = rig.disk.liveSnapshot().files.get("/append") ?? new Uint8Array(0);
    const allowed = model.recovery(true).files.get("/append") ?? [];
    expect(allowed.some((variant) => bytesEqual(variant, recovered))).toBe(true);
  });

  it("the durability model forgets files that can no longer come back", async () => {
    const rig = new DiskRig({ factory: (options: SimDiskOptions) => new InspectableDisk(options) });
    for (let index = 0; index < 300; index++)
      await rig.must((disk) => disk.writeFileAtomic("/state", patternBytes(16, index)));
    expect((rig.disk as InspectableDisk).modelNodeCount).toBeLessThan(100);
    rig.restart(true);
    expect(filesOf(rig.disk.liveSnapshot())).toEqual([["/state", [...patternBytes(16, 299)]]]);
  });
});

describe("completion, latency and traces", () => {
  it("an operation takes effect when it completes, after its latency", async () => {
    const rig = new DiskRig({ latency: { write: { kind: "constant", ms: 3 }, sync: { kind: "constant", ms: 10 } } });
    const outcome = track(rig.view.writeFile("/f", text("abc")));
    expect(rig.disk.liveSnapshot().files.size).toBe(0);
    await rig.scheduler.run();
    expect(outcome().settled).toBe(true);
    expect(rig.scheduler.now).toBe(3);
    await rig.must((disk) => disk.syncDirectory("/"));
    expect(rig.scheduler.now).toBe(13);
  });

  it("traces each operation with deterministic fields, and each fault", async () => {
    const rig = new DiskRig({ faults: { writeErrorProbability: 1 } });
    const handle = await rig.must((disk) => disk.open("/f", { create: true }));
    await rig.run(() => handle.write(4, text("xy")));
    expect(rig.traces.slice(-2)).toEqual([
      { kind: "disk.fault", fields: { fault: "write-error", operation: "write", path: "/f" } },
      { kind: "disk.write", fields: { path: "/f", position: 4, length: 2, outcome: "EIO" } },
    ]);
  });

  it("rejects fault probabilities outside [0, 1]", () => {
    const disk = new SimDisk({ random: new Random("x") });
    expect(() => disk.setFaults({ readErrorProbability: 2 })).toThrow(RangeError);
    disk.setFaults({ readErrorProbability: 0.5 });
    disk.clearFaults();
    expect(disk.faults.readErrorProbability).toBe(0);
  });
});

describe("the per-host disk system", () => {
  it("gives each host its own disk, crashes one, and switches plan faults on and off", async () => {
    const scheduler = new Scheduler();
    const traced: string[] = [];
    const system = createSimDisks({ capacityBytes: 10_000, trace: (host, kind) => traced.push(`${host} ${kind}`) });
    system.create("n1", new Random("n1"));
    system.create("n2", new Random("n2"));
    const n1 = system.view("n1", new StandaloneContext(scheduler, "n1"));
    const n2 = system.view("n2", new StandaloneContext(scheduler, "n2"));
    const written = track(Promise.all([n1.writeFile("/x", text("1")), n2.writeFile("/x", text("2"))]));
    await scheduler.run();
    expect(written().settled).toBe(true);
    system.crash("n1");
    expect(system.disk("n1").liveSnapshot().files.size).toBe(0);
    expect(system.disk("n2").liveSnapshot().files.size).toBe(1);
    system.setDiskFaults("n2", { readErrorProbability: 1, capacityBytes: 1 });
    expect(system.disk("n2").faults.readErrorProbability).toBe(1);
    expect(system.disk("n2").stats().capacityBytes).toBe(1);
    system.setDiskFaults("n2", undefined);
    expect(system.disk("n2").faults.readErrorProbability).toBe(0);
    expect(system.disk("n2").stats().capacityBytes).toBe(10_000);
    expect(traced).toContain("n1 disk.crash");
    expect(() => system.create("n1", new Random("again"))).toThrow();
  });

  it("wipes one host's disk: a new empty and healthy one, views made before are dead", async () => {
    const scheduler = new Scheduler();
    const traced: string[] = [];
    const system = createSimDisks({ trace: (host, kind) => traced.push(`${host} ${kind}`) });
    system.create("n1", new Random("n1"));
    const before = system.view("n1", new StandaloneContext(scheduler, "n1"));
    const written = track(before.writeFile("/x", text("1")).then(() => before.syncDirectory("/")));
    await scheduler.run();
    expect(written().settled).toBe(true);
    system.setDiskFaults("n1", { readErrorProbability: 1, capacityBytes: 1 });
    system.wipe("n1");
    expect(filesOf(system.disk("n1").liveSnapshot())).toEqual([]);
    expect(filesOf(system.disk("n1").durableSnapshot())).toEqual([]);
    expect(system.disk("n1").faults.readErrorProbability).toBe(0);
    expect(system.disk("n1").stats().capacityBytes).toBe(DEFAULT_DISK_CAPACITY_BYTES);
    const stale = track(before.exists("/x"));
    const after = system.view("n1", new StandaloneContext(scheduler, "n1"));
    const fresh = track(after.exists("/x"));
    await scheduler.run();
    expect(stale().settled).toBe(false);
    expect(fresh()).toEqual({ settled: true, ok: true, value: false });
    expect(traced).toContain("n1 disk.wipe");
  });

  it("lets a world wipe a host's disk only while the host is down", () => {
    const world = new World({ seed: 1, disks: createSimDisks() });
    const host = world.addHost("n1", () => new Promise<void>(() => undefined));
    host.start();
    expect(() => world.wipeDisk("n1")).toThrow(/must be down/);
    host.stop();
    expect(() => world.wipeDisk("n1")).not.toThrow();
  });
});
