/**
 * Converts the core's values (entries, hard state, snapshot metadata, messages)
 * to and from WireValues: what the RPC layer sends and what the stores encode with
 * msgpack. Decoding checks every field and throws MalformedValueError on anything
 * unexpected, so that a damaged or hostile input never reaches the core.
 */
import type { Configuration, EntryKind, HardState, LogEntry, Message, SnapshotMetadata } from "../core/index.ts";
import type { WireValue } from "../../../sim/env.ts";

/** A value from the wire or the disk that is not what it claims to be. */
export class MalformedValueError extends Error {
  override readonly name = "MalformedValueError";
}

type WireObject = { readonly [key: string]: WireValue | undefined };

function object(value: WireValue | undefined, what: string): WireObject {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new MalformedValueError(`${what}: expected an object`);
  }
  return value as WireObject;
}

function integer(value: WireValue | undefined, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new MalformedValueError(`${what}: expected a non-negative integer`);
  return value;
}

function text(value: WireValue | undefined, what: string): string {
  if (typeof value !== "string") throw new MalformedValueError(`${what}: expected a string`);
  return value;
}

function flag(value: WireValue | undefined, what: string): boolean {
  if (typeof value !== "boolean") throw new MalformedValueError(`${what}: expected a boolean`);
  return value;
}

function bytes(value: WireValue | undefined, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new MalformedValueError(`${what}: expected bytes`);
  return value;
}

function configuration(value: WireValue | undefined, what: string): Configuration {
  if (!Array.isArray(value)) throw new MalformedValueError(`${what}: expected a list of voters`);
  return { voters: (value as readonly WireValue[]).map((voter, index) => text(voter, `${what}[${index}]`)) };
}

const ENTRY_KINDS: readonly EntryKind[] = ["command", "noop", "configuration", "barrier"];

/** An entry as a WireValue (its configuration as a list of voters). */
export function encodeEntry(entry: LogEntry): WireValue {
  const encoded: Record<string, WireValue> = {
    index: entry.index,
    term: entry.term,
    kind: entry.kind,
    data: entry.data,
  };
  if (entry.configuration !== undefined) encoded.voters = entry.configuration.voters;
  return encoded;
}

/** The entry `value` encodes; throws MalformedValueError otherwise. */
export function decodeEntry(value: WireValue | undefined): LogEntry {
  const fields = object(value, "entry");
  const kind = text(fields.kind, "entry.kind") as EntryKind;
  if (!ENTRY_KINDS.includes(kind)) throw new MalformedValueError(`entry.kind: unknown kind ${kind}`);
  const entry = {
    index: integer(fields.index, "entry.index"),
    term: integer(fields.term, "entry.term"),
    kind,
    data: bytes(fields.data, "entry.data"),
  };
  if (kind !== "configuration") return entry;
  return { ...entry, configuration: configuration(fields.voters, "entry.voters") };
}

/** The hard state as a WireValue (no vote: null). */
export function encodeHardState(state: HardState): WireValue {
  return { term: state.term, votedFor: state.votedFor ?? null };
}

/** The hard state `value` encodes; throws MalformedValueError otherwise. */
export function decodeHardState(value: WireValue | undefined): HardState {
  const fields = object(value, "hard state");
  const votedFor = fields.votedFor === null ? undefined : text(fields.votedFor, "hardState.votedFor");
  return { term: integer(fields.term, "hardState.term"), votedFor };
}

/** Snapshot metadata as a WireValue. */
export function encodeSnapshotMetadata(metadata: SnapshotMetadata): WireValue {
  return {
    index: metadata.index,
    term: metadata.term,
    voters: metadata.configuration.voters,
    configurationIndex: metadata.configurationIndex,
  };
}

/** The snapshot metadata `value` encodes; throws MalformedValueError otherwise. */
export function decodeSnapshotMetadata(value: WireValue | undefined): SnapshotMetadata {
  const fields = object(value, "snapshot");
  return {
    index: integer(fields.index, "snapshot.index"),
    term: integer(fields.term, "snapshot.term"),
    configuration: configuration(fields.voters, "snapshot.voters"),
    configurationIndex: integer(fields.configurationIndex, "snapshot.configurationIndex"),
  };
}

/** A message as a WireValue (every field, entries and snapshot metadata included). */
export function encodeMessage(message: Message): WireValue {
  const encoded: Record<string, WireValue> = {};
  const fields = message as unknown as Record<string, WireValue>;
  for (const key in fields) {
    const value = fields[key] as WireValue;
    if (key === "entries") encoded.entries = (value as unknown as readonly LogEntry[]).map(encodeEntry);
    else if (key === "snapshot") encoded.snapshot = encodeSnapshotMetadata(value as unknown as SnapshotMetadata);
    else encoded[key] = value;
  }
  return encoded;
}

/** Decodes and checks a message; throws MalformedValueError on any unexpected field. (A hot path: no closures.) */
export function decodeMessage(value: WireValue | undefined): Message {
  const fields = object(value, "message");
  const from = text(fields.from, "message.from");
  const to = text(fields.to, "message.to");
  const term = integer(fields.term, "message.term");
  const type = text(fields.type, "message.type");
  switch (type) {
    case "request-vote":
    case "request-vote-response":
      return decodeVoteMessage(from, to, term, type, fields);
    case "append-entries":
    case "append-entries-response":
      return decodeAppendMessage(from, to, term, type, fields);
    case "heartbeat":
      return {
        from,
        to,
        term,
        type,
        leaderCommit: field(fields, type, "leaderCommit"),
        sequence: field(fields, type, "sequence"),
      };
    case "heartbeat-response":
      return { from, to, term, type, sequence: field(fields, type, "sequence") };
    case "install-snapshot":
      return {
        from,
        to,
        term,
        type,
        snapshot: decodeSnapshotMetadata(fields.snapshot),
        sequence: field(fields, type, "sequence"),
      };
    case "timeout-now":
      return { from, to, term, type };
    default:
      throw new MalformedValueError(`unknown message type ${type}`);
  }
}

/** A vote request or its answer (decodeMessage's part for elections). */
function decodeVoteMessage(
  from: string,
  to: string,
  term: number,
  type: "request-vote" | "request-vote-response",
  fields: WireObject,
): Message {
  if (type === "request-vote") {
    return {
      from,
      to,
      term,
      type,
      lastLogIndex: field(fields, type, "lastLogIndex"),
      lastLogTerm: field(fields, type, "lastLogTerm"),
      preVote: flagField(fields, type, "preVote"),
      transfer: flagField(fields, type, "transfer"),
    };
  }
  return {
    from,
    to,
    term,
    type,
    granted: flagField(fields, type, "granted"),
    preVote: flagField(fields, type, "preVote"),
  };
}

/** An append or its answer (decodeMessage's part for replication). */
function decodeAppendMessage(
  from: string,
  to: string,
  term: number,
  type: "append-entries" | "append-entries-response",
  fields: WireObject,
): Message {
  if (type === "append-entries") {
    if (!Array.isArray(fields.entries)) throw new MalformedValueError("append-entries.entries: expected a list");
    const entries = (fields.entries as readonly WireValue[]).map(decodeEntry);
    return {
      from,
      to,
      term,
      type,
      prevLogIndex: field(fields, type, "prevLogIndex"),
      prevLogTerm: field(fields, type, "prevLogTerm"),
      entries,
      leaderCommit: field(fields, type, "leaderCommit"),
      sequence: field(fields, type, "sequence"),
    };
  }
  return {
    from,
    to,
    term,
    type,
    success: flagField(fields, type, "success"),
    matchIndex: field(fields, type, "matchIndex"),
    rejectedIndex: field(fields, type, "rejectedIndex"),
    hintIndex: field(fields, type, "hintIndex"),
    hintTerm: field(fields, type, "hintTerm"),
    sequence: field(fields, type, "sequence"),
  };
}

/** A message's non-negative integer field `key` (named `type.key` in errors). */
function field(fields: WireObject, type: string, key: string): number {
  const value = fields[key];
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  return integer(value, `${type}.${key}`);
}

/** A message's boolean field `key`. */
function flagField(fields: WireObject, type: string, key: string): boolean {
  const value = fields[key];
  if (typeof value === "boolean") return value;
  return flag(value, `${type}.${key}`);
}
