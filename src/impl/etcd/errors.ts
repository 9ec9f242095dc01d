/**
 * etcd's errors as typed classes, with etcd's own messages (rpctypes), and how the
 * server refuses a request on the wire.
 *
 * Every class extends EtcdError and carries a stable `code`. `outcomeUnknown` is
 * true only for ErrOutcomeUnknown: a write that may have been applied (its entry
 * was appended, then leadership was lost or the answer never came). Every other
 * error means the request certainly did not change the store.
 *
 * On the wire a refusal is an RpcError of code APPLICATION whose `details` is an
 * EtcdRefusal: `{ code, message, leader, compactRevision }`. The client rebuilds
 * the same class from it (`errorFromRefusal`).
 */
import { RpcError, type WireValue } from "../../sim/env.ts";

export type EtcdErrorCode =
  | "empty-key"
  | "key-not-found"
  | "value-provided"
  | "lease-provided"
  | "too-many-ops"
  | "duplicate-key"
  | "compacted"
  | "future-rev"
  | "lease-not-found"
  | "lease-exist"
  | "lease-ttl-too-large"
  | "request-too-large"
  | "no-leader"
  | "not-leader"
  | "retry"
  | "outcome-unknown"
  | "invalid-request"
  | "unavailable"
  | "watch-unavailable";

/** Base class of every expected etcd error. */
export abstract class EtcdError extends Error {
  abstract readonly code: EtcdErrorCode;
  /** True when the request may still have taken effect (a history records "info"). */
  get outcomeUnknown(): boolean {
    return false;
  }
}

export class ErrEmptyKey extends EtcdError {
  override readonly name = "ErrEmptyKey";
  readonly code = "empty-key";
  constructor() {
    super("etcdserver: key is not provided");
  }
}

export class ErrKeyNotFound extends EtcdError {
  override readonly name = "ErrKeyNotFound";
  readonly code = "key-not-found";
  constructor() {
    super("etcdserver: key not found");
  }
}

export class ErrValueProvided extends EtcdError {
  override readonly name = "ErrValueProvided";
  readonly code = "value-provided";
  constructor() {
    super("etcdserver: value is provided");
  }
}

export class ErrLeaseProvided extends EtcdError {
  override readonly name = "ErrLeaseProvided";
  readonly code = "lease-provided";
  constructor() {
    super("etcdserver: lease is provided");
  }
}

export class ErrTooManyOps extends EtcdError {
  override readonly name = "ErrTooManyOps";
  readonly code = "too-many-ops";
  constructor() {
    super("etcdserver: too many operations in txn request");
  }
}

export class ErrDuplicateKey extends EtcdError {
  override readonly name = "ErrDuplicateKey";
  readonly code = "duplicate-key";
  constructor() {
    super("etcdserver: duplicate key given in txn request");
  }
}

/** A read or watch at a revision below the compaction point; `compactRevision` is that point. */
export class ErrCompacted extends EtcdError {
  override readonly name = "ErrCompacted";
  readonly code = "compacted";
  constructor(readonly compactRevision: number) {
    super("etcdserver: mvcc: required revision has been compacted");
  }
}

export class ErrFutureRev extends EtcdError {
  override readonly name = "ErrFutureRev";
  readonly code = "future-rev";
  constructor() {
    super("etcdserver: mvcc: required revision is a future revision");
  }
}

export class ErrLeaseNotFound extends EtcdError {
  override readonly name = "ErrLeaseNotFound";
  readonly code = "lease-not-found";
  constructor() {
    super("etcdserver: requested lease not found");
  }
}

export class ErrLeaseExist extends EtcdError {
  override readonly name = "ErrLeaseExist";
  readonly code = "lease-exist";
  constructor() {
    super("etcdserver: lease already exists");
  }
}

export class ErrLeaseTTLTooLarge extends EtcdError {
  override readonly name = "ErrLeaseTTLTooLarge";
  readonly code = "lease-ttl-too-large";
  constructor() {
    super("etcdserver: too large lease TTL");
  }
}

export class ErrRequestTooLarge extends EtcdError {
  override readonly name = "ErrRequestTooLarge";
  readonly code = "request-too-large";
  constructor() {
    super("etcdserver: request is too large");
  }
}

/** No leader could be reached (or the member knows none). The request did not run. */
export class ErrNoLeader extends EtcdError {
  override readonly name = "ErrNoLeader";
  readonly code = "no-leader";
  constructor(detail?: string) {
    super(detail === undefined ? "etcdserver: no leader" : `etcdserver: no leader (${detail})`);
  }
}

/** This member is not the leader; `leader` is the one it knows of. The request did not run. */
export class ErrNotLeader extends EtcdError {
  override readonly name = "ErrNotLeader";
  readonly code = "not-leader";
  constructor(readonly leader: string | null) {
    super("etcdserver: not leader");
  }
}

/** The member could not take the request now (its queue was full, it was stopping); it did not run. */
export class ErrRetry extends EtcdError {
  override readonly name = "ErrRetry";
  readonly code = "retry";
  constructor(detail: string) {
    super(`etcdserver: request not taken, retry (${detail})`);
  }
}

/**
 * A write whose outcome is unknown: it may have been applied, now or later
 * (etcd's "request timed out, possibly due to previous leader failure"). The
 * client never retries it and never reports it as failed.
 */
export class ErrOutcomeUnknown extends EtcdError {
  override readonly name = "ErrOutcomeUnknown";
  readonly code = "outcome-unknown";
  constructor(detail: string) {
    super(`etcdserver: request timed out, possibly due to previous leader failure (${detail})`);
  }
  override get outcomeUnknown(): boolean {
    return true;
  }
}

/** A malformed request (a field of the wrong type or out of range). It never ran. */
export class ErrInvalidRequest extends EtcdError {
  override readonly name = "ErrInvalidRequest";
  readonly code = "invalid-request";
}

/** Every attempt of a read failed before reaching a leader; nothing changed. */
export class ErrUnavailable extends EtcdError {
  override readonly name = "ErrUnavailable";
  readonly code = "unavailable";
}

/** A watch could not reconnect within its attempt limit. Events up to `nextRevision - 1` were delivered. */
export class ErrWatchUnavailable extends EtcdError {
  override readonly name = "ErrWatchUnavailable";
  readonly code = "watch-unavailable";
  constructor(
    readonly nextRevision: number,
    detail: string,
  ) {
    super(`etcd watch could not resume at revision ${nextRevision}: ${detail}`);
  }
}

/** The `details` of a refusal on the wire. */
export interface EtcdRefusal {
  readonly code: EtcdErrorCode;
  readonly message: string;
  readonly leader: string | null;
  readonly compactRevision: number | null;
}

const CODES: ReadonlySet<string> = new Set<EtcdErrorCode>([
  "empty-key",
  "key-not-found",
  "value-provided",
  "lease-provided",
  "too-many-ops",
  "duplicate-key",
  "compacted",
  "future-rev",
  "lease-not-found",
  "lease-exist",
  "lease-ttl-too-large",
  "request-too-large",
  "no-leader",
  "not-leader",
  "retry",
  "outcome-unknown",
  "invalid-request",
  "unavailable",
  "watch-unavailable",
]);

/** The RpcError a server throws to refuse with `error`. */
export function refusalFor(error: EtcdError): RpcError {
  const details: EtcdRefusal = {
    code: error.code,
    message: error.message,
    leader: error instanceof ErrNotLeader ? error.leader : null,
    compactRevision: error instanceof ErrCompacted ? error.compactRevision : null,
  };
  return new RpcError("APPLICATION", error.message, details as unknown as WireValue);
}

/** The refusal an RpcError carries, if it is one. */
export function refusalOf(error: RpcError): EtcdRefusal | undefined {
  if (error.code !== "APPLICATION") return undefined;
  const details = error.details;
  if (typeof details !== "object" || details === null || Array.isArray(details) || details instanceof Uint8Array)
    return undefined;
  const record = details as Record<string, unknown>;
  if (typeof record.code !== "string" || !CODES.has(record.code)) return undefined;
  return {
    code: record.code as EtcdErrorCode,
    message: typeof record.message === "string" ? record.message : "",
    leader: typeof record.leader === "string" ? record.leader : null,
    compactRevision: typeof record.compactRevision === "number" ? record.compactRevision : null,
  };
}

/** The typed error a refusal stands for. */
export function errorFromRefusal(refusal: EtcdRefusal): EtcdError {
  switch (refusal.code) {
    case "empty-key":
      return new ErrEmptyKey();
    case "key-not-found":
      return new ErrKeyNotFound();
    case "value-provided":
      return new ErrValueProvided();
    case "lease-provided":
      return new ErrLeaseProvided();
    case "too-many-ops":
      return new ErrTooManyOps();
    case "duplicate-key":
      return new ErrDuplicateKey();
    case "compacted":
      return new ErrCompacted(refusal.compactRevision ?? 0);
    case "future-rev":
      return new ErrFutureRev();
    case "lease-not-found":
      return new ErrLeaseNotFound();
    case "lease-exist":
      return new ErrLeaseExist();
    case "lease-ttl-too-large":
      return new ErrLeaseTTLTooLarge();
    case "request-too-large":
      return new ErrRequestTooLarge();
    case "no-leader":
      return new ErrNoLeader();
    case "not-leader":
      return new ErrNotLeader(refusal.leader);
    case "retry":
      return new ErrRetry(refusal.message);
    case "outcome-unknown":
      return new ErrOutcomeUnknown(refusal.message);
    case "invalid-request":
      return new ErrInvalidRequest(refusal.message);
    case "unavailable":
      return new ErrUnavailable(refusal.message);
    case "watch-unavailable":
      return new ErrWatchUnavailable(0, refusal.message);
  }
}
