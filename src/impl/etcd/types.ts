/**
 * etcd v3's request and response messages (etcdserverpb, mvccpb) in TypeScript
 * idiom: camelCase fields, Uint8Array keys and values, numbers for revisions,
 * versions and lease ids (all below 2^53), tagged unions for oneofs.
 */

/** mvccpb.KeyValue. `version` is 1 at creation, +1 per put; a delete ends the key (a later put starts again at 1). */
export interface KeyValue {
  readonly key: Uint8Array;
  /** Revision of the put that created the key (in its current life). */
  readonly createRevision: number;
  /** Revision of the last change. */
  readonly modRevision: number;
  readonly version: number;
  readonly value: Uint8Array;
  /** The lease attached, 0 for none. */
  readonly lease: number;
}

/** etcdserverpb.ResponseHeader. */
export interface ResponseHeader {
  readonly clusterId: number;
  readonly memberId: number;
  /** The store's revision when the request was served (for a write: the write's revision). */
  readonly revision: number;
  readonly raftTerm: number;
}

export interface RangeRequest {
  readonly key: Uint8Array;
  /** Empty or absent: the single key; "\x00": every key >= key; else [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  /** At most this many kvs (0: no limit). */
  readonly limit?: number;
  /** Read at this revision (0: the current one). */
  readonly revision?: number;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  /** Served from the member's own replica without a leadership check (may be stale). */
  readonly serializable?: boolean;
}

export interface RangeResponse {
  readonly header: ResponseHeader;
  readonly kvs: readonly KeyValue[];
  /** True when `limit` cut the result. */
  readonly more: boolean;
  /** Keys in the range (whatever the limit). */
  readonly count: number;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly lease?: number;
  readonly prevKv?: boolean;
  /** Keep the key's current value (the key must exist; `value` must be empty). */
  readonly ignoreValue?: boolean;
  /** Keep the key's current lease (the key must exist; `lease` must be 0). */
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly header: ResponseHeader;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

export type CompareResult = "=" | "!=" | "<" | ">";

/** etcdserverpb.Compare: one target of the key (or of every key of [key, rangeEnd)). */
export type Compare = {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly result: CompareResult;
} & (
  | { readonly target: "version"; readonly version: number }
  | { readonly target: "create"; readonly createRevision: number }
  | { readonly target: "mod"; readonly modRevision: number }
  | { readonly target: "value"; readonly value: Uint8Array }
  | { readonly target: "lease"; readonly lease: number }
);

export type RequestOp =
  | { readonly range: RangeRequest }
  | { readonly put: PutRequest }
  | { readonly deleteRange: DeleteRangeRequest }
  | { readonly txn: TxnRequest };

export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly success: readonly RequestOp[];
  readonly failure: readonly RequestOp[];
}

export type ResponseOp =
  | { readonly range: RangeResponse }
  | { readonly put: PutResponse }
  | { readonly deleteRange: DeleteRangeResponse }
  | { readonly txn: TxnResponse };

export interface TxnResponse {
  readonly header: ResponseHeader;
  /** True when every compare held (the success branch ran). */
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}

export interface CompactionResponse {
  readonly header: ResponseHeader;
}

export interface LeaseGrantResponse {
  readonly header: ResponseHeader;
  readonly id: number;
  /** The TTL granted, in seconds (raised to the minimum TTL when asked for less). */
  readonly ttl: number;
}

export interface LeaseRevokeResponse {
  readonly header: ResponseHeader;
}

export interface LeaseKeepAliveResponse {
  readonly header: ResponseHeader;
  readonly id: number;
  /** The renewed TTL in seconds; 0 when the lease no longer exists (expired or revoked). */
  readonly ttl: number;
}

export interface LeaseTimeToLiveResponse {
  readonly header: ResponseHeader;
  readonly id: number;
  /** Seconds left (rounded up); -1 when the lease does not exist. */
  readonly ttl: number;
  readonly grantedTtl: number;
  readonly keys: readonly Uint8Array[];
}

export type EventType = "PUT" | "DELETE";

/** mvccpb.Event: for a DELETE, `kv` holds the key and the delete's modRevision only. */
export interface WatchEvent {
  readonly type: EventType;
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/** What a watch hands its caller: the events of one or more revisions, in order, never a revision split. */
export interface WatchResponse {
  readonly header: ResponseHeader;
  readonly events: readonly WatchEvent[];
}
