/**
 * Random disk faults: which are enabled, the draws that decide each one, and counts.
 *
 * Faults injected: EIO on read, on write (and truncate) and on sync (file or
 * directory); silent corruption on read (one byte of the returned copy flipped,
 * never the stored data); lost writes (reported as success, not applied); torn
 * writes at a crash (pending-writes.ts). ENOSPC comes from space accounting
 * (disk-state.ts) and is only counted here.
 *
 * Every decision draws from its own named fork of the disk's Random, so enabling
 * one fault shifts no other fault's draws, and a probability of 0 draws nothing.
 */
import { DiskError } from "../env.ts";
import type { Random } from "../random.ts";

/** Probabilities, each in [0, 1], per operation (per file with pending writes for torn writes). */
export interface DiskFaults {
  /** EIO on read and readFile; the stored data is unchanged. */
  readErrorProbability: number;
  /** EIO on write, writeFile and truncate; nothing is applied. */
  writeErrorProbability: number;
  /** EIO on sync and syncDirectory; nothing becomes durable (a later sync may succeed). */
  syncErrorProbability: number;
  /** A read returns its data with one byte flipped; the stored data is unchanged. */
  readCorruptionProbability: number;
  /** A write or writeFile reports success and changes nothing. */
  lostWriteProbability: number;
  /** At a crash, a file keeps a torn prefix of its unsynced writes instead of losing them all. */
  tornWriteProbability: number;
}

/** Every fault disabled. */
export const NO_DISK_FAULTS: Readonly<DiskFaults> = Object.freeze({
  readErrorProbability: 0,
  writeErrorProbability: 0,
  syncErrorProbability: 0,
  readCorruptionProbability: 0,
  lostWriteProbability: 0,
  tornWriteProbability: 0,
});

/** How many faults of each kind were injected. */
export interface DiskFaultCounts {
  readErrors: number;
  writeErrors: number;
  syncErrors: number;
  noSpaceErrors: number;
  readCorruptions: number;
  lostWrites: number;
  /** Files that kept a torn prefix at a crash. */
  tornWrites: number;
}

/** The kind of I/O an EIO can hit. */
export type DiskIoKind = "read" | "write" | "sync";

/** Records a structured, deterministic trace event. */
export type DiskTrace = (kind: string, fields: Record<string, unknown>) => void;

const ERROR_PROBABILITY: Record<DiskIoKind, keyof DiskFaults> = {
  read: "readErrorProbability",
  write: "writeErrorProbability",
  sync: "syncErrorProbability",
};
const ERROR_COUNT: Record<DiskIoKind, keyof DiskFaultCounts> = {
  read: "readErrors",
  write: "writeErrors",
  sync: "syncErrors",
};

export class DiskFaultInjector {
  private config: DiskFaults = { ...NO_DISK_FAULTS };
  private readonly counts: DiskFaultCounts = {
    readErrors: 0,
    writeErrors: 0,
    syncErrors: 0,
    noSpaceErrors: 0,
    readCorruptions: 0,
    lostWrites: 0,
    tornWrites: 0,
  };
  private readonly errorStreams: Record<DiskIoKind, Random>;
  private readonly corruptionStream: Random;
  private readonly lostWriteStream: Random;

  constructor(
    random: Random,
    private readonly trace: DiskTrace,
  ) {
    this.errorStreams = {
      read: random.fork("read-error"),
      write: random.fork("write-error"),
      sync: random.fork("sync-error"),
    };
    this.corruptionStream = random.fork("read-corruption");
    this.lostWriteStream = random.fork("lost-write");
  }

  /** The current probabilities (a copy). */
  get faults(): Readonly<DiskFaults> {
    return { ...this.config };
  }

  /** Changes the given probabilities; the others keep their value. Throws RangeError outside [0, 1]. */
  set(faults: Partial<DiskFaults>): void {
    const next = { ...this.config };
    for (const key of Object.keys(NO_DISK_FAULTS) as (keyof DiskFaults)[]) {
      const value = faults[key];
      if (value === undefined) continue;
      if (!(value >= 0 && value <= 1))
        throw new RangeError(`disk fault ${key} must be a probability in [0, 1], got ${value}`);
      next[key] = value;
    }
    this.config = next;
  }

  /** Disables every fault. */
  clear(): void {
    this.config = { ...NO_DISK_FAULTS };
  }

  /** Injected faults so far (a copy). */
  injected(): DiskFaultCounts {
    return { ...this.counts };
  }

  /** Throws DiskError EIO with the configured probability for `kind`. */
  maybeFail(kind: DiskIoKind, operation: string, path: string): void {
    if (!this.errorStreams[kind].bool(this.config[ERROR_PROBABILITY[kind]])) return;
    this.counts[ERROR_COUNT[kind]]++;
    this.trace("disk.fault", { fault: `${kind}-error`, operation, path });
    throw new DiskError("EIO", operation, path, "injected I/O error");
  }

  /** True (and counted) when this write is to be lost. */
  loseWrite(operation: string, path: string): boolean {
    if (!this.lostWriteStream.bool(this.config.lostWriteProbability)) return false;
    this.counts.lostWrites++;
    this.trace("disk.fault", { fault: "lost-write", operation, path });
    return true;
  }

  /** `data` itself, or with the configured probability a copy with one byte flipped. */
  maybeCorrupt(operation: string, path: string, data: Uint8Array): Uint8Array {
    if (data.length === 0 || !this.corruptionStream.bool(this.config.readCorruptionProbability)) return data;
    const offset = this.corruptionStream.int(0, data.length - 1);
    const mask = this.corruptionStream.int(1, 255);
    const corrupted = data.slice();
    corrupted[offset] = (corrupted[offset] as number) ^ mask;
    this.counts.readCorruptions++;
    this.trace("disk.fault", { fault: "read-corruption", operation, path, offset });
    return corrupted;
  }

  /** Counts an ENOSPC that space accounting produced. */
  noteNoSpace(operation: string, path: string): void {
    this.counts.noSpaceErrors++;
    this.trace("disk.fault", { fault: "no-space", operation, path });
  }

  /** Counts files that kept a torn prefix at a crash. */
  noteTornWrites(files: number): void {
    this.counts.tornWrites += files;
  }
}
