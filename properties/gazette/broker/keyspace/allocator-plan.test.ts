/**
 * Invariant (planAssignments, the allocator's pure planner): after one round is
 * applied, every journal has min(replication, members with room) distinct live
 * members with slots 0..n-1 (exactly one primary), no member is over its
 * journalLimit, the live assignments within replication survive, the primary is
 * the surviving assignment with the lowest slot (never a member added in the
 * round), assignments of deleted journals and gone members are removed, the plan
 * does not depend on the order of its inputs, and planning again yields nothing
 * (idempotence). The txn of a round stays within etcd's 128 compares and ops.
 * Broken variants: "replace-survivors" (drops the survivors when the primary
 * dies) and "promote-newest" (promotes the member added in the round) each fail it.
 * Method: fast-check over random clusters (fixed seeds), and hand-made cases.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildAllocatorTxn,
  journalLimitOf,
  planAssignments,
  type AssignmentPlan,
  type PlanInput,
} from "../../../../src/impl/gazette/broker/allocator.ts";
import {
  ALLOCATION_RULES,
  ALLOCATOR_BROKEN_VARIANTS,
  type AllocatorBrokenVariant,
} from "../../../../scenarios/gazette/variants/broker.ts";
import { memberIdKey } from "../../../../src/impl/gazette/broker/keyspace.ts";
import type { AssignmentRecord, MemberRecord } from "../../../../src/impl/gazette/broker/types.ts";
import { MAX_TXN_OPS } from "../../../../src/impl/etcd/index.ts";
import { assignmentRecord, brokerSpec, itemRecord, journalSpec, memberRecord, ROOT } from "./_support/records.ts";

const ZONES = ["za", "zb", "zc"] as const;

const stateArbitrary = fc.record({
  members: fc.array(
    fc.record({
      zone: fc.constantFrom(...ZONES),
      live: fc.constantFrom(true, true, true, false),
      limit: fc.constantFrom(0, 1, 2, 3, 5),
    }),
    { minLength: 1, maxLength: 6 },
  ),
  journals: fc.array(
    fc.record({
      replication: fc.integer({ min: 1, max: 3 }),
      exists: fc.constantFrom(true, true, true, false),
      assigned: fc.array(fc.record({ member: fc.nat({ max: 5 }), slot: fc.nat({ max: 5 }) }), { maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});
type State = typeof stateArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** A cluster state an allocator could face: live members within their limits, distinct slots per journal. */
function buildInput(state: State): PlanInput {
  const all = state.members.map((member, index) =>
    memberRecord(brokerSpec(member.zone, `brk${index}`, member.limit), index + 1),
  );
  const live = all.filter((_, index) => state.members[index]?.live === true);
  const liveKeys = new Set(live.map((member) => memberIdKey(member.spec.id)));
  const load = new Map<string, number>();
  const items = [];
  const assignments: AssignmentRecord[] = [];
  for (const [index, journal] of state.journals.entries()) {
    const name = `jrn/${String(index).padStart(2, "0")}`;
    if (journal.exists) items.push(itemRecord(journalSpec(name, journal.replication), 10 + index));
    const members = new Set<string>();
    const slots = new Set<number>();
    for (const entry of journal.assigned) {
      const member = all[entry.member % all.length] as MemberRecord;
      const id = memberIdKey(member.spec.id);
      if (members.has(id) || slots.has(entry.slot)) continue;
      if (liveKeys.has(id) && (load.get(id) ?? 0) >= journalLimitOf(member)) continue;
      members.add(id);
      slots.add(entry.slot);
      load.set(id, (load.get(id) ?? 0) + 1);
      assignments.push(assignmentRecord(name, member.spec.id, entry.slot, 20 + assignments.length));
    }
  }
  return { root: ROOT, items, members: live, assignments };
}

function applyPlan(input: PlanInput, plan: AssignmentPlan, revision: number): PlanInput {
  const removed = new Set(plan.remove);
  const assignments = new Map(
    input.assignments
      .filter((assignment) => !removed.has(assignment.key))
      .map((assignment) => [assignment.key, assignment]),
  );
  for (const put of plan.put) assignments.set(put.key, assignmentRecord(put.journal, put.member, put.slot, revision));
  return { ...input, assignments: [...assignments.values()] };
}

const bySlot = (first: AssignmentRecord, second: AssignmentRecord) =>
  first.slot - second.slot || (memberIdKey(first.member) < memberIdKey(second.member) ? -1 : 1);

/** Every broken rule of one round from `input` (empty when the plan is right). */
function problemsOf(input: PlanInput, plan: AssignmentPlan): string[] {
  const problems: string[] = [];
  const keys = new Map(input.assignments.map((assignment) => [assignment.key, assignment]));
  for (const key of plan.remove) if (!keys.has(key)) problems.push(`removes missing ${key}`);
  for (const put of plan.put) {
    if (plan.remove.includes(put.key)) problems.push(`puts and removes ${put.key}`);
    if (put.modRevision !== (keys.get(put.key)?.modRevision ?? 0))
      problems.push(`put ${put.key} names modRevision ${put.modRevision}`);
  }
  const next = applyPlan(input, plan, 1000);
  const live = new Map(input.members.map((member) => [memberIdKey(member.spec.id), member]));
  const load = new Map<string, number>();
  for (const assignment of next.assignments)
    load.set(memberIdKey(assignment.member), (load.get(memberIdKey(assignment.member)) ?? 0) + 1);
  for (const [id, count] of load) {
    const member = live.get(id);
    if (member === undefined) problems.push(`assignment of gone member ${id} kept`);
    else if (count > journalLimitOf(member)) problems.push(`${id} holds ${count} > limit ${journalLimitOf(member)}`);
  }
  const items = new Set(input.items.map((item) => item.spec.name));
  for (const assignment of next.assignments)
    if (!items.has(assignment.journal)) problems.push(`assignment of deleted ${assignment.journal} kept`);
  for (const item of input.items) {
    const name = item.spec.name;
    const replication = item.spec.replication;
    const after = next.assignments.filter((assignment) => assignment.journal === name).sort(bySlot);
    after.forEach(
      (assignment, slot) =>
        assignment.slot !== slot && problems.push(`${name}: slots not compact (${after.map((a) => a.slot).join(",")})`),
    );
    const assigned = new Set(after.map((assignment) => memberIdKey(assignment.member)));
    const roomLeft = input.members.some(
      (member) =>
        !assigned.has(memberIdKey(member.spec.id)) &&
        (load.get(memberIdKey(member.spec.id)) ?? 0) < journalLimitOf(member),
    );
    if (after.length > replication || (after.length < replication && roomLeft))
      problems.push(`${name}: ${after.length} members for replication ${replication}`);
    const alive = input.assignments
      .filter((assignment) => assignment.journal === name && live.has(memberIdKey(assignment.member)))
      .sort(bySlot);
    for (const survivor of alive.slice(0, replication)) {
      if (!assigned.has(memberIdKey(survivor.member)))
        problems.push(`${name}: survivor ${memberIdKey(survivor.member)} dropped`);
    }
    const first = alive[0];
    const primary = after[0];
    if (first !== undefined && primary !== undefined && memberIdKey(primary.member) !== memberIdKey(first.member)) {
      problems.push(
        `${name}: primary ${memberIdKey(primary.member)} is not the lowest-slot survivor ${memberIdKey(first.member)}`,
      );
    }
  }
  const again = planAssignments(next);
  if (again.put.length + again.remove.length > 0) problems.push(`not idempotent: ${JSON.stringify(again)}`);
  return problems;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed + 1;
  for (let index = copy.length - 1; index > 0; index--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const other = state % (index + 1);
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

function roundProperty(variant?: AllocatorBrokenVariant) {
  return fc.property(stateArbitrary, fc.nat(), (state, seed) => {
    const input = buildInput(state);
    const plan = planAssignments(input, variant === undefined ? undefined : ALLOCATION_RULES[variant]);
    const problems = problemsOf(input, plan);
    if (problems.length > 0) throw new Error(`broken rules: ${problems.join("; ")}`);
    const reordered = {
      ...input,
      items: shuffled(input.items, seed),
      members: shuffled(input.members, seed + 1),
      assignments: shuffled(input.assignments, seed + 2),
    };
    expect(planAssignments(reordered, variant === undefined ? undefined : ALLOCATION_RULES[variant])).toEqual(plan);
  });
}

describe("planAssignments", () => {
  for (const seed of [1, 2, 3]) {
    it(`one round reaches a fixpoint that keeps survivors, promotes the lowest slot and respects limits (seed ${seed})`, () => {
      fc.assert(roundProperty(), { seed, numRuns: 400 });
    });
  }

  const caughtAs = {
    "replace-survivors": /survivor \S+ dropped/,
    "promote-newest": /is not the lowest-slot survivor/,
  } as const;
  for (const variant of ["replace-survivors", "promote-newest"] as const) {
    it(`catches the ${variant} variant (${ALLOCATOR_BROKEN_VARIANTS[variant].slice(0, 40)}...)`, () => {
      const result = fc.check(roundProperty(variant), { seed: 1, numRuns: 400 });
      expect(result.failed).toBe(true);
      expect(String(result.errorInstance)).toMatch(caughtAs[variant]);
    });
  }

  it("promotes the surviving replica when the primary's member is gone, and adds a member after it", () => {
    const a = memberRecord(brokerSpec("za", "brk0"), 1);
    const b = memberRecord(brokerSpec("zb", "brk1"), 2);
    const c = memberRecord(brokerSpec("zc", "brk2"), 3);
    const input: PlanInput = {
      root: ROOT,
      items: [itemRecord(journalSpec("jrn/one", 2))],
      members: [b, c],
      assignments: [assignmentRecord("jrn/one", a.spec.id, 0, 5), assignmentRecord("jrn/one", b.spec.id, 1, 6)],
    };
    const plan = planAssignments(input);
    expect(plan.remove).toEqual([assignmentRecord("jrn/one", a.spec.id, 0).key]);
    expect(plan.put.map((put) => `${put.member.suffix}@${put.slot}/${put.modRevision}`)).toEqual([
      "brk1@0/6",
      "brk2@1/0",
    ]);
    expect(
      planAssignments(input, ALLOCATION_RULES["promote-newest"]).put.map((put) => `${put.member.suffix}@${put.slot}`),
    ).toEqual(["brk2@0"]); // brk1 keeps slot 1
  });

  it("prefers a zone the journal is not in, then the least loaded member", () => {
    const members = [
      memberRecord(brokerSpec("za", "brk0"), 1),
      memberRecord(brokerSpec("za", "brk1"), 2),
      memberRecord(brokerSpec("zb", "brk2"), 3),
      memberRecord(brokerSpec("zb", "brk3"), 4),
    ];
    const items = ["jrn/a", "jrn/b", "jrn/c"].map((name) => itemRecord(journalSpec(name, 2)));
    const plan = planAssignments({ root: ROOT, items, members, assignments: [] });
    expect(plan.put.map((put) => `${put.journal}:${put.member.suffix}@${put.slot}`)).toEqual([
      "jrn/a:brk0@0",
      "jrn/a:brk2@1",
      "jrn/b:brk1@0",
      "jrn/b:brk3@1",
      "jrn/c:brk0@0",
      "jrn/c:brk2@1",
    ]);
  });

  it("removes only the excess, highest slot first, when replication decreases", () => {
    const members = [0, 1, 2].map((index) => memberRecord(brokerSpec("za", `brk${index}`), index + 1));
    const assignments = members.map((member, slot) => assignmentRecord("jrn/one", member.spec.id, slot, 10 + slot));
    const plan = planAssignments({ root: ROOT, items: [itemRecord(journalSpec("jrn/one", 1))], members, assignments });
    expect(plan).toEqual({ put: [], remove: [assignments[1]?.key, assignments[2]?.key] });
  });

  it("a round's txn stays within etcd's limits, guarded by the leader's key, whole journals at a time", () => {
    const members = [0, 1, 2, 3].map((index) =>
      memberRecord(brokerSpec(ZONES[index % 3] as string, `brk${index}`), index + 1),
    );
    const items = Array.from({ length: 60 }, (_, index) =>
      itemRecord(journalSpec(`jrn/${String(index).padStart(3, "0")}`, 3), 100 + index),
    );
    const input: PlanInput = { root: ROOT, items, members, assignments: [] };
    const plan = planAssignments(input);
    const txn = buildAllocatorTxn(ROOT, plan, input, members[0] as MemberRecord);
    expect(txn.request.compare.length).toBeLessThanOrEqual(MAX_TXN_OPS);
    expect(txn.request.success.length).toBeLessThanOrEqual(MAX_TXN_OPS);
    expect(txn.deferred.length).toBeGreaterThan(0);
    expect(txn.request.success.length).toBe(txn.journals.length * 3);
    expect([...txn.journals, ...txn.deferred].sort()).toEqual(items.map((item) => item.spec.name));
    expect(txn.request.compare[0]).toMatchObject({ target: "mod", modRevision: 1 });
  });
});
