/**
 * Invariants of what arrives from outside (bad input -> a typed error, never a
 * crash or a silently wrong value):
 * - etcd.wire-txn: any value given to the txn decoder (mostly well-formed requests
 *   with a bad field now and then, and arbitrary values) either decodes to a
 *   request that an independent well-formedness check accepts, or throws
 *   ErrInvalidRequest; never anything else. Fails on a decoder that casts.
 * - etcd.command-bytes: any bytes given to decodeCommand yield a command or an
 *   ErrInvalidRequest, and every valid command round-trips. Fails on a decoder
 *   that lets msgpack's exceptions escape (the same fixture idea, for log bytes).
 * - etcd.snapshot-bytes: a snapshot with a flipped byte or a cut tail either decodes
 *   to a state the store loads, or throws ErrSnapshotInvalid. Fails on a decoder
 *   that does not check fields (the store's assertions or a TypeError fire).
 */
import { decode } from "@msgpack/msgpack";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeCommand,
  decodeSnapshot,
  decodeTxnRequest,
  encodeCommand,
  encodeSnapshot,
  ErrInvalidRequest,
  ErrSnapshotInvalid,
  MvccStore,
  toBytes,
  type EtcdCommand,
  type StoreState,
  type TxnRequest,
} from "../../src/impl/etcd/index.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import { uncheckedSnapshotDecoder, uncheckedTxnDecoder } from "./_fixtures/unchecked-decoders.ts";

const bad = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -5, max: 5 }),
  fc.double(),
  fc.string({ maxLength: 3 }),
  fc.boolean(),
  fc.constant({}),
  fc.constant([]),
);
function sometimesBad<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: bad });
}
const bytes = sometimesBad(fc.uint8Array({ minLength: 1, maxLength: 4 }));
const revision = sometimesBad(fc.nat({ max: 50 }));
const compare = fc.record(
  {
    key: bytes,
    result: sometimesBad(fc.constantFrom("=", "!=", "<", ">")),
    target: sometimesBad(fc.constantFrom("version", "create", "mod", "value", "lease")),
    version: revision,
    createRevision: revision,
    modRevision: revision,
    value: bytes,
    lease: revision,
  },
  { requiredKeys: ["key", "result", "target"] },
);
const range = fc.record(
  { key: bytes, rangeEnd: bytes, limit: revision, revision, keysOnly: sometimesBad(fc.boolean()) },
  { requiredKeys: ["key"] },
);
const put = fc.record(
  { key: bytes, value: bytes, lease: revision, prevKv: sometimesBad(fc.boolean()) },
  { requiredKeys: ["key", "value"] },
);
const del = fc.record({ key: bytes, rangeEnd: bytes }, { requiredKeys: ["key"] });
const { txn } = fc.letrec((tie) => ({
  op: fc.oneof(
    { depthSize: "small" },
    fc.record({ range }),
    fc.record({ put }),
    fc.record({ deleteRange: del }),
    fc.record({ txn: tie("txn") }),
    bad,
  ),
  txn: fc.record({
    compare: fc.array(compare, { maxLength: 3 }),
    success: fc.array(tie("op"), { maxLength: 3 }),
    failure: fc.array(tie("op"), { maxLength: 3 }),
  }),
}));
const anyRequest = fc.oneof({ weight: 4, arbitrary: txn }, { weight: 1, arbitrary: fc.anything() });

const isBytes = (value: unknown) => value instanceof Uint8Array;
const isCount = (value: unknown) => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const optional = (value: unknown, check: (value: unknown) => boolean) => value === undefined || check(value);

/** An independent statement of a well-formed TxnRequest. */
function wellFormed(request: unknown): boolean {
  if (typeof request !== "object" || request === null) return false;
  const { compare, success, failure } = request as TxnRequest;
  if (!Array.isArray(compare) || !Array.isArray(success) || !Array.isArray(failure)) return false;
  const compareOk = compare.every((entry) => {
    if (!isBytes(entry.key) || !["=", "!=", "<", ">"].includes(entry.result) || !optional(entry.rangeEnd, isBytes))
      return false;
    switch (entry.target) {
      case "value":
        return isBytes(entry.value);
      case "version":
        return isCount(entry.version);
      case "create":
        return isCount(entry.createRevision);
      case "mod":
        return isCount(entry.modRevision);
      case "lease":
        return isCount(entry.lease);
      default:
        return false;
    }
  });
  const opOk = (op: unknown): boolean => {
    if (typeof op !== "object" || op === null) return false;
    const entries = Object.keys(op);
    if (entries.length !== 1) return false;
    const record = op as Record<string, Record<string, unknown>>;
    if ("range" in record)
      return (
        isBytes(record.range?.key) &&
        optional(record.range?.rangeEnd, isBytes) &&
        optional(record.range?.limit, isCount) &&
        optional(record.range?.revision, isCount)
      );
    if ("put" in record)
      return isBytes(record.put?.key) && isBytes(record.put?.value) && optional(record.put?.lease, isCount);
    if ("deleteRange" in record)
      return isBytes(record.deleteRange?.key) && optional(record.deleteRange?.rangeEnd, isBytes);
    if ("txn" in record) return wellFormed(record.txn);
    return false;
  };
  return compareOk && success.every(opOk) && failure.every(opOk);
}

function wireProperty(decoder: (value: unknown) => TxnRequest) {
  return fc.property(anyRequest, (value) => {
    let decoded: TxnRequest;
    try {
      decoded = decoder(value);
    } catch (error) {
      return error instanceof ErrInvalidRequest;
    }
    return wellFormed(decoded);
  });
}

const command: fc.Arbitrary<EtcdCommand> = fc.oneof(
  fc
    .record({ key: fc.uint8Array({ minLength: 1, maxLength: 3 }), value: fc.uint8Array({ maxLength: 3 }) })
    .map(({ key, value }): EtcdCommand => ({ type: "put", request: { key, value } })),
  fc.nat({ max: 100 }).map((revision): EtcdCommand => ({ type: "compact", revision })),
  fc
    .tuple(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 1000 }))
    .map(([id, ttl]): EtcdCommand => ({ type: "leaseGrant", id, ttl })),
  fc
    .tuple(fc.integer({ min: 1, max: 2 ** 40 }), fc.boolean())
    .map(([id, expired]): EtcdCommand => ({ type: "leaseRevoke", id, expired })),
);

function commandProperty(decoder: (data: Uint8Array) => unknown) {
  return fc.property(
    fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      command.map((valid) => encodeCommand(valid)),
    ),
    (data) => {
      let decoded: unknown;
      try {
        decoded = decoder(data);
      } catch {
        return false;
      }
      return (
        decoded instanceof ErrInvalidRequest || (typeof decoded === "object" && decoded !== null && "type" in decoded)
      );
    },
  );
}

/** A store with some history, leases and a compaction, as snapshot bytes. */
function sampleSnapshot(): Uint8Array {
  const store = new MvccStore();
  const header = (revision: number) => ({ clusterId: 0, memberId: 0, revision, raftTerm: 0 });
  store.leaseGrant(7, 5);
  store.put({ key: toBytes("a"), value: toBytes("1"), lease: 7 }, header);
  store.put({ key: toBytes("b"), value: toBytes("2") }, header);
  store.put({ key: toBytes("a"), value: toBytes("3"), lease: 7 }, header);
  store.deleteRange({ key: toBytes("b") }, header);
  store.compact(3);
  store.put({ key: toBytes("c"), value: toBytes("4") }, header);
  return encodeSnapshot(store.state());
}

function snapshotProperty(decoder: (data: Uint8Array) => StoreState) {
  const original = sampleSnapshot();
  const damaged = fc.oneof(
    fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([position, flip]) => {
      const copy = original.slice();
      copy[position] = (copy[position] as number) ^ flip;
      return copy;
    }),
    fc.nat({ max: original.length - 1 }).map((length) => original.slice(0, length)),
  );
  return fc.property(damaged, (data) => {
    try {
      new MvccStore().load(decoder(data));
      return true;
    } catch (error) {
      return error instanceof ErrSnapshotInvalid;
    }
  });
}

describe("etcd input from the wire and the disk", () => {
  it("etcd.wire-txn: a txn decodes to a well-formed request or fails with ErrInvalidRequest", () => {
    fc.assert(
      wireProperty((value) => decodeTxnRequest(value)),
      propertyParameters("etcd.wire-txn", 500),
    );
  });

  it("etcd.wire-txn fails on a decoder that casts", () => {
    expect(fc.check(wireProperty(uncheckedTxnDecoder), propertyParameters("etcd.wire-txn.broken", 500)).failed).toBe(
      true,
    );
  });

  it("etcd.command-bytes: log bytes decode to a command or ErrInvalidRequest; commands round-trip", () => {
    fc.assert(commandProperty(decodeCommand), propertyParameters("etcd.command-bytes", 500));
    fc.assert(
      fc.property(command, (valid) => JSON.stringify(decodeCommand(encodeCommand(valid))) === JSON.stringify(valid)),
      propertyParameters("etcd.command-round-trip", 200),
    );
  });

  it("etcd.command-bytes fails on a decoder that lets msgpack throw", () => {
    expect(
      fc.check(
        commandProperty((data) => decode(data)),
        propertyParameters("etcd.command-bytes.broken", 500),
      ).failed,
    ).toBe(true);
  });

  it("etcd.snapshot-bytes: a damaged snapshot loads or fails with ErrSnapshotInvalid", () => {
    fc.assert(snapshotProperty(decodeSnapshot), propertyParameters("etcd.snapshot-bytes", 500));
  });

  it("etcd.snapshot-bytes fails on a decoder that checks nothing", () => {
    expect(
      fc.check(snapshotProperty(uncheckedSnapshotDecoder), propertyParameters("etcd.snapshot-bytes.broken", 500))
        .failed,
    ).toBe(true);
  });
});
