/**
 * Small builders for compares and ops (clientv3's Compare/OpPut/OpGet/OpDelete and
 * Txn().If().Then().Else().Commit()), taking strings or bytes for keys and values.
 */
import { prefixEnd, toBytes } from "../bytes.ts";
import type { Compare, CompareResult, RequestOp, TxnRequest, TxnResponse } from "../types.ts";

type Bytes = string | Uint8Array;

/** Options of a get or delete: a range end, or every key with `key` as prefix. */
export interface KeyRangeOptions {
  readonly rangeEnd?: Bytes;
  readonly prefix?: boolean;
}

/** The range end of `options` for `key` (undefined: the single key). */
export function rangeEndOf(key: Bytes, options: KeyRangeOptions | undefined): Uint8Array | undefined {
  if (options?.prefix === true) return prefixEnd(key);
  return options?.rangeEnd === undefined ? undefined : toBytes(options.rangeEnd);
}

/** Compare builders: `Compares.value("k", "=", "v")`, `Compares.createRevision("k", "=", 0)`, ... */
export const Compares = {
  value: (key: Bytes, result: CompareResult, value: Bytes): Compare => ({
    key: toBytes(key),
    result,
    target: "value",
    value: toBytes(value),
  }),
  version: (key: Bytes, result: CompareResult, version: number): Compare => ({
    key: toBytes(key),
    result,
    target: "version",
    version,
  }),
  createRevision: (key: Bytes, result: CompareResult, createRevision: number): Compare => ({
    key: toBytes(key),
    result,
    target: "create",
    createRevision,
  }),
  modRevision: (key: Bytes, result: CompareResult, modRevision: number): Compare => ({
    key: toBytes(key),
    result,
    target: "mod",
    modRevision,
  }),
  lease: (key: Bytes, result: CompareResult, lease: number): Compare => ({
    key: toBytes(key),
    result,
    target: "lease",
    lease,
  }),
};

/** Op builders for txn branches. */
export const Ops = {
  get: (
    key: Bytes,
    options?: KeyRangeOptions & {
      readonly limit?: number;
      readonly revision?: number;
      readonly keysOnly?: boolean;
      readonly countOnly?: boolean;
    },
  ): RequestOp => {
    const rangeEnd = rangeEndOf(key, options);
    return {
      range: {
        key: toBytes(key),
        ...(rangeEnd !== undefined ? { rangeEnd } : {}),
        limit: options?.limit ?? 0,
        revision: options?.revision ?? 0,
        keysOnly: options?.keysOnly ?? false,
        countOnly: options?.countOnly ?? false,
      },
    };
  },
  put: (key: Bytes, value: Bytes, options?: { readonly lease?: number; readonly prevKv?: boolean }): RequestOp => ({
    put: { key: toBytes(key), value: toBytes(value), lease: options?.lease ?? 0, prevKv: options?.prevKv ?? false },
  }),
  delete: (key: Bytes, options?: KeyRangeOptions & { readonly prevKv?: boolean }): RequestOp => {
    const rangeEnd = rangeEndOf(key, options);
    return {
      deleteRange: {
        key: toBytes(key),
        ...(rangeEnd !== undefined ? { rangeEnd } : {}),
        prevKv: options?.prevKv ?? false,
      },
    };
  },
  txn: (request: TxnRequest): RequestOp => ({ txn: request }),
};

/** clientv3's Txn: `client.txn().if(...).then(...).else(...).commit()`. */
export class TxnBuilder {
  private readonly compares: Compare[] = [];
  private readonly success: RequestOp[] = [];
  private readonly failure: RequestOp[] = [];

  constructor(private readonly run: (request: TxnRequest) => Promise<TxnResponse>) {}

  if(...compares: Compare[]): this {
    this.compares.push(...compares);
    return this;
  }

  then(...ops: RequestOp[]): this {
    this.success.push(...ops);
    return this;
  }

  else(...ops: RequestOp[]): this {
    this.failure.push(...ops);
    return this;
  }

  request(): TxnRequest {
    return { compare: [...this.compares], success: [...this.success], failure: [...this.failure] };
  }

  commit(): Promise<TxnResponse> {
    return this.run(this.request());
  }
}
