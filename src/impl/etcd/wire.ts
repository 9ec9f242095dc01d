/**
 * Requests as they cross the wire (RPC payloads and Raft log entries): plain
 * msgpack-able objects shaped like types.ts, decoded here with every field
 * checked. Anything malformed (a wrong type, a negative revision, an unknown
 * compare target, too deep a nesting) is an ErrInvalidRequest naming the field;
 * never a crash. Absent optional fields may come as undefined or null.
 */
import type { WireValue } from "../../sim/env.ts";
import { ErrInvalidRequest } from "./errors.ts";
import type {
  Compare,
  CompareResult,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from "./types.ts";

/** Deepest nesting of txns in a request (etcd has none but its message size; this bounds the recursion). */
export const TXN_NESTING_MAX = 8;
/** The largest lease TTL in seconds (etcd's MaxLeaseTTL). */
export const MAX_LEASE_TTL_SECONDS = 9_000_000_000;

type Fields = Record<string, unknown>;

function fail(where: string, problem: string): never {
  throw new ErrInvalidRequest(`etcdserver: malformed request: ${where}: ${problem}`);
}

/** Reads `value` as an object of fields, or fails. */
export function fieldsOf(value: unknown, where: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array)
    fail(where, "expected an object");
  return value as Fields;
}

function absent(value: unknown): boolean {
  return value === undefined || value === null;
}

export function bytesField(fields: Fields, name: string, where: string): Uint8Array {
  const value = fields[name];
  if (!(value instanceof Uint8Array)) fail(`${where}.${name}`, "expected bytes");
  return value;
}

function optionalBytes(fields: Fields, name: string, where: string): Uint8Array | undefined {
  return absent(fields[name]) ? undefined : bytesField(fields, name, where);
}

/** A non-negative safe integer. */
export function integerField(fields: Fields, name: string, where: string): number {
  const value = fields[name];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    fail(`${where}.${name}`, "expected a non-negative integer");
  return value;
}

function optionalInteger(fields: Fields, name: string, where: string): number | undefined {
  return absent(fields[name]) ? undefined : integerField(fields, name, where);
}

function optionalBoolean(fields: Fields, name: string, where: string): boolean | undefined {
  const value = fields[name];
  if (absent(value)) return undefined;
  if (typeof value !== "boolean") fail(`${where}.${name}`, "expected a boolean");
  return value;
}

function arrayField(fields: Fields, name: string, where: string): readonly unknown[] {
  const value = fields[name];
  if (absent(value)) return [];
  if (!Array.isArray(value)) fail(`${where}.${name}`, "expected an array");
  return value;
}

/** Copies the defined optional fields of `source` onto `target` (exactOptionalPropertyTypes-friendly). */
function defined<T extends object>(target: T, optional: Record<string, unknown>): T {
  for (const [name, value] of Object.entries(optional))
    if (value !== undefined) (target as Record<string, unknown>)[name] = value;
  return target;
}

export function decodeRangeRequest(value: unknown, where = "range"): RangeRequest {
  const fields = fieldsOf(value, where);
  return defined<RangeRequest>(
    { key: bytesField(fields, "key", where) },
    {
      rangeEnd: optionalBytes(fields, "rangeEnd", where),
      limit: optionalInteger(fields, "limit", where),
      revision: optionalInteger(fields, "revision", where),
      keysOnly: optionalBoolean(fields, "keysOnly", where),
      countOnly: optionalBoolean(fields, "countOnly", where),
      serializable: optionalBoolean(fields, "serializable", where),
    },
  );
}

export function decodePutRequest(value: unknown, where = "put"): PutRequest {
  const fields = fieldsOf(value, where);
  return defined<PutRequest>(
    { key: bytesField(fields, "key", where), value: bytesField(fields, "value", where) },
    {
      lease: optionalInteger(fields, "lease", where),
      prevKv: optionalBoolean(fields, "prevKv", where),
      ignoreValue: optionalBoolean(fields, "ignoreValue", where),
      ignoreLease: optionalBoolean(fields, "ignoreLease", where),
    },
  );
}

export function decodeDeleteRangeRequest(value: unknown, where = "deleteRange"): DeleteRangeRequest {
  const fields = fieldsOf(value, where);
  return defined<DeleteRangeRequest>(
    { key: bytesField(fields, "key", where) },
    {
      rangeEnd: optionalBytes(fields, "rangeEnd", where),
      prevKv: optionalBoolean(fields, "prevKv", where),
    },
  );
}

const RESULTS: ReadonlySet<string> = new Set<CompareResult>(["=", "!=", "<", ">"]);

export function decodeCompare(value: unknown, where: string): Compare {
  const fields = fieldsOf(value, where);
  const key = bytesField(fields, "key", where);
  const rangeEnd = optionalBytes(fields, "rangeEnd", where);
  const result = fields.result;
  if (typeof result !== "string" || !RESULTS.has(result)) fail(`${where}.result`, "expected one of = != < >");
  const base = defined({ key, result: result as CompareResult }, { rangeEnd });
  switch (fields.target) {
    case "version":
      return { ...base, target: "version", version: integerField(fields, "version", where) };
    case "create":
      return { ...base, target: "create", createRevision: integerField(fields, "createRevision", where) };
    case "mod":
      return { ...base, target: "mod", modRevision: integerField(fields, "modRevision", where) };
    case "value":
      return { ...base, target: "value", value: bytesField(fields, "value", where) };
    case "lease":
      return { ...base, target: "lease", lease: integerField(fields, "lease", where) };
    default:
      return fail(`${where}.target`, "expected one of version, create, mod, value, lease");
  }
}

function decodeOp(value: unknown, where: string, depth: number): RequestOp {
  const fields = fieldsOf(value, where);
  const present = ["range", "put", "deleteRange", "txn"].filter((name) => !absent(fields[name]));
  if (present.length !== 1) fail(where, "expected exactly one of range, put, deleteRange, txn");
  switch (present[0]) {
    case "range":
      return { range: decodeRangeRequest(fields.range, `${where}.range`) };
    case "put":
      return { put: decodePutRequest(fields.put, `${where}.put`) };
    case "deleteRange":
      return { deleteRange: decodeDeleteRangeRequest(fields.deleteRange, `${where}.deleteRange`) };
    default:
      return { txn: decodeTxnRequest(fields.txn, `${where}.txn`, depth + 1) };
  }
}

export function decodeTxnRequest(value: unknown, where = "txn", depth = 0): TxnRequest {
  if (depth > TXN_NESTING_MAX) fail(where, `txns nested deeper than ${TXN_NESTING_MAX}`);
  const fields = fieldsOf(value, where);
  return {
    compare: arrayField(fields, "compare", where).map((compare, index) =>
      decodeCompare(compare, `${where}.compare[${index}]`),
    ),
    success: arrayField(fields, "success", where).map((op, index) => decodeOp(op, `${where}.success[${index}]`, depth)),
    failure: arrayField(fields, "failure", where).map((op, index) => decodeOp(op, `${where}.failure[${index}]`, depth)),
  };
}

/** A lease id on the wire: a positive safe integer (0 is "no lease" and never names one). */
export function decodeLeaseId(value: unknown, where: string): number {
  const fields = fieldsOf(value, where);
  const id = integerField(fields, "id", where);
  if (id === 0) fail(`${where}.id`, "lease id 0 names no lease");
  return id;
}

/** A request as a WireValue (the inverse of the decoders: types.ts objects are wire values already). */
export function toWire(request: object): WireValue {
  return request as unknown as WireValue;
}
