/**
 * A deliberately naive model of etcd's MVCC store for model-based tests: a full
 * copy of the key map at every revision, leases as id -> TTL. Written from etcd's
 * documented semantics, independently of src/impl/etcd/mvcc.
 */

export interface ModelKv {
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease: number;
}

export type ModelError = "compacted" | "future-rev" | "lease-not-found" | "lease-exist";

export class MvccModel {
  revision = 1;
  compactRevision = 0;
  readonly states = new Map<number, ReadonlyMap<string, ModelKv>>([[1, new Map()]]);
  readonly leases = new Map<number, number>();

  current(): ReadonlyMap<string, ModelKv> {
    return this.states.get(this.revision) as ReadonlyMap<string, ModelKv>;
  }

  /** Keys of [key, end) (end undefined: the key alone; "\u0000": every key from `key`), live at `state`, sorted. */
  static select(state: ReadonlyMap<string, ModelKv>, key: string, end: string | undefined): string[] {
    return [...state.keys()]
      .filter((candidate) =>
        end === undefined ? candidate === key : candidate >= key && (end === "\u0000" || candidate < end),
      )
      .sort();
  }

  /** Commits `next` as the next revision. */
  commit(next: Map<string, ModelKv>): void {
    this.revision++;
    this.states.set(this.revision, next);
  }

  put(next: Map<string, ModelKv>, key: string, value: string, lease: number): ModelKv | undefined {
    const previous = next.get(key);
    next.set(key, {
      value,
      createRevision: previous?.createRevision ?? this.revision + 1,
      modRevision: this.revision + 1,
      version: (previous?.version ?? 0) + 1,
      lease,
    });
    return previous;
  }

  /** Whether etcd's compare holds: a value compare on no key fails; an absent key compares as zeroes. */
  holds(
    key: string,
    target: "value" | "version" | "create" | "mod" | "lease",
    result: "=" | "!=" | "<" | ">",
    operand: string | number,
  ): boolean {
    const kv = this.current().get(key);
    if (kv === undefined && target === "value") return false;
    const actual: string | number =
      target === "value"
        ? (kv as ModelKv).value
        : target === "version"
          ? (kv?.version ?? 0)
          : target === "create"
            ? (kv?.createRevision ?? 0)
            : target === "mod"
              ? (kv?.modRevision ?? 0)
              : (kv?.lease ?? 0);
    const order = actual < operand ? -1 : actual > operand ? 1 : 0;
    return result === "=" ? order === 0 : result === "!=" ? order !== 0 : result === "<" ? order < 0 : order > 0;
  }

  compact(revision: number): ModelError | undefined {
    if (revision <= this.compactRevision) return "compacted";
    if (revision > this.revision) return "future-rev";
    this.compactRevision = revision;
    for (const stored of [...this.states.keys()]) if (stored < revision) this.states.delete(stored);
    return undefined;
  }

  readAt(revision: number): ReadonlyMap<string, ModelKv> | ModelError {
    if (revision > this.revision) return "future-rev";
    if (revision !== 0 && revision < this.compactRevision) return "compacted";
    return this.states.get(revision === 0 ? this.revision : revision) as ReadonlyMap<string, ModelKv>;
  }
}
