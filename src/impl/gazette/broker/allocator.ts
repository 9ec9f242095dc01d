/**
 * The allocator: assigns each journal to `replication` live brokers, slot 0 the
 * primary (a simplified Gazette allocator that keeps its safety rules).
 *
 * planAssignments is pure: from the journal specs, the live members and the
 * current assignments it computes the changes of one round, deterministically.
 * Its rules, per journal (in name order):
 * - assignments of journals that no longer exist, and of members that are gone
 *   (their lease expired), are removed;
 * - a live member's assignment is never removed while the journal has no more
 *   than `replication` live assignments; beyond that (replication decreased) the
 *   excess goes, highest slot first (slot 0 never);
 * - the survivors keep their order and are renumbered compactly from slot 0: when
 *   the slot-0 member is gone, the surviving assignment with the lowest slot is
 *   promoted (its data is in sync with the old primary: Gazette's "consistent"
 *   assignment), never a member added in this round;
 * - members are added up to `replication`, after the survivors, choosing live
 *   members with room under their journalLimit, preferring zones the journal is
 *   not in yet, then the least loaded, then (zone, suffix) order. A journal with
 *   no live member left gets new members (its data then comes from the fragment
 *   store), the first one primary.
 * Once a plan is applied, planning again yields nothing (the plan is a fixpoint):
 * nothing changes unless something changed.
 *
 * runAllocator runs the plan: only the allocator leader (the live member with the
 * lowest createRevision) plans. On each key space change it applies the plan with
 * ONE etcd txn whose compares check the modRevision of every key it read or
 * changes (the journal's spec, each of its assignments, each member it adds to
 * or re-slots, and its own member key: a deposed leader's txn fails). A journal's
 * changes are always in one txn; when they do not all fit in etcd's 128 compares
 * or ops, the txn takes whole journals up to the limit and the next round does
 * the rest. On a failed compare it waits for the next revision and plans again.
 * Assignments are put under the assignee's lease, as in Gazette, so a member's
 * assignments vanish with its member key.
 */
import type { Env } from "../../../sim/env.ts";
import type { EtcdClient } from "../../etcd/client/client.ts";
import { Compares, Ops } from "../../etcd/client/txn-builder.ts";
import { EtcdError } from "../../etcd/errors.ts";
import { MAX_TXN_OPS } from "../../etcd/mvcc/check.ts";
import type { Compare, RequestOp, TxnRequest } from "../../etcd/types.ts";
import type { Journal } from "../protocol/journal-spec.ts";
import { processSpecIdLess, type ProcessSpecId } from "../protocol/route.ts";
import {
  assignmentKey,
  compareAssignments,
  encodeAssignment,
  itemKey,
  KEYSPACE_ROOT_DEFAULT,
  memberIdKey,
  type KeySpace,
} from "./keyspace.ts";
import { BROKER_JOURNAL_LIMIT_DEFAULT, type AssignmentRecord, type ItemRecord, type MemberRecord } from "./types.ts";

export const ALLOCATOR_PROBES = {
  "gazette.allocator.primary-promoted":
    "a journal's slot-0 member was gone: a surviving assignment was promoted to primary",
  "gazette.allocator.txn-conflict":
    "the allocator's txn failed its compares (its view was stale): it waits for the next revision",
  "gazette.allocator.txn-split":
    "a round's changes did not fit in one txn (128 compares or ops): whole journals went in, the rest waits for the next round",
} as const;

/** How long the allocator waits before planning again after an etcd error (ms). */
export const ALLOCATOR_RETRY_MS = 500;

export interface PlanInput {
  /** Default KEYSPACE_ROOT_DEFAULT. */
  readonly root?: string;
  readonly items: readonly ItemRecord[];
  /** The live members. */
  readonly members: readonly MemberRecord[];
  readonly assignments: readonly AssignmentRecord[];
}

/** One assignment to put: created (modRevision 0) or re-slotted (the existing key's modRevision). */
export interface PlannedAssignment {
  readonly journal: Journal;
  readonly member: ProcessSpecId;
  readonly slot: number;
  readonly key: string;
  readonly modRevision: number;
}

export interface AssignmentPlan {
  readonly put: PlannedAssignment[];
  /** Keys of assignments to delete. */
  readonly remove: string[];
}

/**
 * The allocator's decisions, a seam for test fixtures (DEFAULT_ALLOCATION_RULES
 * are Gazette's): who plans, which assignments of a journal survive, and the
 * slot order of survivors and added members.
 */
export interface AllocationRules {
  /** Whether `self` plans this round: Gazette's allocator leader, the member with the lowest createRevision. */
  leads(self: MemberRecord, members: readonly MemberRecord[]): boolean;
  /**
   * The journal's live assignments to keep, in slot order (those to drop go to `remove`), and members not to add back
   * this round.
   */
  survivors(
    item: ItemRecord,
    alive: readonly AssignmentRecord[],
    remove: string[],
  ): { survivors: AssignmentRecord[]; excluded: ReadonlySet<string> };
  /**
   * The journal's members in slot order: survivors first (the lowest-slot one promoted when `promotion`), then added
   * members.
   */
  slotOrder<T>(survivors: readonly T[], added: readonly T[], promotion: boolean): T[];
}

export const DEFAULT_ALLOCATION_RULES: AllocationRules = {
  leads: (self, members) => allocatorLeader(members)?.key === self.key,
  survivors: (item, alive, remove) => {
    const replication = item.spec.replication;
    // Excess beyond replication: the highest slots go (alive is in slot order, so slot 0, or the lowest, stays).
    for (const assignment of alive.slice(replication)) remove.push(assignment.key);
    return { survivors: alive.slice(0, replication), excluded: new Set() };
  },
  slotOrder: (survivors, added) => [...survivors, ...added],
};

/** A member's journal limit (0: the default). */
export function journalLimitOf(member: MemberRecord): number {
  return member.spec.journalLimit === 0 ? BROKER_JOURNAL_LIMIT_DEFAULT : member.spec.journalLimit;
}

function compareIds(first: ProcessSpecId, second: ProcessSpecId): number {
  if (processSpecIdLess(first, second)) return -1;
  return processSpecIdLess(second, first) ? 1 : 0;
}

interface JournalPlan {
  readonly item: ItemRecord;
  /** Live assignments kept, in (slot, member) order. */
  readonly survivors: AssignmentRecord[];
  /** Members not to add back this round (AllocationRules.survivors). */
  readonly excluded: ReadonlySet<string>;
}

/** The changes of one round (see the file's comment). Pure and deterministic. */
export function planAssignments(input: PlanInput, rules: AllocationRules = DEFAULT_ALLOCATION_RULES): AssignmentPlan {
  const root = input.root ?? KEYSPACE_ROOT_DEFAULT;
  const live = new Map(input.members.map((member) => [memberIdKey(member.spec.id), member]));
  const byJournal = new Map<Journal, AssignmentRecord[]>();
  for (const assignment of input.assignments) {
    const list = byJournal.get(assignment.journal) ?? [];
    list.push(assignment);
    byJournal.set(assignment.journal, list);
  }
  const items = [...input.items].sort((first, second) =>
    first.spec.name < second.spec.name ? -1 : first.spec.name > second.spec.name ? 1 : 0,
  );
  const itemNames = new Set(items.map((item) => item.spec.name));
  const remove: string[] = [];
  for (const [journal, assignments] of [...byJournal].sort(([first], [second]) => (first < second ? -1 : 1))) {
    if (!itemNames.has(journal))
      remove.push(...assignments.sort(compareAssignments).map((assignment) => assignment.key));
  }
  const plans = items.map((item) =>
    survivorsOf(item, [...(byJournal.get(item.spec.name) ?? [])].sort(compareAssignments), live, rules, remove),
  );
  const load = new Map<string, number>();
  for (const plan of plans)
    for (const survivor of plan.survivors)
      load.set(memberIdKey(survivor.member), (load.get(memberIdKey(survivor.member)) ?? 0) + 1);
  const members = [...input.members].sort((first, second) => compareIds(first.spec.id, second.spec.id));
  const put: PlannedAssignment[] = [];
  for (const plan of plans) {
    const added = addMembers(plan, members, load);
    const promotion = plan.survivors.length > 0 && (plan.survivors[0] as AssignmentRecord).slot !== 0;
    const survivors = plan.survivors.map((assignment) => ({
      member: assignment.member,
      existing: assignment as AssignmentRecord | undefined,
    }));
    const fresh = added.map((member) => ({
      member: member.spec.id,
      existing: undefined as AssignmentRecord | undefined,
    }));
    const ordered = rules.slotOrder(survivors, fresh, promotion);
    ordered.forEach((entry, slot) => {
      if (entry.existing !== undefined && entry.existing.slot === slot) return;
      const journal = plan.item.spec.name;
      put.push({
        journal,
        member: { ...entry.member },
        slot,
        key: assignmentKey(root, journal, entry.member),
        modRevision: entry.existing?.modRevision ?? 0,
      });
    });
  }
  return { put, remove };
}

/** The journal's live assignments to keep (dead and excess ones go to `remove`). */
function survivorsOf(
  item: ItemRecord,
  current: AssignmentRecord[],
  live: ReadonlyMap<string, MemberRecord>,
  rules: AllocationRules,
  remove: string[],
): JournalPlan {
  const alive = current.filter((assignment) => live.has(memberIdKey(assignment.member)));
  for (const assignment of current) if (!live.has(memberIdKey(assignment.member))) remove.push(assignment.key);
  return { item, ...rules.survivors(item, alive, remove) };
}

/** Members to add to reach replication (see the file's comment); updates `load`. */
function addMembers(plan: JournalPlan, members: readonly MemberRecord[], load: Map<string, number>): MemberRecord[] {
  const need = plan.item.spec.replication - plan.survivors.length;
  const used = new Set([...plan.survivors.map((assignment) => memberIdKey(assignment.member)), ...plan.excluded]);
  const zones = new Set(plan.survivors.map((assignment) => assignment.member.zone));
  const added: MemberRecord[] = [];
  for (let index = 0; index < need; index++) {
    let best: MemberRecord | undefined;
    let bestScore: [number, number] = [Infinity, Infinity];
    for (const member of members) {
      const id = memberIdKey(member.spec.id);
      const count = load.get(id) ?? 0;
      if (used.has(id) || count >= journalLimitOf(member)) continue;
      const score: [number, number] = [zones.has(member.spec.id.zone) ? 1 : 0, count];
      // Members are in (zone, suffix) order: the first of equal scores wins.
      if (score[0] < bestScore[0] || (score[0] === bestScore[0] && score[1] < bestScore[1]))
        [best, bestScore] = [member, score];
    }
    if (best === undefined) break;
    const id = memberIdKey(best.spec.id);
    added.push(best);
    used.add(id);
    zones.add(best.spec.id.zone);
    load.set(id, (load.get(id) ?? 0) + 1);
  }
  return added;
}

/** True if the plan changes nothing. */
export function planIsEmpty(plan: AssignmentPlan): boolean {
  return plan.put.length === 0 && plan.remove.length === 0;
}

/** The allocator leader: the live member with the lowest createRevision (ties: by key). */
export function allocatorLeader(members: readonly MemberRecord[]): MemberRecord | undefined {
  let leader: MemberRecord | undefined;
  for (const member of members) {
    if (
      leader === undefined ||
      member.createRevision < leader.createRevision ||
      (member.createRevision === leader.createRevision && member.key < leader.key)
    )
      leader = member;
  }
  return leader;
}

// ---------------------------------------------------------------------------
// The txn of a round

interface TxnUnit {
  readonly journal: Journal;
  readonly compares: Map<string, Compare>;
  readonly ops: RequestOp[];
}

export interface AllocatorTxn {
  readonly request: TxnRequest;
  /** Journals whose changes the txn carries. */
  readonly journals: Journal[];
  /** Journals left for a later round (they did not fit). */
  readonly deferred: Journal[];
}

/**
 * The txn applying `plan` (whole journals, within MAX_TXN_OPS compares and ops),
 * guarded by `self`'s member key and the modRevision of every key read or changed.
 */
export function buildAllocatorTxn(
  root: string,
  plan: AssignmentPlan,
  input: PlanInput,
  self: MemberRecord,
): AllocatorTxn {
  const units = planUnits(root, plan, input);
  const compares = new Map<string, Compare>([
    [`mod:${self.key}`, Compares.modRevision(self.key, "=", self.modRevision)],
  ]);
  const ops: RequestOp[] = [];
  const journals: Journal[] = [];
  const deferred: Journal[] = [];
  for (const unit of units) {
    const newCompares = [...unit.compares].filter(([name]) => !compares.has(name));
    if (compares.size + newCompares.length > MAX_TXN_OPS || ops.length + unit.ops.length > MAX_TXN_OPS) {
      deferred.push(unit.journal);
      continue;
    }
    for (const [name, compare] of newCompares) compares.set(name, compare);
    ops.push(...unit.ops);
    journals.push(unit.journal);
  }
  return { request: { compare: [...compares.values()], success: ops, failure: [] }, journals, deferred };
}

/** Keys a removal-only unit takes at most (when a journal's whole unit cannot fit in one txn). */
const REMOVALS_PER_UNIT_MAX = 100;

/**
 * One unit per journal: its compares and ops, which must commit together. A unit
 * too large for any txn (a journal with more than ~120 assignments) is replaced
 * by removal-only units (each safe alone); its puts wait for a later round.
 */
function planUnits(root: string, plan: AssignmentPlan, input: PlanInput): TxnUnit[] {
  const byKey = new Map(input.assignments.map((assignment) => [assignment.key, assignment]));
  const byJournal = new Map<Journal, AssignmentRecord[]>();
  for (const assignment of input.assignments)
    byJournal.set(assignment.journal, [...(byJournal.get(assignment.journal) ?? []), assignment]);
  const items = new Map(input.items.map((item) => [item.spec.name, item]));
  const members = new Map(input.members.map((member) => [memberIdKey(member.spec.id), member]));
  const itemCompare = (journal: Journal): [string, Compare] => {
    const item = items.get(journal);
    const key = itemKey(root, journal);
    // The spec unchanged (replication may have grown), or for a deleted journal: still gone.
    return [
      `mod:${key}`,
      item === undefined ? Compares.createRevision(key, "=", 0) : Compares.modRevision(key, "=", item.modRevision),
    ];
  };
  const removals = new Map<Journal, AssignmentRecord[]>();
  const units = new Map<Journal, TxnUnit>();
  const unitOf = (journal: Journal): TxnUnit => {
    let unit = units.get(journal);
    if (unit !== undefined) return unit;
    unit = { journal, compares: new Map([itemCompare(journal)]), ops: [] };
    for (const assignment of byJournal.get(journal) ?? [])
      unit.compares.set(`mod:${assignment.key}`, Compares.modRevision(assignment.key, "=", assignment.modRevision));
    units.set(journal, unit);
    return unit;
  };
  for (const key of plan.remove) {
    const assignment = byKey.get(key);
    if (assignment === undefined) continue;
    unitOf(assignment.journal).ops.push(Ops.delete(key));
    removals.set(assignment.journal, [...(removals.get(assignment.journal) ?? []), assignment]);
  }
  for (const planned of plan.put) {
    const unit = unitOf(planned.journal);
    const member = members.get(memberIdKey(planned.member));
    if (member === undefined) continue;
    unit.compares.set(`mod:${planned.key}`, Compares.modRevision(planned.key, "=", planned.modRevision));
    unit.compares.set(`mod:${member.key}`, Compares.modRevision(member.key, "=", member.modRevision));
    unit.ops.push(Ops.put(planned.key, encodeAssignment(planned.slot), { lease: member.lease }));
  }
  const result: TxnUnit[] = [];
  for (const unit of [...units.values()].sort((first, second) =>
    first.journal < second.journal ? -1 : first.journal > second.journal ? 1 : 0,
  )) {
    if (unit.compares.size < MAX_TXN_OPS && unit.ops.length <= MAX_TXN_OPS) {
      result.push(unit);
      continue;
    }
    const removed = removals.get(unit.journal) ?? [];
    for (let start = 0; start < removed.length; start += REMOVALS_PER_UNIT_MAX) {
      const chunk = removed.slice(start, start + REMOVALS_PER_UNIT_MAX);
      const compares = new Map([
        itemCompare(unit.journal),
        ...chunk.map((assignment): [string, Compare] => [
          `mod:${assignment.key}`,
          Compares.modRevision(assignment.key, "=", assignment.modRevision),
        ]),
      ]);
      result.push({ journal: unit.journal, compares, ops: chunk.map((assignment) => Ops.delete(assignment.key)) });
    }
  }
  return result;
}

// ---------------------------------------------------------------------------
// The loop

export type AllocatorOutcome = "committed" | "conflict" | "error";

export interface AllocatorRound {
  readonly revision: number;
  readonly plan: AssignmentPlan;
  readonly txn: AllocatorTxn;
  readonly outcome: AllocatorOutcome;
  /** The txn's revision when committed. */
  readonly committedAt?: number;
}

export interface RunAllocatorOptions {
  readonly signal: AbortSignal;
  readonly retryMs?: number;
  /** The allocator's decisions (a seam for test fixtures); default DEFAULT_ALLOCATION_RULES. */
  readonly rules?: AllocationRules;
  /** Called after each round that tried a txn (tests and scenarios). */
  readonly onRound?: (round: AllocatorRound) => void;
}

export interface AllocatorStats {
  rounds: number;
  commits: number;
  conflicts: number;
  errors: number;
}

/** Runs the allocator until `signal` aborts (see the file's comment). */
export async function runAllocator(
  env: Env,
  etcd: EtcdClient,
  keyspace: KeySpace,
  localId: ProcessSpecId,
  options: RunAllocatorOptions,
): Promise<AllocatorStats> {
  const stats: AllocatorStats = { rounds: 0, commits: 0, conflicts: 0, errors: 0 };
  const { signal } = options;
  if (!keyspace.loaded && !(await keyspace.waitForRevision(1, signal))) return stats;
  while (!signal.aborted) {
    const revision = keyspace.revision;
    let next = revision + 1;
    let retry = false;
    const input: PlanInput = {
      root: keyspace.root,
      items: keyspace.items(),
      members: keyspace.members(),
      assignments: keyspace.allAssignments(),
    };
    const self = keyspace.member(localId);
    const rules = options.rules ?? DEFAULT_ALLOCATION_RULES;
    const leads = self !== undefined && rules.leads(self, input.members);
    const plan = leads ? planAssignments(input, rules) : { put: [], remove: [] };
    if (self !== undefined && !planIsEmpty(plan)) {
      stats.rounds++;
      const txn = buildAllocatorTxn(keyspace.root, plan, input, self);
      if (txn.deferred.length > 0) env.probe("gazette.allocator.txn-split");
      let outcome: AllocatorOutcome = "error";
      let committedAt: number | undefined;
      try {
        const response = await etcd.txn(txn.request);
        outcome = response.succeeded ? "committed" : "conflict";
        if (response.succeeded) committedAt = response.header.revision;
      } catch (error) {
        if (!(error instanceof EtcdError)) throw error;
        env.log.warn("allocator: txn failed (will retry)", { error: error.message, revision });
      }
      if (outcome === "committed") {
        stats.commits++;
        next = Math.max(next, committedAt ?? next);
        if (plan.put.some((planned) => planned.slot === 0 && planned.modRevision !== 0))
          env.probe("gazette.allocator.primary-promoted");
        env.trace("gazette.allocator.committed", {
          revision: committedAt,
          journals: txn.journals.length,
          puts: plan.put.length,
          removes: plan.remove.length,
        });
      } else if (outcome === "conflict") {
        stats.conflicts++;
        env.probe("gazette.allocator.txn-conflict");
      } else {
        stats.errors++;
        retry = true;
      }
      options.onRound?.({ revision, plan, txn, outcome, ...(committedAt !== undefined ? { committedAt } : {}) });
    }
    await waitForRevisionOrTimeout(
      env,
      keyspace,
      next,
      signal,
      retry ? (options.retryMs ?? ALLOCATOR_RETRY_MS) : undefined,
    );
  }
  return stats;
}

async function waitForRevisionOrTimeout(
  env: Env,
  keyspace: KeySpace,
  revision: number,
  signal: AbortSignal,
  timeoutMs: number | undefined,
): Promise<void> {
  if (timeoutMs === undefined) {
    await keyspace.waitForRevision(revision, signal);
    return;
  }
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  const timer = env.clock.setTimer(timeoutMs, onAbort);
  try {
    await keyspace.waitForRevision(revision, controller.signal);
  } finally {
    timer.cancel();
    signal.removeEventListener("abort", onAbort);
  }
}
