/**
 * Broken parts of Gazette's brokers and fragment store that no scenario offers
 * (the scenarios' are in scenarios/gazette/variants/broker.ts), built from the
 * real ones through the seams their modules document: announce rules, key spaces,
 * resolvers, a Read server, cover sets, a store check and a persister. Never used
 * on the shipping path.
 */
import { DEFAULT_ANNOUNCE_RULES, type AnnounceRules } from "../../../src/impl/gazette/broker/announce.ts";
import { CoverSet, type CoverSetEntry } from "../../../src/impl/gazette/broker/fragment/cover-set.ts";
import { Persister } from "../../../src/impl/gazette/broker/fragment/persister.ts";
import type { VerifyContent } from "../../../src/impl/gazette/broker/fragment/store.ts";
import { decodeBrokerSpec, decodeJournalSpec, KeySpace } from "../../../src/impl/gazette/broker/keyspace.ts";
import { serveRead, type ServeRead } from "../../../src/impl/gazette/broker/read.ts";
import { Resolver } from "../../../src/impl/gazette/broker/resolver.ts";
import type { BrokerSpec } from "../../../src/impl/gazette/broker/types.ts";
import type { ErrCompacted } from "../../../src/impl/etcd/errors.ts";
import type { JournalSpec } from "../../../src/impl/gazette/protocol/journal-spec.ts";
import type { ReadResponse } from "../../../src/impl/gazette/protocol/messages.ts";

export const ANNOUNCE_BROKEN_VARIANTS = {
  "overwrite-existing":
    "puts the member key without the create-only compare: a live previous incarnation's key is taken over at once",
  "ignore-renewal-failures":
    "`lost` aborts only when etcd answers TTL 0, not when renewals fail for a whole TTL (a partitioned broker never learns it lost its lease)",
  "renew-after-loss":
    "renewals go on after `lost` aborted (a fresh keep-alive of the lease): those that get through later keep the stopped broker's member key alive, and its next incarnation waits on it forever",
} as const;
export type AnnounceBrokenVariant = keyof typeof ANNOUNCE_BROKEN_VARIANTS;

export const KEYSPACE_BROKEN_VARIANTS = {
  "accept-malformed":
    "values that parse are mirrored without their validate* check (an invalid JournalSpec or BrokerSpec enters the mirror)",
  "no-reload-on-compacted":
    "when the watch's next revision was compacted away, it resumes at the compaction revision without loading again (changes in between are lost)",
} as const;
export type KeySpaceBrokenVariant = keyof typeof KEYSPACE_BROKEN_VARIANTS;

export const RESOLVER_BROKEN_VARIANTS = {
  "ignore-proxy-header-revision":
    "resolves at the key space's current revision even when the request's Header names a later one (a stale route is acted on)",
} as const;
export type ResolverBrokenVariant = keyof typeof RESOLVER_BROKEN_VARIANTS;

export const READ_BROKEN_VARIANTS = {
  "no-jump-metadata":
    "serves content after an offset jump without first sending the metadata that announces the new offset (a silent skip)",
} as const;
export type ReadBrokenVariant = keyof typeof READ_BROKEN_VARIANTS;

export const COVER_SET_BROKEN_VARIANTS = {
  "keeps-covered": "adding a fragment does not remove the fragments it covers",
} as const;
export type CoverSetBrokenVariant = keyof typeof COVER_SET_BROKEN_VARIANTS;

export const STORE_BROKEN_VARIANTS = {
  "no-checksum": "put stores content without checking its length and SHA-1 against the fragment",
} as const;
export type StoreBrokenVariant = keyof typeof STORE_BROKEN_VARIANTS;

export const PERSISTER_BROKEN_VARIANTS = {
  "gives-up": "a spool whose first round of attempts fails is dropped instead of retried later",
} as const;
export type PersisterBrokenVariant = keyof typeof PERSISTER_BROKEN_VARIANTS;

/** The announce rules of each variant. */
export const ANNOUNCE_RULES: Record<AnnounceBrokenVariant, AnnounceRules> = {
  "overwrite-existing": { ...DEFAULT_ANNOUNCE_RULES, keyCompares: () => [] },
  "ignore-renewal-failures": { ...DEFAULT_ANNOUNCE_RULES, lostWithoutRenewals: false },
  "renew-after-loss": { ...DEFAULT_ANNOUNCE_RULES, afterLoss: (etcd, lease) => etcd.keepAlive(lease) },
};

/** The KeySpace of each variant. */
export const KEY_SPACES: Record<KeySpaceBrokenVariant, typeof KeySpace> = {
  "accept-malformed": class extends KeySpace {
    protected override decodeJournalSpec(value: Uint8Array): JournalSpec {
      return decodeJournalSpec(value, false);
    }

    protected override decodeBrokerSpec(value: Uint8Array): BrokerSpec {
      return decodeBrokerSpec(value, false);
    }
  },
  "no-reload-on-compacted": class extends KeySpace {
    protected override compacted(error: ErrCompacted): Promise<void> {
      this.revisionValue = Math.max(this.revisionValue, error.compactRevision - 1);
      return Promise.resolve();
    }
  },
};

/** The Resolver of each variant. */
export const RESOLVERS: Record<ResolverBrokenVariant, typeof Resolver> = {
  "ignore-proxy-header-revision": class extends Resolver {
    protected override revisionOf(): number {
      return 0;
    }
  },
};

/**
 * no-jump-metadata: the real serveRead, but the metadata response that announces
 * an offset jump within one Read (not its first response) is not sent.
 */
export const serveReadWithoutJumpMetadata: ServeRead = (request, send, options) => {
  let next: number | undefined;
  const filtered = (response: ReadResponse): Promise<void> => {
    const metadata = response.status === "OK" && response.content === undefined;
    const jumped = metadata && next !== undefined && response.offset > next;
    if (response.status === "OK")
      next = response.content === undefined ? response.offset : response.offset + response.content.length;
    return jumped ? Promise.resolve() : send(response);
  };
  return serveRead(request, filtered, options);
};

/** keeps-covered: adding a fragment does not remove the fragments it covers. */
export class KeepsCoveredSet<T extends CoverSetEntry> extends CoverSet<T> {
  protected override insert(entry: T, after: number): void {
    let at = after;
    while (
      at < this.entries.length &&
      (this.entries[at] as T).fragment.begin === entry.fragment.begin &&
      (this.entries[at] as T).fragment.end < entry.fragment.end
    )
      at++;
    this.entries.splice(at, 0, entry);
  }

  protected override empty(): CoverSet<T> {
    return new KeepsCoveredSet<T>();
  }
}

/** A cover set of a variant (the real one for none) holding `entries`, added in order. */
export function coverSetOf<T extends CoverSetEntry>(
  variant: CoverSetBrokenVariant | undefined,
  entries: Iterable<T> = [],
): CoverSet<T> {
  const set = variant === undefined ? new CoverSet<T>() : new KeepsCoveredSet<T>();
  for (const entry of entries) set.add(entry);
  return set;
}

/** no-checksum: the store keeps content without checking it against its fragment. */
export const NO_CHECKSUM: VerifyContent = () => {};

/** The Persister of each variant. */
export const PERSISTERS: Record<PersisterBrokenVariant, typeof Persister> = {
  "gives-up": class extends Persister {
    protected override retriesFailedRound(): boolean {
      return false;
    }
  },
};
