/**
 * What survives a crash: the durability model of DESIGN.md, kept per node identity
 * (an inode), never per path.
 *
 * Faults injected: loss of everything volatile at a crash, and torn writes (see
 * pending-writes.ts). A file's durable content is its content at its last sync; a
 * directory's durable entries are its entries (name to identity) at its last
 * directory sync. After a crash the disk holds what is reachable from the root
 * through durable entries: a synced file renamed without a directory sync comes back
 * under its old name; a file whose directory entry was never synced disappears.
 *
 * A node reachable through durable entries by two paths comes back once: files as
 * hard links; directories at the first path in breadth-first name order only.
 */
import { assert, assertEqual } from "../assert.ts";
import { ByteImage } from "./byte-image.ts";
import { joinPath, ROOT_PATH } from "./disk-path.ts";
import {
  foldOldestPendingWrites,
  MAXIMUM_PENDING_BYTES_PER_FILE,
  MAXIMUM_PENDING_WRITES_PER_FILE,
  pendingWriteBytes,
  tornContent,
  applyPendingWrite,
} from "./pending-writes.ts";
import type { PendingWrite } from "./pending-writes.ts";
import type { Random } from "../random.ts";

/** The identity of the root directory. */
export const ROOT_IDENTITY = 0;

/** Garbage collection runs once the node count passes this many, or twice the count it left. */
const MINIMUM_GARBAGE_THRESHOLD = 64;

export interface FileRecord {
  readonly kind: "file";
  readonly identity: number;
  /** Live size in bytes. */
  sizeBytes: number;
  /** Live directory entries naming this file. */
  linkCount: number;
  /** Open handles on this file. */
  openCount: number;
  /** Content at the last sync. */
  readonly durable: ByteImage;
  /** Changes since the last sync, in order. */
  pending: PendingWrite[];
  pendingBytes: number;
}

export interface DirectoryRecord {
  readonly kind: "directory";
  readonly identity: number;
  /** 1 while the directory is linked in the live tree, 0 once replaced. */
  linkCount: number;
  /** Entries at the last directory sync. */
  durableEntries: ReadonlyMap<string, number>;
}

export type NodeRecord = FileRecord | DirectoryRecord;

/** Torn-write settings for one recovery. */
export interface TornWrites {
  readonly random: Random;
  /** Probability that a file with pending writes keeps a torn prefix of them. */
  readonly probability: number;
}

export type RecoveredEntry =
  | {
      readonly kind: "directory";
      readonly path: string;
      readonly identity: number;
      readonly entries: Map<string, number>;
    }
  | { readonly kind: "file"; readonly path: string; readonly identity: number; readonly content: Uint8Array }
  /** A second durable name of a file already recovered at `linkOf`. */
  | { readonly kind: "link"; readonly path: string; readonly identity: number; readonly linkOf: string };

/** The disk after a crash, parents before children, the root first. */
export interface RecoveryPlan {
  readonly entries: readonly RecoveredEntry[];
  /** Files that kept a torn prefix of their pending writes. */
  readonly tornFiles: number;
}

export class DurabilityModel {
  private readonly records = new Map<number, NodeRecord>();
  private nextIdentity: number;
  private garbageThreshold = MINIMUM_GARBAGE_THRESHOLD;

  /** A model holding only the root, or the disk `plan` describes (everything in it durable). */
  constructor(plan?: RecoveryPlan, firstIdentity = ROOT_IDENTITY + 1) {
    this.nextIdentity = firstIdentity;
    if (plan === undefined) {
      this.records.set(ROOT_IDENTITY, {
        kind: "directory",
        identity: ROOT_IDENTITY,
        linkCount: 1,
        durableEntries: new Map(),
      });
      return;
    }
    for (const entry of plan.entries) this.adoptRecovered(entry);
    assert(this.records.get(ROOT_IDENTITY)?.kind === "directory", "recovery plan without a root");
  }

  /** The identity the next created node will get (identities are never reused). */
  get identityWatermark(): number {
    return this.nextIdentity;
  }

  createFile(): FileRecord {
    const record: FileRecord = {
      kind: "file",
      identity: this.nextIdentity++,
      sizeBytes: 0,
      linkCount: 1,
      openCount: 0,
      durable: new ByteImage(),
      pending: [],
      pendingBytes: 0,
    };
    this.records.set(record.identity, record);
    return record;
  }

  createDirectory(): DirectoryRecord {
    const record: DirectoryRecord = {
      kind: "directory",
      identity: this.nextIdentity++,
      linkCount: 1,
      durableEntries: new Map(),
    };
    this.records.set(record.identity, record);
    return record;
  }

  record(identity: number): NodeRecord {
    const record = this.records.get(identity);
    assert(record !== undefined, `no node with identity ${identity}`);
    return record;
  }

  file(identity: number): FileRecord {
    const record = this.record(identity);
    assert(record.kind === "file", `node ${identity} is not a file`);
    return record;
  }

  directory(identity: number): DirectoryRecord {
    const record = this.record(identity);
    assert(record.kind === "directory", `node ${identity} is not a directory`);
    return record;
  }

  /** Records a change to a file's data (volatile until `syncFile`). */
  recordWrite(file: FileRecord, write: PendingWrite): void {
    file.pending.push(write);
    file.pendingBytes += pendingWriteBytes(write);
    while (
      file.pending.length >= 2 &&
      (file.pending.length > MAXIMUM_PENDING_WRITES_PER_FILE || file.pendingBytes > MAXIMUM_PENDING_BYTES_PER_FILE)
    ) {
      file.pending = foldOldestPendingWrites(file.durable, file.pending);
      file.pendingBytes = file.pending.reduce((total, pending) => total + pendingWriteBytes(pending), 0);
    }
  }

  /** Makes a file's data durable: its pending writes are applied to its durable content. */
  syncFile(file: FileRecord): void {
    for (const write of file.pending) applyPendingWrite(file.durable, write);
    file.pending = [];
    file.pendingBytes = 0;
    assertEqual(
      file.durable.length,
      file.sizeBytes,
      `file ${file.identity}: durable length differs from live size after sync`,
    );
  }

  /** Makes a directory's entries durable: `entries` are its live entries, name to identity. */
  syncDirectory(directory: DirectoryRecord, entries: ReadonlyMap<string, number>): void {
    for (const identity of entries.values()) assert(this.records.has(identity), `entry to unknown node ${identity}`);
    directory.durableEntries = new Map(entries);
  }

  /** Drops nodes that are neither live nor able to become durably reachable, when enough have piled up. */
  collectGarbageIfDue(): void {
    if (this.records.size <= this.garbageThreshold) return;
    const kept = this.keptIdentities();
    for (const identity of [...this.records.keys()]) if (!kept.has(identity)) this.records.delete(identity);
    this.garbageThreshold = Math.max(MINIMUM_GARBAGE_THRESHOLD, 2 * this.records.size);
  }

  /** Number of nodes held (live ones and those the durable state may still need). */
  get nodeCount(): number {
    return this.records.size;
  }

  /**
   * The disk as a crash would leave it: what is reachable from the root through
   * durable entries, files with their durable content (or a torn prefix of their
   * pending writes when `torn` is given and its draw says so).
   */
  planRecovery(torn?: TornWrites): RecoveryPlan {
    const rootEntries = new Map<string, number>();
    const entries: RecoveredEntry[] = [
      { kind: "directory", path: ROOT_PATH, identity: ROOT_IDENTITY, entries: rootEntries },
    ];
    const visitedDirectories = new Set<number>([ROOT_IDENTITY]);
    const firstPathOfFile = new Map<number, string>();
    const queue: { path: string; identity: number; entries: Map<string, number> }[] = [
      { path: ROOT_PATH, identity: ROOT_IDENTITY, entries: rootEntries },
    ];
    let tornFiles = 0;
    for (let head = 0; head < queue.length; head++) {
      const parent = queue[head] as (typeof queue)[number];
      const durableEntries = this.directory(parent.identity).durableEntries;
      for (const name of [...durableEntries.keys()].sort()) {
        const identity = durableEntries.get(name) as number;
        const child = this.record(identity);
        const path = joinPath(parent.path, name);
        if (child.kind === "directory") {
          if (visitedDirectories.has(identity)) continue;
          visitedDirectories.add(identity);
          const childEntries = new Map<string, number>();
          entries.push({ kind: "directory", path, identity, entries: childEntries });
          queue.push({ path, identity, entries: childEntries });
        } else {
          const firstPath = firstPathOfFile.get(identity);
          if (firstPath !== undefined) {
            entries.push({ kind: "link", path, identity, linkOf: firstPath });
          } else {
            firstPathOfFile.set(identity, path);
            const tears = torn !== undefined && child.pending.length > 0 && torn.random.bool(torn.probability);
            if (tears) tornFiles++;
            const content = tears ? tornContent(child.durable, child.pending, torn.random) : child.durable.bytes();
            entries.push({ kind: "file", path, identity, content });
          }
        }
        parent.entries.set(name, identity);
      }
    }
    return { entries, tornFiles };
  }

  private adoptRecovered(entry: RecoveredEntry): void {
    if (entry.kind === "directory") {
      assert(!this.records.has(entry.identity), `directory ${entry.identity} recovered twice`);
      this.records.set(entry.identity, {
        kind: "directory",
        identity: entry.identity,
        linkCount: 1,
        durableEntries: entry.entries,
      });
      return;
    }
    const existing = this.records.get(entry.identity);
    if (entry.kind === "link") {
      assert(existing?.kind === "file", `hard link ${entry.path} before its file`);
      existing.linkCount++;
      return;
    }
    assert(existing === undefined, `file ${entry.identity} recovered twice`);
    this.records.set(entry.identity, {
      kind: "file",
      identity: entry.identity,
      sizeBytes: entry.content.length,
      linkCount: 1,
      openCount: 0,
      durable: new ByteImage(entry.content),
      pending: [],
      pendingBytes: 0,
    });
  }

  /** The root, every live node, and everything reachable from them through durable entries. */
  private keptIdentities(): Set<number> {
    const kept = new Set<number>([ROOT_IDENTITY]);
    for (const record of this.records.values()) {
      if (record.linkCount > 0 || (record.kind === "file" && record.openCount > 0)) kept.add(record.identity);
    }
    const queue = [...kept];
    for (let head = 0; head < queue.length; head++) {
      const record = this.records.get(queue[head] as number);
      if (record?.kind !== "directory") continue;
      for (const identity of record.durableEntries.values()) {
        if (kept.has(identity)) continue;
        kept.add(identity);
        queue.push(identity);
      }
    }
    return kept;
  }
}
