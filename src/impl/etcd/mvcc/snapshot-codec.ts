/**
 * The etcd FSM's snapshot: the whole MvccStore (revision, compaction point, every
 * key's versions, the events of every retained revision, the leases) as msgpack,
 * behind a magic string and a format version. Decoding checks every field and the
 * store's invariants (revisions in order, events for every retained revision,
 * leases of live keys exist); anything else is an ErrSnapshotInvalid, never a
 * crash or a silently wrong store.
 */
import { decode, encode } from "../../common/msgpack.ts";
import { fromBinary, toBinary } from "../bytes.ts";
import type { EventType, KeyValue, WatchEvent } from "../types.ts";
import type { StoredVersion } from "./key-index.ts";
import type { StoreState } from "./store.ts";

const MAGIC = "etcd-mvcc-snapshot";
const FORMAT_VERSION = 1;

/** A snapshot's bytes are not a store this code wrote. */
export class ErrSnapshotInvalid extends Error {
  override readonly name = "ErrSnapshotInvalid";
}

type WireKv = [Uint8Array, number, number, number, Uint8Array, number];

function kvToWire(kv: KeyValue): WireKv {
  return [kv.key, kv.createRevision, kv.modRevision, kv.version, kv.value, kv.lease];
}

export function encodeSnapshot(state: StoreState): Uint8Array {
  return encode({
    magic: MAGIC,
    version: FORMAT_VERSION,
    revision: state.revision,
    compactRevision: state.compactRevision,
    keys: state.keys.map(([key, versions]) => [
      fromBinary(key),
      versions.map((version) =>
        version.kv === undefined ? [version.modRevision] : [version.modRevision, kvToWire(version.kv)],
      ),
    ]),
    history: state.history.map(([revision, events]) => [
      revision,
      events.map((event) => [
        event.type,
        kvToWire(event.kv),
        event.prevKv === undefined ? null : kvToWire(event.prevKv),
      ]),
    ]),
    leases: state.leases.map(([id, ttl]) => [id, ttl]),
  });
}

function check(condition: boolean, problem: string): asserts condition {
  if (!condition) throw new ErrSnapshotInvalid(`etcd snapshot: ${problem}`);
}

function integer(value: unknown, what: string): number {
  check(
    typeof value === "number" && Number.isSafeInteger(value) && value >= 0,
    `${what} is not a non-negative integer`,
  );
  return value as number;
}

function array(value: unknown, what: string): unknown[] {
  check(Array.isArray(value), `${what} is not an array`);
  return value as unknown[];
}

function bytes(value: unknown, what: string): Uint8Array {
  check(value instanceof Uint8Array, `${what} is not bytes`);
  return (value as Uint8Array).slice();
}

function kvOf(value: unknown, what: string): KeyValue {
  const fields = array(value, what);
  check(fields.length === 6, `${what} has ${fields.length} fields`);
  return {
    key: bytes(fields[0], `${what}.key`),
    createRevision: integer(fields[1], `${what}.createRevision`),
    modRevision: integer(fields[2], `${what}.modRevision`),
    version: integer(fields[3], `${what}.version`),
    value: bytes(fields[4], `${what}.value`),
    lease: integer(fields[5], `${what}.lease`),
  };
}

function versionsOf(value: unknown, key: string, what: string): StoredVersion[] {
  const versions = array(value, what).map((entry, position): StoredVersion => {
    const fields = array(entry, `${what}[${position}]`);
    const modRevision = integer(fields[0], `${what}[${position}].modRevision`);
    if (fields.length === 1) return { modRevision, kv: undefined };
    check(fields.length === 2, `${what}[${position}] has ${fields.length} fields`);
    const kv = kvOf(fields[1], `${what}[${position}].kv`);
    check(
      kv.modRevision === modRevision && toBinary(kv.key) === key,
      `${what}[${position}] does not match its key and revision`,
    );
    return { modRevision, kv };
  });
  check(versions.length > 0, `${what} is empty`);
  versions.forEach((version, position) =>
    check(
      position === 0 || version.modRevision > (versions[position - 1] as StoredVersion).modRevision,
      `${what} is out of revision order`,
    ),
  );
  return versions;
}

function eventOf(value: unknown, what: string): WatchEvent {
  const fields = array(value, what);
  check(fields.length === 3 && (fields[0] === "PUT" || fields[0] === "DELETE"), `${what} is not an event`);
  const kv = kvOf(fields[1], `${what}.kv`);
  return fields[2] === null
    ? { type: fields[0] as EventType, kv }
    : { type: fields[0] as EventType, kv, prevKv: kvOf(fields[2], `${what}.prevKv`) };
}

/** The store state in `data` (see the file's comment). */
export function decodeSnapshot(data: Uint8Array): StoreState {
  let value: unknown;
  try {
    value = decode(data);
  } catch (error) {
    throw new ErrSnapshotInvalid(
      `etcd snapshot: not msgpack: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  check(typeof value === "object" && value !== null && !Array.isArray(value), "not an object");
  const fields = value as Record<string, unknown>;
  check(fields.magic === MAGIC && fields.version === FORMAT_VERSION, "unknown magic or format version");
  const revision = integer(fields.revision, "revision");
  const compactRevision = integer(fields.compactRevision, "compactRevision");
  check(revision >= 1 && compactRevision <= revision, "revision or compaction point out of range");
  const keys = array(fields.keys, "keys").map((entry, position): readonly [string, StoredVersion[]] => {
    const pair = array(entry, `keys[${position}]`);
    const key = toBinary(bytes(pair[0], `keys[${position}].key`));
    const versions = versionsOf(pair[1], key, `keys[${position}].versions`);
    check(
      versions.every((version) => version.modRevision <= revision),
      `keys[${position}] has a version above the store's revision`,
    );
    return [key, versions];
  });
  check(new Set(keys.map(([key]) => key)).size === keys.length, "a key appears twice");
  const history = array(fields.history, "history").map((entry, position): readonly [number, WatchEvent[]] => {
    const pair = array(entry, `history[${position}]`);
    const at = integer(pair[0], `history[${position}].revision`);
    return [
      at,
      array(pair[1], `history[${position}].events`).map((event, index) =>
        eventOf(event, `history[${position}].events[${index}]`),
      ),
    ];
  });
  const first = Math.max(2, compactRevision);
  check(
    history.length === Math.max(0, revision - first + 1) && history.every(([at], position) => at === first + position),
    "the history does not hold exactly the retained revisions",
  );
  const leases = array(fields.leases, "leases").map((entry, position): readonly [number, number] => {
    const pair = array(entry, `leases[${position}]`);
    const id = integer(pair[0], `leases[${position}].id`);
    const ttl = integer(pair[1], `leases[${position}].ttl`);
    check(id > 0 && ttl > 0, `leases[${position}] has a zero id or TTL`);
    return [id, ttl];
  });
  const leaseIds = new Set(leases.map(([id]) => id));
  check(leaseIds.size === leases.length, "a lease appears twice");
  for (const [, versions] of keys) {
    const latest = (versions[versions.length - 1] as StoredVersion).kv;
    check(latest === undefined || latest.lease === 0 || leaseIds.has(latest.lease), "a live key's lease is missing");
  }
  return { revision, compactRevision, keys, history, leases };
}
