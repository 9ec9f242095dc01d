/**
 * KeyIndex: every key's versions in revision order (etcd's treeIndex and keyIndex
 * with the backend's values folded in), and the keys in bytewise order.
 *
 * A version is either a live KeyValue or a tombstone (the revision of a delete).
 * Reading at revision R sees, per key, the last version with modRevision <= R, and
 * the key is absent if that is a tombstone. Compacting at R keeps what a read at R
 * or later needs: for each key, the versions after R and the last one at or below
 * R unless it is a tombstone; a key with nothing left is forgotten.
 */
import { assert } from "../../../sim/assert.ts";
import type { KeySpan } from "../bytes.ts";
import type { KeyValue } from "../types.ts";

/** One version of a key: `kv` undefined is a tombstone (the key was deleted at `modRevision`). */
export interface StoredVersion {
  readonly modRevision: number;
  readonly kv: KeyValue | undefined;
}

/** The versions of every key (see the file's comment). Keys are binary strings (bytes.ts). */
export class KeyIndex {
  private readonly histories = new Map<string, StoredVersion[]>();
  /** Every key with a history, in bytewise order. */
  private sorted: string[] = [];

  /** The key's live value at `revision` (undefined: the latest), or undefined if absent then. */
  at(key: string, revision?: number): KeyValue | undefined {
    const versions = this.histories.get(key);
    if (versions === undefined) return undefined;
    if (revision === undefined) return versions[versions.length - 1]?.kv;
    let low = 0;
    let high = versions.length;
    // The first version with modRevision > revision; the one before it is visible at `revision`.
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((versions[middle] as StoredVersion).modRevision <= revision) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? undefined : versions[low - 1]?.kv;
  }

  /** The latest version of the key, tombstones included (undefined: no history). */
  lastVersion(key: string): StoredVersion | undefined {
    const versions = this.histories.get(key);
    return versions === undefined ? undefined : versions[versions.length - 1];
  }

  /** Keys with a history in `span`, in order (live or not: callers read them at a revision). */
  keysIn(span: KeySpan): string[] {
    if (span.single) return this.histories.has(span.start) ? [span.start] : [];
    const keys: string[] = [];
    for (let index = this.lowerBound(span.start); index < this.sorted.length; index++) {
      const key = this.sorted[index] as string;
      if (span.end !== undefined && key >= span.end) break;
      keys.push(key);
    }
    return keys;
  }

  /** Appends a version; revisions of one key strictly increase. */
  record(key: string, version: StoredVersion): void {
    const versions = this.histories.get(key);
    if (versions === undefined) {
      assert(version.kv !== undefined, "a key's first version is a put");
      this.histories.set(key, [version]);
      this.sorted.splice(this.lowerBound(key), 0, key);
      return;
    }
    const last = versions[versions.length - 1] as StoredVersion;
    assert(version.modRevision > last.modRevision, "a key changes at most once per revision, in revision order");
    versions.push(version);
  }

  /** Drops what no read at `revision` or later needs (see the file's comment). */
  compact(revision: number): void {
    const emptied: string[] = [];
    for (const [key, versions] of this.histories) {
      let firstKept = 0;
      while (firstKept + 1 < versions.length && (versions[firstKept + 1] as StoredVersion).modRevision <= revision)
        firstKept++;
      const kept = versions.slice(firstKept);
      const head = kept[0] as StoredVersion;
      if (head.modRevision <= revision && head.kv === undefined) kept.shift();
      if (kept.length === 0) emptied.push(key);
      else this.histories.set(key, kept);
    }
    for (const key of emptied) this.histories.delete(key);
    if (emptied.length > 0) this.sorted = this.sorted.filter((key) => this.histories.has(key));
  }

  /** Every key's versions, in key order (snapshots, digests). */
  entries(): Array<[string, readonly StoredVersion[]]> {
    return this.sorted.map((key) => [key, this.histories.get(key) as StoredVersion[]]);
  }

  /** Replaces everything with `entries` (already validated, keys in any order). */
  load(entries: ReadonlyArray<readonly [string, readonly StoredVersion[]]>): void {
    this.histories.clear();
    for (const [key, versions] of entries) {
      assert(versions.length > 0, "a key in the index has a version");
      this.histories.set(key, [...versions]);
    }
    this.sorted = [...this.histories.keys()].sort((first, second) => (first < second ? -1 : first > second ? 1 : 0));
  }

  get size(): number {
    return this.histories.size;
  }

  private lowerBound(key: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.sorted[middle] as string) < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
