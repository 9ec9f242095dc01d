/**
 * The writes a file received since its last sync, in order, and what a crash may keep of them.
 *
 * Faults injected: torn writes. At a crash a file normally returns to its durable
 * content; with torn writes it may keep a prefix of its pending writes, applied in
 * order, the last one possibly cut at a 512-byte sector boundary. Nothing else survives.
 */
import { assert } from "../assert.ts";
import type { ByteImage } from "./byte-image.ts";
import type { Random } from "../random.ts";

/** The unit a torn write is cut at. */
export const SECTOR_SIZE_BYTES = 512;

/** Pending writes kept per file before the oldest are folded into one image (a limit on memory). */
export const MAXIMUM_PENDING_WRITES_PER_FILE = 1024;

/** Pending bytes kept per file before the oldest writes are folded into one image. */
export const MAXIMUM_PENDING_BYTES_PER_FILE = 8 * 1024 * 1024;

/**
 * One change to a file's data since its last sync. An `image` is several folded writes:
 * the whole content after them; a crash keeps it whole or not at all.
 */
export type PendingWrite =
  | { readonly kind: "write"; readonly position: number; readonly data: Uint8Array }
  | { readonly kind: "truncate"; readonly length: number }
  | { readonly kind: "image"; readonly content: Uint8Array };

/** The memory a pending write holds. */
export function pendingWriteBytes(write: PendingWrite): number {
  switch (write.kind) {
    case "write":
      return write.data.length;
    case "truncate":
      return 0;
    case "image":
      return write.content.length;
  }
}

/** Applies `write` to `image`; for a `write`, only its first `keptBytes` bytes (all by default). */
export function applyPendingWrite(image: ByteImage, write: PendingWrite, keptBytes?: number): void {
  switch (write.kind) {
    case "write": {
      const kept = keptBytes ?? write.data.length;
      assert(kept >= 0 && kept <= write.data.length, `applyPendingWrite: kept ${kept} of ${write.data.length}`);
      image.write(write.position, write.data.subarray(0, kept));
      return;
    }
    case "truncate":
      image.truncate(write.length);
      return;
    case "image":
      image.replace(write.content);
      return;
  }
}

/**
 * The lengths at which a crash may cut `write`: every sector boundary strictly inside
 * the written range, as a number of leading bytes kept. Empty for truncates and images.
 */
export function sectorCutLengths(write: PendingWrite): number[] {
  if (write.kind !== "write") return [];
  const start = write.position;
  const end = write.position + write.data.length;
  const cuts: number[] = [];
  const firstBoundary = (Math.floor(start / SECTOR_SIZE_BYTES) + 1) * SECTOR_SIZE_BYTES;
  for (let boundary = firstBoundary; boundary < end; boundary += SECTOR_SIZE_BYTES) cuts.push(boundary - start);
  return cuts;
}

/**
 * What a torn crash leaves of a file: a copy of `durable` with a random prefix of
 * `writes` applied in order, the last applied one cut at a sector boundary half of
 * the time when it spans one. Draws only from `random`.
 */
export function tornContent(durable: ByteImage, writes: readonly PendingWrite[], random: Random): Uint8Array {
  const image = durable.clone();
  const appliedCount = random.int(0, writes.length);
  for (let index = 0; index < appliedCount; index++) {
    const write = writes[index] as PendingWrite;
    const isLast = index === appliedCount - 1;
    const cuts = isLast ? sectorCutLengths(write) : [];
    const keptBytes = cuts.length > 0 && random.bool(0.5) ? random.pick(cuts) : undefined;
    applyPendingWrite(image, write, keptBytes);
  }
  return image.bytes();
}

/**
 * Folds the oldest half of `writes` into one image (the content after them, starting
 * from `durable`), so that pending writes stay within their limits. Returns the new list.
 */
export function foldOldestPendingWrites(durable: ByteImage, writes: readonly PendingWrite[]): PendingWrite[] {
  assert(writes.length >= 2, "foldOldestPendingWrites: nothing to fold");
  const foldedCount = Math.ceil(writes.length / 2);
  const image = durable.clone();
  for (const write of writes.slice(0, foldedCount)) applyPendingWrite(image, write);
  return [{ kind: "image", content: image.bytes() }, ...writes.slice(foldedCount)];
}
