/**
 * The broken variants of etcd, built from the real parts through their seams: a
 * member's store, lessor or ReadIndex is a subclass that breaks one rule (built
 * through EtcdServerOptions.parts), a client's watch resumes from the wrong
 * revision (EtcdClientOptions.watchResume). The shipping code knows none of them;
 * etcd-kv and etcd-leases offer them (`--variant <name>`), and the properties
 * select them here too (`withVariant`, `createStore`): this is the one copy.
 */
import {
  Lessor,
  MvccStore,
  ReadIndex,
  fromBinary,
  type EtcdClientOptions,
  type EtcdServerOptions,
  type EtcdServerParts,
  type HeaderOf,
  type KeyValue,
  type WatchResume,
} from "../../src/impl/etcd/index.ts";
import { ErrNotLeader } from "../../src/impl/raft/index.ts";

/** Deliberately broken members: each names what it breaks (the lessor's and the store's are theirs too). */
export const SERVER_BROKEN_VARIANTS = {
  "local-reads":
    "the leader serves range reads from its local replica without confirming leadership (no ReadIndex): a deposed leader serves stale reads",
  "no-lease-promote":
    "a new leader keeps the lease expiries its replica noted when it applied the grants instead of refreshing them (no promote): kept-alive leases expire on failover",
  "version-not-reset-on-delete": "a key put again after a delete continues its old version count",
  "revoke-key-by-key": "revoking a lease deletes its keys one revision each instead of all at one revision",
} as const;
export type ServerBrokenVariant = keyof typeof SERVER_BROKEN_VARIANTS;

/** Deliberately broken lessors. */
export const LESSOR_BROKEN_VARIANTS = {
  "no-lease-promote":
    "every member tracks expiries from when it applied the grant, and a new leader keeps them instead of refreshing (etcd without promote): a failover expires leases that were kept alive",
} as const;
export type LessorBrokenVariant = keyof typeof LESSOR_BROKEN_VARIANTS;

/** Deliberately broken stores. */
export const STORE_BROKEN_VARIANTS = {
  "version-not-reset-on-delete":
    "a key put again after a delete continues its old version count instead of starting at 1",
  "revoke-key-by-key": "revoking a lease deletes its keys one revision each instead of all at one revision",
} as const;
export type StoreBrokenVariant = keyof typeof STORE_BROKEN_VARIANTS;

/** Deliberately broken watch resumes. */
export const WATCH_BROKEN_VARIANTS = {
  "resume-from-last":
    "after a failure the watch resumes from the last delivered revision instead of the one after it (a revision repeats)",
  "resume-from-current":
    "after a failure the watch resumes from the store's current revision + 1 (revisions committed meanwhile are skipped)",
} as const;
export type WatchBrokenVariant = keyof typeof WATCH_BROKEN_VARIANTS;

/** A variant of etcd that `withVariant` selects: a member's or a client's watch. */
export type EtcdVariant = ServerBrokenVariant | WatchBrokenVariant;

/** "version-not-reset-on-delete": a key put again after a delete continues from its last live version. */
class VersionNotResetStore extends MvccStore {
  protected override versionOfPut(key: string, previous: KeyValue | undefined): number {
    if (previous === undefined && this.index.lastVersion(key) !== undefined) return this.lastLiveVersion(key) + 1;
    return super.versionOfPut(key, previous);
  }

  /** The version of the key's last live value. */
  private lastLiveVersion(key: string): number {
    for (let revision = this.revision; revision >= 1; revision--) {
      const kv = this.index.at(key, revision);
      if (kv !== undefined) return kv.version;
    }
    return 0;
  }
}

/** The header of the deletes' responses, which nobody reads. */
const NO_HEADER: HeaderOf = (revision) => ({ clusterId: 0, memberId: 0, revision, raftTerm: 0 });

/** "revoke-key-by-key": a revoke deletes the lease's keys one revision each, then revokes a lease with none. */
class RevokeKeyByKeyStore extends MvccStore {
  override leaseRevoke(id: number): ReturnType<MvccStore["leaseRevoke"]> {
    const lease = this.lease(id);
    if (lease !== undefined)
      for (const key of [...lease.keys].sort()) this.deleteRange({ key: fromBinary(key) }, NO_HEADER);
    return super.leaseRevoke(id);
  }
}

/** "no-lease-promote": every member notes expiries when it applies a grant, and keeps them across a promotion. */
class NoLeasePromoteLessor extends Lessor {
  protected override tracksExpiries(): boolean {
    return true;
  }

  protected override forgetExpiries(): void {}
}

/** "local-reads": the leader reads its local replica as soon as it believes it leads. */
class LocalReadIndex extends ReadIndex {
  override async confirm(): Promise<void> {
    if (this.node.state() !== "Leader") throw new ErrNotLeader(this.node.leader());
  }
}

/** Each member variant's parts. */
const PARTS_OF_VARIANT: Readonly<Record<ServerBrokenVariant, EtcdServerParts>> = {
  "local-reads": { createReadIndex: (node) => new LocalReadIndex(node) },
  "no-lease-promote": { createLessor: (...args) => new NoLeasePromoteLessor(...args) },
  "version-not-reset-on-delete": { createStore: () => new VersionNotResetStore() },
  "revoke-key-by-key": { createStore: () => new RevokeKeyByKeyStore() },
};

/** Each watch variant's resume. */
const RESUME_OF_VARIANT: Readonly<Record<WatchBrokenVariant, WatchResume>> = {
  "resume-from-last": { startRevision: (owed, lastDelivered) => (lastDelivered > 0 ? lastDelivered : owed) },
  "resume-from-current": { startRevision: (owed, _lastDelivered, stream) => (stream > 1 ? 0 : owed) },
};

/** A store, broken as `variant` says (the shipping one when undefined): for properties of the store alone. */
export function createStore(variant?: StoreBrokenVariant): MvccStore {
  if (variant === undefined) return new MvccStore();
  const create = PARTS_OF_VARIANT[variant].createStore;
  if (create === undefined) throw new Error(`${String(variant)} is not a broken variant of the MVCC store`);
  return create();
}

/** What `withVariant` sets: a member's parts, or a client's watch resume. */
export type VariantParts = Pick<EtcdServerOptions, "parts"> & Pick<EtcdClientOptions, "watchResume">;

/**
 * `options` with the broken part of `variant` in place, or as they are when
 * `variant` is undefined: the one way to select an etcd variant. A member variant
 * needs a member's options (it sets `parts`), a watch variant a client's (`watchResume`).
 */
export function withVariant<T extends object>(options: T, variant: EtcdVariant | undefined): T & VariantParts {
  if (variant === undefined) return options;
  if (variant in RESUME_OF_VARIANT)
    return { ...options, watchResume: RESUME_OF_VARIANT[variant as WatchBrokenVariant] };
  const parts = PARTS_OF_VARIANT[variant as ServerBrokenVariant];
  if (parts === undefined) throw new Error(`${String(variant)} is not a broken variant of etcd`);
  return { ...options, parts };
}
