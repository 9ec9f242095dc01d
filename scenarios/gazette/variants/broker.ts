/**
 * The broken variants of Gazette's brokers that a scenario offers, and the broken
 * parts that carry them, built from the real ones through the seams their modules
 * document: replicas whose append FSM or spool is a subclass, allocation and
 * List/Apply rules, fragment indexes that jump differently, a retention rule.
 * Every broker of a run gets the part of the run's variant through
 * BrokerOptions.parts (`brokerPartsOf`); a scenario offers the variants its
 * workload and faults exercise (`pickVariants`); the names are unique across the
 * parts. The broker properties import these parts (one copy); the variants no
 * scenario offers are in properties/gazette/_fixtures/broken-broker.ts. src/impl
 * never names a variant.
 */
import { DEFAULT_ALLOCATION_RULES, type AllocationRules } from "../../../src/impl/gazette/broker/allocator.ts";
import { AppendFsm } from "../../../src/impl/gazette/broker/append.ts";
import type { BrokerParts } from "../../../src/impl/gazette/broker/broker.ts";
import { FragmentIndex } from "../../../src/impl/gazette/broker/fragment/index.ts";
import type { ExpiredRule } from "../../../src/impl/gazette/broker/fragment/index-refresh.ts";
import { Spool, type SpoolOptions } from "../../../src/impl/gazette/broker/fragment/spool.ts";
import { memberIdKey } from "../../../src/impl/gazette/broker/keyspace.ts";
import { DEFAULT_LIST_APPLY_RULES, type ListApplyRules } from "../../../src/impl/gazette/broker/list-apply.ts";
import type { Pipeline, SyncResult } from "../../../src/impl/gazette/broker/pipeline.ts";
import { createReplica, JournalReplica, type ReplicaFactory } from "../../../src/impl/gazette/broker/replica.ts";
import type {
  AssignmentRecord,
  IndexedFragment,
  ReplicateRequest,
  Resolution,
} from "../../../src/impl/gazette/broker/types.ts";
import type { CoverSet } from "../../../src/impl/gazette/broker/fragment/cover-set.ts";
import { fragmentsEqual, type Fragment } from "../../../src/impl/gazette/protocol/fragment.ts";
import { copyLabelSet, subtractLabelSet, unionLabelSets } from "../../../src/impl/gazette/protocol/labels.ts";
import type { AppendRequest } from "../../../src/impl/gazette/protocol/messages.ts";

export const REPLICATION_BROKEN_VARIANTS = {
  "commit-before-peers-ack":
    "the primary commits to its own spool (and index) when it sends the commit, before peers acknowledge: a reader on the primary sees content a failed peer never got",
  "skip-sync-roll":
    "the primary ignores peers that answer a sync with a greater offset instead of rolling forward to it: it appends at offsets the journal already holds (peers refuse the commit)",
  "registers-on-mismatch": "a REGISTER_MISMATCH append still applies its register union and subtraction",
  "expose-unadopted":
    "peers expose a commit to readers (and the persister) as it arrives, as Gazette does, before the journal adopted it: a primary failing before every peer acknowledged leaves one peer serving content the journal later overwrites",
} as const;
export type ReplicationBrokenVariant = keyof typeof REPLICATION_BROKEN_VARIANTS;

export const SPOOL_BROKEN_VARIANTS = {
  "commit-ignores-sum":
    "a proposal of the right extent commits the delta whatever its SHA-1 sum (a replica diverging in content goes unnoticed)",
  "discard-keeps-sum":
    "discarding a pending commit restores the fragment but keeps the running SHA-1 of the discarded bytes (the next commit's sum is wrong)",
} as const;
export type SpoolBrokenVariant = keyof typeof SPOOL_BROKEN_VARIANTS;

export const INDEX_BROKEN_VARIANTS = {
  "jump-into-gap-at-once": "a query inside a gap skips to the next fragment at once, however young (no 6 h rule)",
  "no-jump-before-first": "a query below the first fragment waits instead of skipping to it",
  "jump-before-first-at-once":
    "a query below the first fragment skips to it at once, even to a local-only or just-persisted one (content in flight from another replica is skipped)",
  "drops-local-on-refresh": "ReplaceRemote drops every local fragment, persisted or not",
} as const;
export type IndexBrokenVariant = keyof typeof INDEX_BROKEN_VARIANTS;

export const INDEX_REFRESH_BROKEN_VARIANTS = {
  "retention-ignores-age": "retention removes every persisted fragment, however recent",
} as const;
export type IndexRefreshBrokenVariant = keyof typeof INDEX_REFRESH_BROKEN_VARIANTS;

export const ALLOCATOR_BROKEN_VARIANTS = {
  "replace-survivors":
    "when a journal's primary is gone, every assignment of the journal is dropped and fresh members are assigned (the survivors' data is thrown away)",
  "promote-newest":
    "when the primary is gone and a member is added in the same round, the added member (which holds no data yet) becomes primary instead of a survivor",
  "no-leader-election": "every member plans and commits, not only the one with the lowest createRevision",
} as const;
export type AllocatorBrokenVariant = keyof typeof ALLOCATOR_BROKEN_VARIANTS;

export const LIST_APPLY_BROKEN_VARIANTS = {
  "ignore-expect-mod-revision":
    "Apply puts and deletes without comparing the changes' expectModRevision (a concurrent change is overwritten)",
  "page-token-inclusive":
    "a List page starts at its token's journal instead of after it (the previous page's last journal repeats)",
} as const;
export type ListApplyBrokenVariant = keyof typeof LIST_APPLY_BROKEN_VARIANTS;

// --- Replication: the append FSM, the spool, the replica -------------------

/** The append FSM of each FSM variant. */
const APPEND_FSMS: Record<Exclude<ReplicationBrokenVariant, "expose-unadopted">, typeof AppendFsm> = {
  "commit-before-peers-ack": class extends AppendFsm {
    protected override scatterCommit(
      pipeline: Pipeline,
      commit: ReplicateRequest,
      answersLost: boolean,
    ): Promise<void> {
      return pipeline.scatter(commit, { answersLost });
    }
  },
  "skip-sync-roll": class extends AppendFsm {
    protected override gatherSync(pipeline: Pipeline, pendingLocal: boolean): Promise<SyncResult> {
      return pipeline.gatherSync({ pendingLocal, onPeerAhead: () => {} });
    }
  },
  "registers-on-mismatch": class extends AppendFsm {
    protected override refuseRegisterMismatch(): void {
      let registers = this.registers;
      if (this.request.subtractRegisters !== undefined)
        registers = subtractLabelSet(registers, this.request.subtractRegisters);
      if (this.request.unionRegisters !== undefined) registers = unionLabelSets(this.request.unionRegisters, registers);
      this.registers = registers;
      this.host.spool.registers = copyLabelSet(registers);
      super.refuseRegisterMismatch();
    }
  },
};

/** The spool of each spool variant. */
const SPOOLS: Record<SpoolBrokenVariant, typeof Spool> = {
  "commit-ignores-sum": class extends Spool {
    protected override extendsByDelta(proposal: Fragment): boolean {
      return fragmentsEqual({ ...this.next(), sum: proposal.sum }, proposal);
    }
  },
  "discard-keeps-sum": class extends Spool {
    protected override restoreSummer(): void {}
  },
};

/** The spool of a spool variant (the real one for none). */
export function spoolOf(variant: SpoolBrokenVariant | undefined): (options: SpoolOptions) => Spool {
  const Built = variant === undefined ? Spool : SPOOLS[variant];
  return (options) => new Built(options);
}

/** The replicas of a replication or spool variant (the real ones for none). */
export function replicaOf(variant: ReplicationBrokenVariant | SpoolBrokenVariant | undefined): ReplicaFactory {
  if (variant === undefined) return createReplica;
  if (variant === "expose-unadopted") {
    return (env, deps) =>
      new (class extends JournalReplica {
        protected override peerCommitsPending(): boolean {
          return false;
        }
      })(env, deps);
  }
  if (variant in SPOOLS) {
    const BrokenSpool = SPOOLS[variant as SpoolBrokenVariant];
    return (env, deps) =>
      new (class extends JournalReplica {
        protected override newSpool(options: SpoolOptions): Spool {
          return new BrokenSpool(options);
        }
      })(env, deps);
  }
  const Fsm = APPEND_FSMS[variant as keyof typeof APPEND_FSMS];
  return (env, deps) =>
    new (class extends JournalReplica {
      protected override newAppendFsm(request: AppendRequest, resolution: Resolution, signal: AbortSignal): AppendFsm {
        return new Fsm(this, request, resolution, signal);
      }
    })(env, deps);
}

// --- The fragment index and retention ---------------------------------------

/** The FragmentIndex of each index variant. */
export const FRAGMENT_INDEXES: Record<IndexBrokenVariant, typeof FragmentIndex> = {
  "jump-into-gap-at-once": class extends FragmentIndex {
    protected override jumpOverGapAtMs(): number {
      return -Infinity;
    }
  },
  "no-jump-before-first": class extends FragmentIndex {
    protected override jumpBeforeFirstAtMs(): undefined {
      return undefined;
    }
  },
  "jump-before-first-at-once": class extends FragmentIndex {
    protected override jumpBeforeFirstAtMs(): number {
      return -Infinity;
    }
  },
  "drops-local-on-refresh": class extends FragmentIndex {
    protected override localAfterRefresh(): CoverSet<IndexedFragment> {
      return this.newCoverSet();
    }
  },
};

/** retention-ignores-age: every persisted fragment is expired. */
export const EVERY_FRAGMENT_EXPIRED: ExpiredRule = () => true;

// --- The allocator and List/Apply -------------------------------------------

export const ALLOCATION_RULES: Record<AllocatorBrokenVariant, AllocationRules> = {
  "replace-survivors": {
    ...DEFAULT_ALLOCATION_RULES,
    survivors: (item, alive, remove) => {
      const primaryGone = alive.length > 0 && (alive[0] as AssignmentRecord).slot !== 0;
      if (!primaryGone) return DEFAULT_ALLOCATION_RULES.survivors(item, alive, remove);
      remove.push(...alive.map((assignment) => assignment.key));
      return { survivors: [], excluded: new Set(alive.map((assignment) => memberIdKey(assignment.member))) };
    },
  },
  "promote-newest": {
    ...DEFAULT_ALLOCATION_RULES,
    slotOrder: (survivors, added, promotion) =>
      promotion && added.length > 0 ? [...added, ...survivors] : [...survivors, ...added],
  },
  "no-leader-election": { ...DEFAULT_ALLOCATION_RULES, leads: () => true },
};

export const LIST_APPLY_RULES: Record<ListApplyBrokenVariant, ListApplyRules> = {
  "ignore-expect-mod-revision": { ...DEFAULT_LIST_APPLY_RULES, expectation: () => undefined },
  "page-token-inclusive": { ...DEFAULT_LIST_APPLY_RULES, follows: (name, token) => name >= token },
};

// --- A run's broker parts -----------------------------------------------------

/** Every broker variant a scenario may offer, by name, with what it breaks. */
export const GAZETTE_SERVER_VARIANTS: Readonly<Record<GazetteServerVariant, string>> = {
  ...REPLICATION_BROKEN_VARIANTS,
  ...SPOOL_BROKEN_VARIANTS,
  ...INDEX_BROKEN_VARIANTS,
  ...INDEX_REFRESH_BROKEN_VARIANTS,
  ...ALLOCATOR_BROKEN_VARIANTS,
  ...LIST_APPLY_BROKEN_VARIANTS,
};

export type GazetteServerVariant =
  | ReplicationBrokenVariant
  | SpoolBrokenVariant
  | IndexBrokenVariant
  | IndexRefreshBrokenVariant
  | AllocatorBrokenVariant
  | ListApplyBrokenVariant;

/** The brokers' parts for a run's variant (undefined when it is none of theirs). */
export function brokerPartsOf(variant: string | undefined): Partial<BrokerParts> | undefined {
  if (variant === undefined) return undefined;
  if (variant in REPLICATION_BROKEN_VARIANTS || variant in SPOOL_BROKEN_VARIANTS)
    return { replica: replicaOf(variant as ReplicationBrokenVariant | SpoolBrokenVariant) };
  if (variant in INDEX_BROKEN_VARIANTS) return { fragmentIndex: FRAGMENT_INDEXES[variant as IndexBrokenVariant] };
  if (variant in INDEX_REFRESH_BROKEN_VARIANTS) return { expired: EVERY_FRAGMENT_EXPIRED };
  if (variant in ALLOCATOR_BROKEN_VARIANTS) return { allocation: ALLOCATION_RULES[variant as AllocatorBrokenVariant] };
  if (variant in LIST_APPLY_BROKEN_VARIANTS) return { listApply: LIST_APPLY_RULES[variant as ListApplyBrokenVariant] };
  return undefined;
}

/** The named server variants, with their descriptions, for a scenario's `variants`. */
export function pickVariants(names: readonly GazetteServerVariant[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, GAZETTE_SERVER_VARIANTS[name]]));
}
