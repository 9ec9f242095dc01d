/**
 * Invariant: the MVCC store (src/impl/etcd/mvcc) answers every sequence of puts,
 * deletes, ranges (at past revisions too), txns with compares, compactions, lease
 * grants and revokes, and snapshot round trips exactly as a naive model of etcd's
 * semantics does: revisions, createRevision/modRevision/version, prevKv, count and
 * more, the events of each revision, and the errors (ErrCompacted, ErrFutureRev,
 * ErrLeaseNotFound, ErrLeaseExist).
 * Broken variant: "version-not-reset-on-delete" (a key put again after a delete
 * continues its version count) makes the same property fail.
 * Method: fast-check model-based testing (fc.commands, fc.modelRun).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bytesToString,
  decodeSnapshot,
  encodeSnapshot,
  EtcdError,
  prefixEnd,
  toBytes,
  type HeaderOf,
  type KeyValue,
  type MvccStore,
  type WatchEvent,
} from "../../src/impl/etcd/index.ts";
import { createStore, type StoreBrokenVariant } from "../../scenarios/etcd/variants.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import { MvccModel, type ModelError, type ModelKv } from "./_support/mvcc-model.ts";

interface Real {
  store: MvccStore;
  readonly variant: StoreBrokenVariant | undefined;
}

const header: HeaderOf = (revision) => ({ clusterId: 1, memberId: 2, revision, raftTerm: 3 });
const KEYS = ["a", "ab", "abc", "b", "c"] as const;
const keyArbitrary = fc.constantFrom(...KEYS);
const valueArbitrary = fc.constantFrom("", "x", "y", "zz");
const leaseArbitrary = fc.constantFrom(0, 0, 1, 2);

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function expectError(actual: unknown, expected: ModelError | undefined, what: string): boolean {
  if (expected === undefined) {
    check(!(actual instanceof EtcdError), `${what}: unexpected ${String(actual)}`);
    return false;
  }
  check(
    actual instanceof EtcdError && actual.code === expected,
    `${what}: expected ${expected}, got ${actual instanceof Error ? actual.message : JSON.stringify(actual)}`,
  );
  return true;
}

function sameKv(actual: KeyValue | undefined, key: string, expected: ModelKv | undefined, what: string): void {
  if (expected === undefined) {
    check(actual === undefined, `${what}: expected no kv, got ${JSON.stringify(actual)}`);
    return;
  }
  check(actual !== undefined, `${what}: expected a kv for ${key}`);
  const found = actual as KeyValue;
  const got = {
    key: bytesToString(found.key),
    value: bytesToString(found.value),
    createRevision: found.createRevision,
    modRevision: found.modRevision,
    version: found.version,
    lease: found.lease,
  };
  const want = { key, ...expected };
  check(
    JSON.stringify(got) ===
      JSON.stringify({
        key: want.key,
        value: want.value,
        createRevision: want.createRevision,
        modRevision: want.modRevision,
        version: want.version,
        lease: want.lease,
      }),
    `${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
  );
}

/** The events of the model's last revision (key order) against the store's. */
function checkEvents(model: MvccModel, real: Real, before: number): void {
  check(real.store.revision === model.revision, `revision ${real.store.revision}, model ${model.revision}`);
  if (model.revision === before) return;
  const previous = model.states.get(before) as ReadonlyMap<string, ModelKv>;
  const now = model.current();
  const expected: Array<{ key: string; type: string; kv: ModelKv | undefined; prev: ModelKv | undefined }> = [];
  for (const key of [...new Set([...previous.keys(), ...now.keys()])].sort()) {
    const after = now.get(key);
    if (after !== undefined && after.modRevision === model.revision)
      expected.push({ key, type: "PUT", kv: after, prev: previous.get(key) });
    else if (after === undefined && previous.has(key))
      expected.push({ key, type: "DELETE", kv: undefined, prev: previous.get(key) });
  }
  const [{ events }] = real.store.events(model.revision, model.revision) as unknown as [
    { events: readonly WatchEvent[] },
  ];
  const sorted = [...events].sort((first, second) =>
    bytesToString(first.kv.key) < bytesToString(second.kv.key) ? -1 : 1,
  );
  check(
    sorted.length === expected.length,
    `revision ${model.revision}: ${sorted.length} events, expected ${expected.length}`,
  );
  sorted.forEach((event, index) => {
    const want = expected[index] as (typeof expected)[number];
    check(
      event.type === want.type && bytesToString(event.kv.key) === want.key,
      `event ${index} of revision ${model.revision}: ${event.type} ${bytesToString(event.kv.key)}, expected ${want.type} ${want.key}`,
    );
    if (want.kv !== undefined) sameKv(event.kv, want.key, want.kv, "event kv");
    else check(event.kv.modRevision === model.revision, "a delete event carries its revision");
    sameKv(event.prevKv, want.key, want.prev, "event prevKv");
  });
}

class PutCommand implements fc.Command<MvccModel, Real> {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly lease: number,
  ) {}
  check = () => true;
  run(model: MvccModel, real: Real): void {
    const before = model.revision;
    const response = real.store.put(
      { key: toBytes(this.key), value: toBytes(this.value), lease: this.lease, prevKv: true },
      header,
    );
    if (
      expectError(
        response,
        this.lease !== 0 && !model.leases.has(this.lease) ? "lease-not-found" : undefined,
        this.toString(),
      )
    )
      return;
    const next = new Map(model.current());
    const previous = model.put(next, this.key, this.value, this.lease);
    model.commit(next);
    check(
      !(response instanceof EtcdError) && response.header.revision === model.revision,
      `${this.toString()}: header revision`,
    );
    sameKv((response as { prevKv?: KeyValue }).prevKv, this.key, previous, `${this.toString()} prevKv`);
    checkEvents(model, real, before);
  }
  toString = () => `put(${this.key}=${JSON.stringify(this.value)}, lease ${this.lease})`;
}

class DeleteCommand implements fc.Command<MvccModel, Real> {
  constructor(
    readonly key: string,
    readonly prefix: boolean,
  ) {}
  check = () => true;
  run(model: MvccModel, real: Real): void {
    const before = model.revision;
    const response = real.store.deleteRange(
      { key: toBytes(this.key), ...(this.prefix ? { rangeEnd: prefixEnd(this.key) } : {}), prevKv: true },
      header,
    );
    check(!(response instanceof EtcdError), `${this.toString()}: ${String(response)}`);
    const keys = MvccModel.select(
      model.current(),
      this.key,
      this.prefix ? bytesToString(prefixEnd(this.key)) : undefined,
    );
    const result = response as Exclude<typeof response, EtcdError>;
    check(result.deleted === keys.length, `${this.toString()}: deleted ${result.deleted}, expected ${keys.length}`);
    keys.forEach((key, index) =>
      sameKv(result.prevKvs[index], key, model.current().get(key), `${this.toString()} prevKvs[${index}]`),
    );
    if (keys.length > 0) {
      const next = new Map(model.current());
      for (const key of keys) next.delete(key);
      model.commit(next);
    }
    checkEvents(model, real, before);
  }
  toString = () => `delete(${this.key}${this.prefix ? "*" : ""})`;
}

class GetCommand implements fc.Command<MvccModel, Real> {
  constructor(
    readonly key: string,
    readonly prefix: boolean,
    readonly back: number,
    readonly limit: number,
  ) {}
  check = () => true;
  run(model: MvccModel, real: Real): void {
    const revision = this.back < 0 ? 0 : Math.max(0, model.revision - this.back);
    const response = real.store.range(
      {
        key: toBytes(this.key),
        ...(this.prefix ? { rangeEnd: prefixEnd(this.key) } : {}),
        revision,
        limit: this.limit,
      },
      header,
    );
    const state = model.readAt(revision);
    if (expectError(response, typeof state === "string" ? state : undefined, this.toString())) return;
    const keys = MvccModel.select(
      state as ReadonlyMap<string, ModelKv>,
      this.key,
      this.prefix ? bytesToString(prefixEnd(this.key)) : undefined,
    );
    const result = response as Exclude<typeof response, EtcdError>;
    const shown = this.limit > 0 ? keys.slice(0, this.limit) : keys;
    check(
      result.count === keys.length && result.kvs.length === shown.length && result.more === shown.length < keys.length,
      `${this.toString()}: count ${result.count} kvs ${result.kvs.length} more ${result.more}, expected ${keys.length}/${shown.length}`,
    );
    shown.forEach((key, index) =>
      sameKv(
        result.kvs[index],
        key,
        (state as ReadonlyMap<string, ModelKv>).get(key),
        `${this.toString()} kvs[${index}]`,
      ),
    );
  }
  toString = () => `get(${this.key}${this.prefix ? "*" : ""}, back ${this.back}, limit ${this.limit})`;
}

type Target = "value" | "version" | "create" | "mod" | "lease";

class TxnCommand implements fc.Command<MvccModel, Real> {
  constructor(
    readonly key: string,
    readonly target: Target,
    readonly result: "=" | "!=" | "<" | ">",
    readonly operand: number,
    readonly value: string,
    readonly other: string,
  ) {}
  check = () => true;
  run(model: MvccModel, real: Real): void {
    const before = model.revision;
    const operand: string | number =
      this.target === "value"
        ? this.value
        : this.target === "mod" || this.target === "create"
          ? Math.max(0, model.revision - this.operand)
          : this.operand;
    const compare =
      this.target === "value"
        ? { key: toBytes(this.key), result: this.result, target: "value" as const, value: toBytes(this.value) }
        : this.target === "version"
          ? { key: toBytes(this.key), result: this.result, target: "version" as const, version: operand as number }
          : this.target === "create"
            ? {
                key: toBytes(this.key),
                result: this.result,
                target: "create" as const,
                createRevision: operand as number,
              }
            : this.target === "mod"
              ? { key: toBytes(this.key), result: this.result, target: "mod" as const, modRevision: operand as number }
              : { key: toBytes(this.key), result: this.result, target: "lease" as const, lease: operand as number };
    const response = real.store.txn(
      {
        compare: [compare],
        success: [
          { put: { key: toBytes(this.key), value: toBytes(`${this.value}!`), prevKv: true } },
          { range: { key: toBytes(this.key) } },
        ],
        failure: [{ range: { key: toBytes(this.other) } }, { deleteRange: { key: toBytes(this.other) } }],
      },
      header,
    );
    check(!(response instanceof EtcdError), `${this.toString()}: ${String(response)}`);
    const result = response as Exclude<typeof response, EtcdError>;
    const holds = model.holds(this.key, this.target, this.result, operand);
    check(result.succeeded === holds, `${this.toString()}: succeeded ${result.succeeded}, expected ${holds}`);
    const next = new Map(model.current());
    if (holds) {
      const previous = model.put(next, this.key, `${this.value}!`, 0);
      model.commit(next);
      const [put, range] = result.responses as unknown as [
        { put: { prevKv?: KeyValue } },
        { range: { kvs: KeyValue[] } },
      ];
      sameKv(put.put.prevKv, this.key, previous, `${this.toString()} prevKv`);
      sameKv(
        range.range.kvs[0],
        this.key,
        model.current().get(this.key),
        `${this.toString()} range after put in the same txn`,
      );
    } else {
      const [range, deleted] = result.responses as unknown as [
        { range: { kvs: KeyValue[] } },
        { deleteRange: { deleted: number } },
      ];
      sameKv(range.range.kvs[0], this.other, model.current().get(this.other), `${this.toString()} else range`);
      const existed = next.delete(this.other);
      check(
        deleted.deleteRange.deleted === (existed ? 1 : 0),
        `${this.toString()}: else deleted ${deleted.deleteRange.deleted}`,
      );
      if (existed) model.commit(next);
    }
    check(
      result.header.revision === model.revision,
      `${this.toString()}: header revision ${result.header.revision}, expected ${model.revision}`,
    );
    checkEvents(model, real, before);
  }
  toString = () =>
    `txn(${this.key} ${this.target} ${this.result} ${this.target === "value" ? this.value : this.operand} ? put : del ${this.other})`;
}

class CompactCommand implements fc.Command<MvccModel, Real> {
  constructor(readonly back: number) {}
  check = () => true;
  run(model: MvccModel, real: Real): void {
    const revision = model.revision - this.back;
    const response = real.store.compact(revision);
    expectError(response, model.compact(revision), this.toString());
    check(
      real.store.compactRevision === model.compactRevision,
      `${this.toString()}: compact revision ${real.store.compactRevision}, model ${model.compactRevision}`,
    );
  }
  toString = () => `compact(current - ${this.back})`;
}

class GrantCommand implements fc.Command<MvccModel, Real> {
  constructor(
    readonly id: number,
    readonly ttl: number,
  ) {}
  check = () => true;
  run(model: MvccModel, real: Real): void {
    const response = real.store.leaseGrant(this.id, this.ttl);
    if (expectError(response, model.leases.has(this.id) ? "lease-exist" : undefined, this.toString())) return;
    model.leases.set(this.id, this.ttl);
    check(real.store.lease(this.id)?.ttl === this.ttl, `${this.toString()}: ttl`);
  }
  toString = () => `grant(${this.id}, ${this.ttl}s)`;
}

class RevokeCommand implements fc.Command<MvccModel, Real> {
  constructor(readonly id: number) {}
  check = () => true;
  run(model: MvccModel, real: Real): void {
    const before = model.revision;
    const response = real.store.leaseRevoke(this.id);
    if (expectError(response, model.leases.has(this.id) ? undefined : "lease-not-found", this.toString())) return;
    model.leases.delete(this.id);
    const next = new Map(model.current());
    const keys = [...next].filter(([, kv]) => kv.lease === this.id).map(([key]) => key);
    for (const key of keys) next.delete(key);
    if (keys.length > 0) model.commit(next);
    checkEvents(model, real, before);
  }
  toString = () => `revoke(${this.id})`;
}

class SnapshotCommand implements fc.Command<MvccModel, Real> {
  check = () => true;
  run(model: MvccModel, real: Real): void {
    const store = createStore(real.variant);
    store.load(decodeSnapshot(encodeSnapshot(real.store.state())));
    real.store = store;
    for (const [id, ttl] of model.leases) check(store.lease(id)?.ttl === ttl, `lease ${id} lost in the snapshot`);
    const attached = [...model.current()].filter(([, kv]) => kv.lease !== 0);
    for (const [key, kv] of attached)
      check(
        store.lease(kv.lease)?.keys.has(key) === true,
        `key ${key} detached from lease ${kv.lease} by the snapshot`,
      );
  }
  toString = () => "snapshot-and-restore";
}

const commands = [
  fc
    .tuple(keyArbitrary, valueArbitrary, leaseArbitrary)
    .map(([key, value, lease]) => new PutCommand(key, value, lease)),
  fc.tuple(keyArbitrary, fc.boolean()).map(([key, prefix]) => new DeleteCommand(key, prefix)),
  fc
    .tuple(keyArbitrary, fc.boolean(), fc.integer({ min: -1, max: 6 }), fc.integer({ min: 0, max: 3 }))
    .map(([key, prefix, back, limit]) => new GetCommand(key, prefix, back, limit)),
  fc
    .tuple(
      keyArbitrary,
      fc.constantFrom<Target>("value", "version", "create", "mod", "lease"),
      fc.constantFrom("=" as const, "!=" as const, "<" as const, ">" as const),
      fc.integer({ min: 0, max: 3 }),
      valueArbitrary,
      keyArbitrary,
    )
    .map(([key, target, result, operand, value, other]) => new TxnCommand(key, target, result, operand, value, other)),
  fc.integer({ min: -1, max: 4 }).map((back) => new CompactCommand(back)),
  fc.tuple(fc.constantFrom(1, 2), fc.integer({ min: 1, max: 60 })).map(([id, ttl]) => new GrantCommand(id, ttl)),
  fc.constantFrom(1, 2).map((id) => new RevokeCommand(id)),
  fc.constant(new SnapshotCommand()),
];

function storeProperty(variant: StoreBrokenVariant | undefined) {
  return fc.property(fc.commands(commands, { size: "+1" }), (sequence) => {
    fc.modelRun(() => ({ model: new MvccModel(), real: { store: createStore(variant), variant } }), sequence);
  });
}

describe("etcd MVCC store against a model", () => {
  it("etcd.mvcc-matches-model: every command sequence answers as the model", () => {
    fc.assert(storeProperty(undefined), propertyParameters("etcd.mvcc-matches-model", 300));
  });

  it("catches the version-not-reset-on-delete variant", () => {
    const result = fc.check(
      storeProperty("version-not-reset-on-delete"),
      propertyParameters("etcd.mvcc-matches-model.broken", 300),
    );
    expect(result.failed).toBe(true);
  });
});
