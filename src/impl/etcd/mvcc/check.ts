/**
 * The checks etcd makes of a request before it proposes it (etcdserver/api/v3rpc
 * key.go: checkRangeRequest, checkPutRequest, checkDeleteRequest,
 * checkTxnRequest, checkIntervals). They depend on the request alone, so the FSM
 * runs them again on every command it applies: a command that fails them changes
 * nothing, on every replica alike.
 */
import { inSpan, keySpan, type KeySpan, toBinary } from "../bytes.ts";
import {
  ErrDuplicateKey,
  ErrEmptyKey,
  ErrLeaseProvided,
  ErrTooManyOps,
  ErrValueProvided,
  type EtcdError,
} from "../errors.ts";
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from "../types.ts";

/** etcd's --max-txn-ops default: compares, and ops of each branch, at most. */
export const MAX_TXN_OPS = 128;
/** etcd's --max-request-bytes default: 1.5 MiB. */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

export function checkRangeRequest(request: RangeRequest): EtcdError | undefined {
  return request.key.length === 0 ? new ErrEmptyKey() : undefined;
}

export function checkPutRequest(request: PutRequest): EtcdError | undefined {
  if (request.key.length === 0) return new ErrEmptyKey();
  if (request.ignoreValue === true && request.value.length !== 0) return new ErrValueProvided();
  if (request.ignoreLease === true && (request.lease ?? 0) !== 0) return new ErrLeaseProvided();
  return undefined;
}

export function checkDeleteRequest(request: DeleteRangeRequest): EtcdError | undefined {
  return request.key.length === 0 ? new ErrEmptyKey() : undefined;
}

/** checkTxnRequest: op counts at every level, each op's own check, then no key written twice in a branch. */
export function checkTxnRequest(request: TxnRequest, maxTxnOps = MAX_TXN_OPS): EtcdError | undefined {
  const counts = checkOps(request, maxTxnOps);
  if (counts !== undefined) return counts;
  for (const branch of [request.success, request.failure]) {
    const intervals = checkIntervals(branch);
    if (intervals instanceof Error) return intervals;
  }
  return undefined;
}

function checkOps(request: TxnRequest, maxTxnOps: number): EtcdError | undefined {
  if (request.compare.length > maxTxnOps || request.success.length > maxTxnOps || request.failure.length > maxTxnOps)
    return new ErrTooManyOps();
  for (const op of [...request.success, ...request.failure]) {
    const error =
      "range" in op
        ? checkRangeRequest(op.range)
        : "put" in op
          ? checkPutRequest(op.put)
          : "deleteRange" in op
            ? checkDeleteRequest(op.deleteRange)
            : checkOps(op.txn, maxTxnOps);
    if (error !== undefined) return error;
  }
  return undefined;
}

interface Intervals {
  /** Binary keys put in this branch (nested txns included). */
  readonly puts: Set<string>;
  readonly deletes: KeySpan[];
}

/**
 * etcd's checkIntervals: within one branch (nested txns included) a key may be put
 * once, and never inside a range the branch deletes. A key put in both branches of
 * a nested txn is fine: only one of them runs.
 */
export function checkIntervals(ops: readonly RequestOp[]): Intervals | ErrDuplicateKey {
  const deletes: KeySpan[] = [];
  for (const op of ops) if ("deleteRange" in op) deletes.push(keySpan(op.deleteRange.key, op.deleteRange.rangeEnd));
  const puts = new Set<string>();
  const deleted = (key: string) => deletes.some((span) => inSpan(span, key));
  for (const op of ops) {
    if (!("txn" in op)) continue;
    const then = checkIntervals(op.txn.success);
    if (then instanceof Error) return then;
    const otherwise = checkIntervals(op.txn.failure);
    if (otherwise instanceof Error) return otherwise;
    for (const key of then.puts) {
      if (puts.has(key) || deleted(key)) return new ErrDuplicateKey();
      puts.add(key);
    }
    for (const key of otherwise.puts) {
      if ((puts.has(key) && !then.puts.has(key)) || deleted(key)) return new ErrDuplicateKey();
      puts.add(key);
    }
    deletes.push(...then.deletes, ...otherwise.deletes);
  }
  for (const op of ops) {
    if (!("put" in op)) continue;
    const key = toBinary(op.put.key);
    if (puts.has(key) || deleted(key)) return new ErrDuplicateKey();
    puts.add(key);
  }
  return { puts, deletes };
}
