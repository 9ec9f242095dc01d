/**
 * The commands the etcd FSM applies (etcd's InternalRaftRequest), and their
 * encoding as Raft log entries: msgpack of `{ type, ... }` with the request in its
 * wire form, decoded with every field checked (wire.ts). Bytes that are no valid
 * command are applied as nothing (the FSM answers ErrInvalidRequest), so a bad
 * entry can never make replicas diverge or crash.
 */
import { decode, encode } from "../common/msgpack.ts";
import { ErrInvalidRequest } from "./errors.ts";
import type { DeleteRangeRequest, PutRequest, TxnRequest } from "./types.ts";
import {
  decodeDeleteRangeRequest,
  decodePutRequest,
  decodeTxnRequest,
  fieldsOf,
  integerField,
  MAX_LEASE_TTL_SECONDS,
} from "./wire.ts";

export type EtcdCommand =
  | { readonly type: "put"; readonly request: PutRequest }
  | { readonly type: "deleteRange"; readonly request: DeleteRangeRequest }
  | { readonly type: "txn"; readonly request: TxnRequest }
  | { readonly type: "compact"; readonly revision: number }
  /** `id` is chosen by the proposing leader; `ttl` is already raised to the minimum TTL. */
  | { readonly type: "leaseGrant"; readonly id: number; readonly ttl: number }
  /** `expired`: proposed by the leader's lessor because the lease's TTL ran out (etcd's revoke on expiry). */
  | { readonly type: "leaseRevoke"; readonly id: number; readonly expired: boolean };

/** The command as log-entry bytes. */
export function encodeCommand(command: EtcdCommand): Uint8Array {
  return encode(command, { ignoreUndefined: true });
}

/** The command in `data`, or an ErrInvalidRequest saying what is wrong with it. */
export function decodeCommand(data: Uint8Array): EtcdCommand | ErrInvalidRequest {
  let value: unknown;
  try {
    value = decode(data);
  } catch (error) {
    return new ErrInvalidRequest(
      `etcdserver: malformed command: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    return commandOf(value);
  } catch (error) {
    if (error instanceof ErrInvalidRequest) return error;
    throw error;
  }
}

function commandOf(value: unknown): EtcdCommand {
  const fields = fieldsOf(value, "command");
  switch (fields.type) {
    case "put":
      return { type: "put", request: decodePutRequest(fields.request, "command.request") };
    case "deleteRange":
      return { type: "deleteRange", request: decodeDeleteRangeRequest(fields.request, "command.request") };
    case "txn":
      return { type: "txn", request: decodeTxnRequest(fields.request, "command.request") };
    case "compact":
      return { type: "compact", revision: integerField(fields, "revision", "command") };
    case "leaseGrant": {
      const id = integerField(fields, "id", "command");
      const ttl = integerField(fields, "ttl", "command");
      if (id === 0 || ttl === 0 || ttl > MAX_LEASE_TTL_SECONDS)
        throw new ErrInvalidRequest("etcdserver: malformed command: lease grant id and ttl out of range");
      return { type: "leaseGrant", id, ttl };
    }
    case "leaseRevoke":
      if (typeof fields.expired !== "boolean")
        throw new ErrInvalidRequest("etcdserver: malformed command: command.expired: expected a boolean");
      return { type: "leaseRevoke", id: integerField(fields, "id", "command"), expired: fields.expired };
    default:
      throw new ErrInvalidRequest("etcdserver: malformed command: command.type: unknown");
  }
}
