/**
 * Parses a trace written as JSON lines (`dst run --trace`): one record per line,
 * checked field by field. A malformed line is a `UsageError` naming the file and
 * the line, never a crash later in the viewer.
 */
import type { TraceRecord } from "../../sim/trace.ts";
import { UsageError } from "../input.ts";

/** True when `line` looks like a trace record: a JSON object with a string `kind`. */
export function isTraceRecordLine(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return (
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      typeof (value as Record<string, unknown>).kind === "string"
    );
  } catch {
    return false;
  }
}

/** Parses every non-empty line of `text` as a trace record. `path` names the file in errors. */
export function parseTraceLines(text: string, path: string): TraceRecord[] {
  const records: TraceRecord[] = [];
  let lineNumber = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    lineNumber++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new UsageError(`trace ${path} line ${lineNumber} is not valid JSON: ${(error as Error).message}`);
    }
    records.push(traceRecordOf(value, records.length, `trace ${path} line ${lineNumber}`));
  }
  if (records.length === 0) throw new UsageError(`trace ${path} holds no records`);
  return records;
}

/** Checks one parsed line; `where` prefixes the error. A missing `index` is the record's position. */
function traceRecordOf(value: unknown, position: number, where: string): TraceRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UsageError(`${where} is not a trace record: expected a JSON object`);
  const fields = value as Record<string, unknown>;
  if (typeof fields.time !== "number" || !Number.isFinite(fields.time))
    throw new UsageError(`${where}: 'time' must be a finite number`);
  if (typeof fields.kind !== "string" || fields.kind.length === 0)
    throw new UsageError(`${where}: 'kind' must be a non-empty string`);
  if (fields.host !== undefined && typeof fields.host !== "string")
    throw new UsageError(`${where}: 'host' must be a string`);
  if (fields.index !== undefined && (typeof fields.index !== "number" || !Number.isSafeInteger(fields.index)))
    throw new UsageError(`${where}: 'index' must be an integer`);
  const recordFields = fields.fields;
  if (
    recordFields !== undefined &&
    (typeof recordFields !== "object" || recordFields === null || Array.isArray(recordFields))
  ) {
    throw new UsageError(`${where}: 'fields' must be an object`);
  }
  const record: TraceRecord = {
    index: typeof fields.index === "number" ? fields.index : position,
    time: fields.time,
    kind: fields.kind,
  };
  if (fields.host !== undefined) record.host = fields.host;
  if (recordFields !== undefined) record.fields = recordFields as Record<string, unknown>;
  return record;
}
