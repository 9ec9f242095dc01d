/**
 * MvccStore: etcd's multi-version KV store with its lessor's replicated state, as a
 * pure, synchronous state machine (the Raft FSM drives it; properties test it
 * against a model).
 *
 * Revisions: the store starts at revision 1; every write transaction that changes
 * something (a put, a delete that deletes, a txn with such ops, a lease revoke
 * that deletes keys) takes the next revision, shared by all its changes. Each key
 * has createRevision, modRevision and version (1 on create, +1 per put, a delete
 * ends the key's life and a later put starts at version 1 again).
 *
 * History: every revision's events (PUT/DELETE with the previous KV) are kept
 * until `compact(R)` drops those below R (reads and watches below R then fail with
 * ErrCompacted). Leases: id -> granted TTL and attached keys; revoking deletes the
 * keys in one revision. Expiry is not decided here (the leader's Lessor does it and
 * proposes a revoke), so every replica's store is a function of the log alone.
 *
 * Seams for testing: a subclass may override `versionOfPut` (it reads past values
 * through the protected `index`) or the public writes; the broken stores that do
 * live in scenarios/etcd/variants.ts.
 */
import { assert } from "../../../sim/assert.ts";
import { compareBytes, fromBinary, keySpan, toBinary } from "../bytes.ts";
import {
  ErrCompacted,
  ErrFutureRev,
  ErrKeyNotFound,
  ErrLeaseExist,
  ErrLeaseNotFound,
  type EtcdError,
} from "../errors.ts";
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  WatchEvent,
} from "../types.ts";
import { checkRangeRequest, checkTxnRequest } from "./check.ts";
import { KeyIndex, type StoredVersion } from "./key-index.ts";

/** Builds the header of a response from the revision it reports. */
export type HeaderOf = (revision: number) => ResponseHeader;

/** A lease's replicated state. */
export interface LeaseRecord {
  readonly id: number;
  /** Granted TTL in seconds. */
  readonly ttl: number;
  /** Attached keys (binary strings). */
  readonly keys: ReadonlySet<string>;
}

/** The choice a txn's compares made, and those of the nested txns on the chosen side. */
interface TxnPath {
  readonly succeeded: boolean;
  readonly ops: readonly RequestOp[];
  readonly nested: Map<TxnRequest, TxnPath>;
}

const EMPTY = new Uint8Array(0);

/** The store (see the file's comment). */
export class MvccStore {
  /** Every key's versions, live and past (reads at a revision go through it). */
  protected readonly index = new KeyIndex();
  private currentRevision = 1;
  private compacted = 0;
  private readonly history = new Map<number, readonly WatchEvent[]>();
  private readonly leases = new Map<
    number,
    { readonly id: number; readonly ttl: number; readonly keys: Set<string> }
  >();

  get revision(): number {
    return this.currentRevision;
  }

  /** The revision of the last compaction (0: never); reads and watches below it fail. */
  get compactRevision(): number {
    return this.compacted;
  }

  // -------------------------------------------------------------------------
  // Reads

  range(request: RangeRequest, header: HeaderOf): RangeResponse | EtcdError {
    const invalid = checkRangeRequest(request) ?? this.checkRevision(request.revision ?? 0);
    if (invalid !== undefined) return invalid;
    return this.rangeAt(request, request.revision || undefined, header);
  }

  /** Events of revisions [from, through], in order (from must be >= compactRevision). */
  events(from: number, through: number): Array<{ readonly revision: number; readonly events: readonly WatchEvent[] }> {
    assert(from >= this.compacted, "events below the compaction point are gone");
    const result: Array<{ revision: number; events: readonly WatchEvent[] }> = [];
    for (let revision = Math.max(from, 2); revision <= Math.min(through, this.currentRevision); revision++) {
      const events = this.history.get(revision);
      assert(events !== undefined, `revision ${revision} has its events`);
      result.push({ revision, events });
    }
    return result;
  }

  lease(id: number): LeaseRecord | undefined {
    return this.leases.get(id);
  }

  leaseIds(): number[] {
    return [...this.leases.keys()].sort((first, second) => first - second);
  }

  // -------------------------------------------------------------------------
  // Writes

  put(request: PutRequest, header: HeaderOf): PutResponse | EtcdError {
    const result = this.txn({ compare: [], success: [{ put: request }], failure: [] }, header);
    if (!("succeeded" in result)) return result;
    return (result.responses[0] as { put: PutResponse }).put;
  }

  deleteRange(request: DeleteRangeRequest, header: HeaderOf): DeleteRangeResponse | EtcdError {
    const result = this.txn({ compare: [], success: [{ deleteRange: request }], failure: [] }, header);
    if (!("succeeded" in result)) return result;
    return (result.responses[0] as { deleteRange: DeleteRangeResponse }).deleteRange;
  }

  /** etcd's applyTxn: checks, compares on the store before the txn, then the chosen ops at one revision. */
  txn(request: TxnRequest, header: HeaderOf): TxnResponse | EtcdError {
    const invalid = checkTxnRequest(request);
    if (invalid !== undefined) return invalid;
    const path = this.choosePath(request);
    const refused = this.checkPath(path);
    if (refused !== undefined) return refused;
    const write = new WriteTxn(this.currentRevision + 1);
    const responses = this.runPath(write, path);
    this.end(write);
    const top = header(this.currentRevision);
    return {
      header: top,
      succeeded: path.succeeded,
      responses: responses.map((response) => withHeader(response, top)),
    };
  }

  /**
   * Drops history below `revision` (etcd's Compact: ErrCompacted at or below the last one, ErrFutureRev above the
   * store).
   */
  compact(revision: number): EtcdError | undefined {
    if (revision <= this.compacted) return new ErrCompacted(this.compacted);
    if (revision > this.currentRevision) return new ErrFutureRev();
    this.compacted = revision;
    this.index.compact(revision);
    for (const stored of [...this.history.keys()]) if (stored < revision) this.history.delete(stored);
    return undefined;
  }

  leaseGrant(id: number, ttl: number): EtcdError | undefined {
    if (this.leases.has(id)) return new ErrLeaseExist();
    assert(
      Number.isSafeInteger(id) && id > 0 && Number.isSafeInteger(ttl) && ttl > 0,
      "a granted lease has a positive id and TTL",
    );
    this.leases.set(id, { id, ttl, keys: new Set() });
    return undefined;
  }

  /** Deletes the lease's keys at one revision (in key order, as etcd's lessor) and forgets it. */
  leaseRevoke(id: number): EtcdError | undefined {
    const lease = this.leases.get(id);
    if (lease === undefined) return new ErrLeaseNotFound();
    const write = new WriteTxn(this.currentRevision + 1);
    for (const key of [...lease.keys].sort()) this.deleteKeys(write, { key: fromBinary(key) }, false);
    this.end(write);
    assert(lease.keys.size === 0, "a revoked lease has no keys left");
    this.leases.delete(id);
    return undefined;
  }

  // -------------------------------------------------------------------------
  // Snapshots

  /** Everything, for a snapshot (snapshot-codec.ts encodes it). */
  state(): StoreState {
    return {
      revision: this.currentRevision,
      compactRevision: this.compacted,
      keys: this.index.entries(),
      history: [...this.history].sort(([first], [second]) => first - second),
      leases: this.leaseIds().map((id) => [id, (this.leases.get(id) as { ttl: number }).ttl] as const),
    };
  }

  /** Replaces everything with `state` (validated by the codec; invariants asserted here). */
  load(state: StoreState): void {
    this.index.load(state.keys);
    this.currentRevision = state.revision;
    this.compacted = state.compactRevision;
    this.history.clear();
    for (const [revision, events] of state.history) this.history.set(revision, events);
    this.leases.clear();
    for (const [id, ttl] of state.leases) this.leases.set(id, { id, ttl, keys: new Set() });
    for (const [key] of state.keys) {
      const kv = this.index.at(key);
      if (kv === undefined || kv.lease === 0) continue;
      const lease = this.leases.get(kv.lease);
      assert(lease !== undefined, "a key's lease exists");
      lease.keys.add(key);
    }
  }

  // -------------------------------------------------------------------------
  // Internals

  private checkRevision(revision: number): EtcdError | undefined {
    if (revision > this.currentRevision) return new ErrFutureRev();
    if (revision !== 0 && revision < this.compacted) return new ErrCompacted(this.compacted);
    return undefined;
  }

  private rangeAt(request: RangeRequest, revision: number | undefined, header: HeaderOf): RangeResponse {
    const kvs: KeyValue[] = [];
    for (const key of this.index.keysIn(keySpan(request.key, request.rangeEnd))) {
      const kv = this.index.at(key, revision);
      if (kv !== undefined) kvs.push(request.keysOnly === true ? { ...kv, value: EMPTY } : kv);
    }
    const count = kvs.length;
    const limit = request.limit ?? 0;
    const shown = request.countOnly === true ? [] : limit > 0 ? kvs.slice(0, limit) : kvs;
    return {
      header: header(revision ?? this.currentRevision),
      kvs: shown,
      more: request.countOnly !== true && shown.length < count,
      count,
    };
  }

  private choosePath(request: TxnRequest): TxnPath {
    const succeeded = request.compare.every((compare) => this.holds(compare));
    const ops = succeeded ? request.success : request.failure;
    const nested = new Map<TxnRequest, TxnPath>();
    for (const op of ops) if ("txn" in op) nested.set(op.txn, this.choosePath(op.txn));
    return { succeeded, ops, nested };
  }

  /** etcd's applyCompare: every key of the range must satisfy it; a value compare on no key fails. */
  private holds(compare: Compare): boolean {
    const kvs: KeyValue[] = [];
    for (const key of this.index.keysIn(keySpan(compare.key, compare.rangeEnd))) {
      const kv = this.index.at(key);
      if (kv !== undefined) kvs.push(kv);
    }
    if (kvs.length === 0) return compare.target !== "value" && compareKv(compare, undefined);
    return kvs.every((kv) => compareKv(compare, kv));
  }

  /** etcd's checkRequests on the chosen path: leases exist, ignored fields have a key, revisions are readable. */
  private checkPath(path: TxnPath): EtcdError | undefined {
    for (const op of path.ops) {
      let error: EtcdError | undefined;
      if ("range" in op) error = this.checkRevision(op.range.revision ?? 0);
      else if ("put" in op) error = this.checkPut(op.put);
      else if ("txn" in op) error = this.checkPath(path.nested.get(op.txn) as TxnPath);
      if (error !== undefined) return error;
    }
    return undefined;
  }

  private checkPut(request: PutRequest): EtcdError | undefined {
    if (request.ignoreValue === true || request.ignoreLease === true) {
      if (this.index.at(toBinary(request.key)) === undefined) return new ErrKeyNotFound();
    }
    const lease = request.lease ?? 0;
    if (request.ignoreLease !== true && lease !== 0 && !this.leases.has(lease)) return new ErrLeaseNotFound();
    return undefined;
  }

  private runPath(write: WriteTxn, path: TxnPath): ResponseOp[] {
    const placeholder: HeaderOf = () => ({ clusterId: 0, memberId: 0, revision: 0, raftTerm: 0 });
    return path.ops.map((op): ResponseOp => {
      if ("range" in op) return { range: this.rangeAt(op.range, op.range.revision || undefined, placeholder) };
      if ("put" in op) return { put: { header: placeholder(0), ...this.putKey(write, op.put) } };
      if ("deleteRange" in op)
        return {
          deleteRange: {
            header: placeholder(0),
            ...this.deleteKeys(write, op.deleteRange, op.deleteRange.prevKv === true),
          },
        };
      const nested = path.nested.get(op.txn) as TxnPath;
      return { txn: { header: placeholder(0), succeeded: nested.succeeded, responses: this.runPath(write, nested) } };
    });
  }

  private putKey(write: WriteTxn, request: PutRequest): { prevKv?: KeyValue } {
    const key = toBinary(request.key);
    const previous = this.index.at(key);
    const lease = request.ignoreLease === true ? (previous?.lease ?? 0) : (request.lease ?? 0);
    const value = request.ignoreValue === true ? (previous?.value ?? EMPTY) : request.value.slice();
    const version = this.versionOfPut(key, previous);
    const kv: KeyValue = {
      key: request.key.slice(),
      createRevision: previous?.createRevision ?? write.revision,
      modRevision: write.revision,
      version,
      value,
      lease,
    };
    this.index.record(key, { modRevision: write.revision, kv });
    if (previous !== undefined && previous.lease !== 0) this.leases.get(previous.lease)?.keys.delete(key);
    if (lease !== 0) {
      const attached = this.leases.get(lease);
      assert(attached !== undefined, "a put's lease was checked to exist");
      attached.keys.add(key);
    }
    write.events.push(previous === undefined ? { type: "PUT", kv } : { type: "PUT", kv, prevKv: previous });
    return request.prevKv === true && previous !== undefined ? { prevKv: previous } : {};
  }

  /**
   * The version a put gives `key` (binary), called before the put is recorded: one
   * more than its live value's, 1 for a key created (again after a delete). A seam
   * for test fixtures.
   */
  protected versionOfPut(_key: string, previous: KeyValue | undefined): number {
    return (previous?.version ?? 0) + 1;
  }

  private deleteKeys(
    write: WriteTxn,
    request: DeleteRangeRequest,
    prevKv: boolean,
  ): { deleted: number; prevKvs: KeyValue[] } {
    const prevKvs: KeyValue[] = [];
    let deleted = 0;
    for (const key of this.index.keysIn(keySpan(request.key, request.rangeEnd))) {
      const previous = this.index.at(key);
      if (previous === undefined) continue;
      deleted++;
      if (prevKv) prevKvs.push(previous);
      this.index.record(key, { modRevision: write.revision, kv: undefined });
      if (previous.lease !== 0) this.leases.get(previous.lease)?.keys.delete(key);
      const tombstone: KeyValue = {
        key: previous.key,
        createRevision: 0,
        modRevision: write.revision,
        version: 0,
        value: EMPTY,
        lease: 0,
      };
      write.events.push({ type: "DELETE", kv: tombstone, prevKv: previous });
    }
    return { deleted, prevKvs };
  }

  private end(write: WriteTxn): void {
    if (write.events.length === 0) return;
    assert(write.revision === this.currentRevision + 1, "a write takes the next revision");
    this.currentRevision = write.revision;
    this.history.set(write.revision, write.events);
  }
}

/** The changes of one write transaction, all at `revision`. */
class WriteTxn {
  readonly events: WatchEvent[] = [];
  constructor(readonly revision: number) {}
}

/** A store's whole state (snapshots). */
export interface StoreState {
  readonly revision: number;
  readonly compactRevision: number;
  readonly keys: ReadonlyArray<readonly [string, readonly StoredVersion[]]>;
  readonly history: ReadonlyArray<readonly [number, readonly WatchEvent[]]>;
  readonly leases: ReadonlyArray<readonly [number, number]>;
}

/** etcd's compareKV; an absent key compares as the zero KeyValue. */
export function compareKv(compare: Compare, kv: KeyValue | undefined): boolean {
  let result: number;
  switch (compare.target) {
    case "value":
      result = compareBytes(kv?.value ?? EMPTY, compare.value);
      break;
    case "version":
      result = Math.sign((kv?.version ?? 0) - compare.version);
      break;
    case "create":
      result = Math.sign((kv?.createRevision ?? 0) - compare.createRevision);
      break;
    case "mod":
      result = Math.sign((kv?.modRevision ?? 0) - compare.modRevision);
      break;
    case "lease":
      result = Math.sign((kv?.lease ?? 0) - compare.lease);
      break;
  }
  switch (compare.result) {
    case "=":
      return result === 0;
    case "!=":
      return result !== 0;
    case ">":
      return result > 0;
    case "<":
      return result < 0;
  }
}

function withHeader(response: ResponseOp, header: ResponseHeader): ResponseOp {
  if ("range" in response) return { range: { ...response.range, header } };
  if ("put" in response) return { put: { ...response.put, header } };
  if ("deleteRange" in response) return { deleteRange: { ...response.deleteRange, header } };
  return {
    txn: { ...response.txn, header, responses: response.txn.responses.map((inner) => withHeader(inner, header)) },
  };
}
