/**
 * One host's disk without faults: the live contents in a memfs Volume, the model of
 * what is durable (durability-model.ts), and space accounting.
 *
 * Faults injected: none here except ENOSPC, which is not random: a capacity in bytes
 * against the sum of the sizes of existing files (linked or still open). DiskEngine
 * adds the random faults around these methods.
 *
 * Every method is synchronous, validates its arguments and the namespace itself
 * (memfs is lax about POSIX rules, e.g. rename), and fails only with DiskError,
 * changing nothing when it fails. Node identity comes from memfs inode numbers
 * mapped to identities when a node is created, because memfs reuses inode numbers.
 * An open file keeps its memfs Node, so reads, writes and truncates through a handle
 * call memfs's lower layer directly (no descriptor lookup, path or argument checks,
 * or Stats objects: this file has checked everything already).
 */
import { assert, assertEqual } from "../assert.ts";
import { Buffer } from "node:buffer";
import { Volume } from "memfs";
import { DiskError } from "../env.ts";
import type { FileStat, OpenOptions } from "../env.ts";
import { isStrictlyInside, joinPath, parseDiskPath, ROOT_PATH } from "./disk-path.ts";
import { DurabilityModel, ROOT_IDENTITY } from "./durability-model.ts";
import type { FileRecord, NodeRecord, RecoveryPlan, TornWrites } from "./durability-model.ts";
import { callMemfs } from "./memfs-calls.ts";
import { listNames, materializeRecovery, snapshotVolume } from "./volume-recovery.ts";
import type { DiskSnapshot } from "./disk-snapshot.ts";

/** memfs's in-memory inode (its lower layer): the bytes of one file, whatever its names. */
type MemfsNode = ReturnType<Volume["_core"]["getFileByFdOrThrow"]>["node"];

/** A file opened on a DiskState: valid until closed or until the next recovery. */
export interface OpenFile {
  readonly fd: number;
  /** The memfs node behind `fd`: the same until the file is closed (a rename or unlink keeps it). */
  readonly node: MemfsNode;
  readonly identity: number;
  /** The path it was opened by (for error messages; the file may have moved since). */
  readonly path: string;
  /** The recovery epoch it belongs to. */
  readonly epoch: number;
  closed: boolean;
}

/** What a recovery did. */
export interface RecoveryReport {
  readonly files: number;
  readonly directories: number;
  readonly tornFiles: number;
}

/** The part of a memfs stat result the disk uses. */
interface Stats {
  readonly ino: number | bigint;
  isDirectory(): boolean;
}

export class DiskState {
  private volume = callMemfs("mount", "/", () => new Volume());
  private model = new DurabilityModel();
  private identityByInode = new Map<number, number>();
  private usedBytesTotal = 0;
  private epoch = 0;

  constructor(private capacityBytesLimit: number) {
    assertCapacity(capacityBytesLimit);
    this.identityByInode.set(Number(callMemfs("mount", "/", () => this.volume.statSync("/")).ino), ROOT_IDENTITY);
  }

  /** Sum of the sizes of existing files. */
  get usedBytes(): number {
    return this.usedBytesTotal;
  }

  get capacityBytes(): number {
    return this.capacityBytesLimit;
  }

  /** Changes the capacity; existing files stay even when they no longer fit. */
  setCapacity(capacityBytes: number): void {
    assertCapacity(capacityBytes);
    this.capacityBytesLimit = capacityBytes;
  }

  // ---------------------------------------------------------------------------
  // Files through handles

  open(path: string, options: OpenOptions): OpenFile {
    const parsed = parseDiskPath("open", path);
    if (parsed.isRoot) throw new DiskError("EISDIR", "open", path);
    if (options.exclusive === true && options.create !== true) {
      throw new DiskError("EINVAL", "open", path, "exclusive requires create");
    }
    const existing = this.entryAt("open", path);
    let record: FileRecord;
    let fd: number;
    if (existing !== undefined) {
      if (existing.isDirectory()) throw new DiskError("EISDIR", "open", path);
      if (options.create === true && options.exclusive === true) throw new DiskError("EEXIST", "open", path);
      record = this.model.file(this.identityOf(existing));
      fd = callMemfs("open", path, () => this.volume.openSync(path, "r+"));
      if (options.truncate === true) this.resize(record, this.nodeOf(fd, path), path, 0);
    } else {
      if (options.create !== true) throw new DiskError("ENOENT", "open", path);
      this.requireDirectory("open", parsed.parent);
      fd = callMemfs("open", path, () => this.volume.openSync(path, "w+"));
      record = this.model.createFile();
      this.registerInode(path, record);
    }
    record.openCount++;
    return { fd, node: this.nodeOf(fd, path), identity: record.identity, path, epoch: this.epoch, closed: false };
  }

  close(file: OpenFile): void {
    const record = this.openRecord("close", file);
    callMemfs("close", file.path, () => this.volume.closeSync(file.fd));
    file.closed = true;
    record.openCount--;
    this.releaseIfUnused(record);
  }

  /** Up to `length` bytes at `position` (fewer at end of file), as a fresh array. */
  read(file: OpenFile, position: number, length: number): Uint8Array {
    const record = this.openRecord("read", file);
    requireByteCount("read", file.path, position, "position");
    requireByteCount("read", file.path, length, "length");
    const available = Math.max(0, Math.min(length, record.sizeBytes - position));
    const result = new Uint8Array(available);
    if (available === 0) return result;
    const count = callMemfs("read", file.path, () => file.node.read(result, 0, available, position));
    assertEqual(count, available, `read ${file.path}: short read from memfs`);
    return result;
  }

  /** Throws what `write(file, position, data)` would throw (EBADF, EINVAL, ENOSPC), changing nothing. */
  prepareWrite(file: OpenFile, position: number, length: number): void {
    const record = this.openRecord("write", file);
    requireByteCount("write", file.path, position, "position");
    if (length > 0) this.requireSpace("write", file.path, position + length - record.sizeBytes);
  }

  /**
   * Writes `data` at `position`. Takes `data` over: it is kept as the pending write until the next sync, so the
   * caller must hand over bytes nobody changes afterwards (the disk's handles and views pass a copy made at issue).
   */
  write(file: OpenFile, position: number, data: Uint8Array): void {
    this.prepareWrite(file, position, data.length);
    const record = this.model.file(file.identity);
    if (data.length === 0) return;
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    callMemfs("write", file.path, () => file.node.write(bytes, 0, bytes.length, position));
    this.setSize(record, Math.max(record.sizeBytes, position + data.length));
    assertEqual(file.node.getSize(), record.sizeBytes, `write ${file.path}: size bookkeeping diverged from memfs`);
    this.model.recordWrite(record, { kind: "write", position, data });
  }

  /** Throws what `truncate(file, length)` would throw (EBADF, EINVAL, ENOSPC), changing nothing. */
  prepareTruncate(file: OpenFile, length: number): void {
    const record = this.openRecord("truncate", file);
    requireByteCount("truncate", file.path, length, "length");
    this.requireSpace("truncate", file.path, length - record.sizeBytes);
  }

  truncate(file: OpenFile, length: number): void {
    this.prepareTruncate(file, length);
    this.resize(this.model.file(file.identity), file.node, file.path, length);
  }

  size(file: OpenFile): number {
    return this.openRecord("size", file).sizeBytes;
  }

  /** Makes the file's data durable (not its directory entry). */
  syncFile(file: OpenFile): void {
    this.model.syncFile(this.openRecord("sync", file));
  }

  /** Throws EBADF unless `file` is open in the current epoch. */
  requireOpen(operation: string, file: OpenFile): void {
    this.openRecord(operation, file);
  }

  // ---------------------------------------------------------------------------
  // Whole files by path

  readFile(path: string): Uint8Array {
    const record = this.existingFile("readFile", path);
    const content = callMemfs("readFile", path, () => this.volume.readFileSync(path));
    assert(typeof content !== "string", "readFileSync returned a string");
    assertEqual(content.length, record.sizeBytes, `readFile ${path}: size bookkeeping diverged from memfs`);
    return new Uint8Array(content);
  }

  /** Throws what `writeFile(path, data)` would throw (EINVAL, EISDIR, ENOENT, ENOTDIR, ENOSPC), changing nothing. */
  prepareWriteFile(path: string, length: number): void {
    const parsed = parseDiskPath("writeFile", path);
    if (parsed.isRoot) throw new DiskError("EISDIR", "writeFile", path);
    const existing = this.entryAt("writeFile", path);
    if (existing?.isDirectory() === true) throw new DiskError("EISDIR", "writeFile", path);
    if (existing === undefined) this.requireDirectory("writeFile", parsed.parent);
    const oldSize = existing === undefined ? 0 : this.model.file(this.identityOf(existing)).sizeBytes;
    this.requireSpace("writeFile", path, length - oldSize);
  }

  /** Creates or replaces the content of `path` (volatile: neither data nor a new entry is synced). */
  writeFile(path: string, data: Uint8Array): void {
    this.prepareWriteFile(path, data.length);
    const file = this.open(path, { create: true, truncate: true });
    this.write(file, 0, data);
    this.close(file);
  }

  // ---------------------------------------------------------------------------
  // Namespace

  rename(from: string, to: string): void {
    const source = parseDiskPath("rename", from);
    const target = parseDiskPath("rename", to);
    if (source.isRoot || target.isRoot)
      throw new DiskError("EINVAL", "rename", from, `cannot rename the root (to ${to})`);
    const sourceStats = this.entryAt("rename", from);
    if (sourceStats === undefined) throw new DiskError("ENOENT", "rename", from);
    this.requireDirectory("rename", target.parent);
    if (from === to) return;
    if (sourceStats.isDirectory() && isStrictlyInside(from, to)) {
      throw new DiskError("EINVAL", "rename", from, `cannot move a directory into itself (${to})`);
    }
    const sourceIdentity = this.identityOf(sourceStats);
    const targetStats = this.entryAt("rename", to);
    if (targetStats !== undefined) {
      if (this.identityOf(targetStats) === sourceIdentity) return;
      this.removeRenameTarget(to, sourceStats.isDirectory(), targetStats);
    }
    callMemfs("rename", from, () => this.volume.renameSync(from, to));
    this.model.collectGarbageIfDue();
  }

  unlink(path: string): void {
    const parsed = parseDiskPath("unlink", path);
    if (parsed.isRoot) throw new DiskError("EISDIR", "unlink", path);
    const stats = this.entryAt("unlink", path);
    if (stats === undefined) throw new DiskError("ENOENT", "unlink", path);
    if (stats.isDirectory()) throw new DiskError("EISDIR", "unlink", path);
    this.unlinkFile("unlink", path, stats);
    this.model.collectGarbageIfDue();
  }

  mkdir(path: string): void {
    const parsed = parseDiskPath("mkdir", path);
    if (parsed.isRoot) throw new DiskError("EEXIST", "mkdir", path);
    if (this.entryAt("mkdir", path) !== undefined) throw new DiskError("EEXIST", "mkdir", path);
    this.requireDirectory("mkdir", parsed.parent);
    callMemfs("mkdir", path, () => this.volume.mkdirSync(path));
    this.registerInode(path, this.model.createDirectory());
  }

  /** Entry names, sorted. */
  list(path: string): string[] {
    parseDiskPath("list", path);
    this.requireDirectory("list", path);
    return listNames(this.volume, path);
  }

  stat(path: string): FileStat {
    parseDiskPath("stat", path);
    const stats = this.entryAt("stat", path);
    if (stats === undefined) throw new DiskError("ENOENT", "stat", path);
    const record = this.model.record(this.identityOf(stats));
    return { size: record.kind === "file" ? record.sizeBytes : 0, isDirectory: record.kind === "directory" };
  }

  /** False when missing or when a parent is a file; EINVAL for a malformed path. */
  exists(path: string): boolean {
    parseDiskPath("exists", path);
    try {
      return this.entryAt("exists", path) !== undefined;
    } catch (error) {
      if (error instanceof DiskError && error.code === "ENOTDIR") return false;
      throw error;
    }
  }

  /** Throws what `syncDirectory(path)` would throw (EINVAL, ENOENT, ENOTDIR), changing nothing. */
  prepareSyncDirectory(path: string): void {
    parseDiskPath("syncDirectory", path);
    this.requireDirectory("syncDirectory", path);
  }

  /** Makes the directory's current entries durable. */
  syncDirectory(path: string): void {
    this.prepareSyncDirectory(path);
    const directory = this.model.directory(this.requireDirectory("syncDirectory", path));
    const entries = new Map<string, number>();
    for (const name of listNames(this.volume, path)) {
      const childPath = joinPath(path, name);
      entries.set(name, this.identityOf(callMemfs("syncDirectory", childPath, () => this.volume.statSync(childPath))));
    }
    this.model.syncDirectory(directory, entries);
    this.model.collectGarbageIfDue();
  }

  // ---------------------------------------------------------------------------
  // Crash and pictures

  /** Replaces the volume with what a crash leaves; every OpenFile before it becomes invalid. */
  recover(torn?: TornWrites): RecoveryReport {
    return this.adopt(this.model.planRecovery(torn));
  }

  /**
   * Replaces the volume with an empty one, durably (an operator's new disk); every OpenFile before it becomes invalid.
   */
  wipe(): RecoveryReport {
    return this.adopt({
      entries: [{ kind: "directory", path: ROOT_PATH, identity: ROOT_IDENTITY, entries: new Map() }],
      tornFiles: 0,
    });
  }

  private adopt(plan: RecoveryPlan): RecoveryReport {
    const recovered = materializeRecovery(plan);
    this.volume = recovered.volume;
    this.identityByInode = recovered.identityByInode;
    this.model = new DurabilityModel(plan, this.model.identityWatermark);
    this.epoch++;
    let files = 0;
    let directories = 0;
    this.usedBytesTotal = 0;
    for (const entry of plan.entries) {
      if (entry.kind === "directory") directories++;
      if (entry.kind === "file") {
        files++;
        this.usedBytesTotal += entry.content.length;
      }
    }
    return { files, directories, tornFiles: plan.tornFiles };
  }

  /** What a crash without torn writes would leave. */
  durableSnapshot(): DiskSnapshot {
    const plan = this.model.planRecovery();
    const directories = new Set<string>();
    const files = new Map<string, Uint8Array>();
    for (const entry of plan.entries) {
      if (entry.kind === "directory") directories.add(entry.path);
      else if (entry.kind === "file") files.set(entry.path, entry.content);
      else files.set(entry.path, (files.get(entry.linkOf) as Uint8Array).slice());
    }
    return { directories, files };
  }

  liveSnapshot(): DiskSnapshot {
    return snapshotVolume(this.volume);
  }

  /** Nodes the durability model holds (for limit checks in tests). */
  get modelNodeCount(): number {
    return this.model.nodeCount;
  }

  // ---------------------------------------------------------------------------
  // Internals

  /** The memfs node behind an open descriptor. */
  private nodeOf(fd: number, path: string): MemfsNode {
    return callMemfs("open", path, () => this.volume._core.getFileByFdOrThrow(fd, "open").node);
  }

  private entryAt(operation: string, path: string): Stats | undefined {
    return callMemfs(operation, path, () => this.volume.statSync(path, { throwIfNoEntry: false }));
  }

  /** The identity of the directory at `path`; ENOENT or ENOTDIR otherwise. */
  private requireDirectory(operation: string, path: string): number {
    const stats = this.entryAt(operation, path);
    if (stats === undefined) throw new DiskError("ENOENT", operation, path);
    if (!stats.isDirectory()) throw new DiskError("ENOTDIR", operation, path);
    return this.identityOf(stats);
  }

  private existingFile(operation: string, path: string): FileRecord {
    const parsed = parseDiskPath(operation, path);
    if (parsed.isRoot) throw new DiskError("EISDIR", operation, path);
    const stats = this.entryAt(operation, path);
    if (stats === undefined) throw new DiskError("ENOENT", operation, path);
    if (stats.isDirectory()) throw new DiskError("EISDIR", operation, path);
    return this.model.file(this.identityOf(stats));
  }

  private identityOf(stats: Stats): number {
    const identity = this.identityByInode.get(Number(stats.ino));
    assert(identity !== undefined, `memfs inode ${stats.ino} has no identity`);
    return identity;
  }

  private registerInode(path: string, record: NodeRecord): void {
    const stats = callMemfs("create", path, () => this.volume.statSync(path));
    this.identityByInode.set(Number(stats.ino), record.identity);
  }

  private openRecord(operation: string, file: OpenFile): FileRecord {
    if (file.closed) throw new DiskError("EBADF", operation, file.path, "file handle is closed");
    assertEqual(file.epoch, this.epoch, `${operation} ${file.path}: file handle from before a crash`);
    const record = this.model.file(file.identity);
    assert(record.openCount > 0, `${operation} ${file.path}: open handle on a file with no opens`);
    return record;
  }

  private requireSpace(operation: string, path: string, growthBytes: number): void {
    if (growthBytes > 0 && this.usedBytesTotal + growthBytes > this.capacityBytesLimit) {
      throw new DiskError(
        "ENOSPC",
        operation,
        path,
        `needs ${growthBytes} more bytes, ${this.capacityBytesLimit - this.usedBytesTotal} free`,
      );
    }
  }

  private resize(record: FileRecord, node: MemfsNode, path: string, length: number): void {
    callMemfs("truncate", path, () => node.truncate(length));
    this.setSize(record, length);
    this.model.recordWrite(record, { kind: "truncate", length });
  }

  private setSize(record: FileRecord, sizeBytes: number): void {
    assert(record.linkCount > 0 || record.openCount > 0, "resizing a file that no longer exists");
    this.usedBytesTotal += sizeBytes - record.sizeBytes;
    record.sizeBytes = sizeBytes;
  }

  private removeRenameTarget(to: string, sourceIsDirectory: boolean, targetStats: Stats): void {
    if (!sourceIsDirectory && targetStats.isDirectory()) throw new DiskError("EISDIR", "rename", to);
    if (sourceIsDirectory && !targetStats.isDirectory()) throw new DiskError("ENOTDIR", "rename", to);
    if (!targetStats.isDirectory()) {
      this.unlinkFile("rename", to, targetStats);
      return;
    }
    if (listNames(this.volume, to).length > 0) throw new DiskError("ENOTEMPTY", "rename", to);
    const directory = this.model.directory(this.identityOf(targetStats));
    callMemfs("rename", to, () => this.volume.rmdirSync(to));
    directory.linkCount = 0;
    this.identityByInode.delete(Number(targetStats.ino));
  }

  private unlinkFile(operation: string, path: string, stats: Stats): void {
    const record = this.model.file(this.identityOf(stats));
    callMemfs(operation, path, () => this.volume.unlinkSync(path));
    record.linkCount--;
    assert(record.linkCount >= 0, `${path}: negative link count`);
    if (record.linkCount === 0) this.identityByInode.delete(Number(stats.ino));
    this.releaseIfUnused(record);
  }

  /** A file with no links and no open handles no longer exists: its space is free. */
  private releaseIfUnused(record: FileRecord): void {
    if (record.linkCount > 0 || record.openCount > 0) return;
    this.usedBytesTotal -= record.sizeBytes;
    assert(this.usedBytesTotal >= 0, "negative used bytes");
  }
}

function requireByteCount(operation: string, path: string, value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DiskError("EINVAL", operation, path, `${name} must be a non-negative integer, got ${value}`);
  }
}

function assertCapacity(capacityBytes: number): void {
  if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 0) {
    throw new RangeError(`disk capacity must be a non-negative integer of bytes, got ${capacityBytes}`);
  }
}
