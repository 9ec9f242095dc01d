/**
 * The trace: structured records of everything that happens in a run, and a running
 * fingerprint over them.
 *
 * The fingerprint is a 64-bit hash (two independent 32-bit multiplicative lanes)
 * over each record's time, host, kind and fields (numbers by their IEEE-754 bits), so the same seed and the same code
 * give the same fingerprint on
 * any machine. Records are kept in memory only on request (determinism checks,
 * the viewer) and written as JSON lines only on request (`dst run --trace`).
 */

export interface TraceRecord {
  /** Index of this record in the run (0-based). */
  index: number;
  /** Virtual time in milliseconds. */
  time: number;
  /** Host the record is about, if any. */
  host?: string;
  /** Dotted kind, e.g. "net.send", "disk.sync", "process.crash", "app.log". */
  kind: string;
  fields?: Record<string, unknown>;
}

export interface TraceOptions {
  /** Keep every record in memory (for determinism comparisons and the viewer). */
  keepRecords?: boolean;
  /** Receives each record as one JSON line (without newline). */
  sink?: (line: string) => void;
  /** Maximum records kept in memory; beyond it, the oldest are dropped. Default 2,000,000. */
  maxKeptRecords?: number;
}

const FINGERPRINT_SEED_HIGH = 0x6a09e667;
const FINGERPRINT_SEED_LOW = 0xbb67ae85;

export class Trace {
  private hashHigh = FINGERPRINT_SEED_HIGH;
  private hashLow = FINGERPRINT_SEED_LOW;
  private recordCount = 0;
  readonly records: TraceRecord[] | undefined;
  private readonly sink: ((line: string) => void) | undefined;
  private readonly maxKeptRecords: number;

  constructor(options: TraceOptions = {}) {
    this.records = options.keepRecords ? [] : undefined;
    this.sink = options.sink;
    this.maxKeptRecords = options.maxKeptRecords ?? 2_000_000;
  }

  get count(): number {
    return this.recordCount;
  }

  record(time: number, host: string | undefined, kind: string, fields?: Record<string, unknown>): void {
    const index = this.recordCount++;
    this.mixRecord(time, host, kind, fields);
    // The record itself is built only for those who keep or print it: the fingerprint needs none.
    if (this.records === undefined && this.sink === undefined) return;
    const record: TraceRecord = { index, time, kind };
    if (host !== undefined) record.host = host;
    if (fields !== undefined) record.fields = fields;
    if (this.records !== undefined) {
      if (this.records.length >= this.maxKeptRecords) this.records.shift();
      this.records.push(record);
    }
    if (this.sink !== undefined) this.sink(canonicalRecordText(record));
  }

  /** The running fingerprint as 16 hex digits. */
  fingerprint(): string {
    return hex32(this.hashHigh) + hex32(this.hashLow);
  }

  /** Mixes a record's structure directly (no text is built: this is the hot path of every event). */
  private mixRecord(
    time: number,
    host: string | undefined,
    kind: string,
    fields: Record<string, unknown> | undefined,
  ): void {
    laneHigh = this.hashHigh;
    laneLow = this.hashLow;
    mixNumber(time);
    mixText(host ?? "");
    mixText(kind);
    if (fields !== undefined) mixFields(fields);
    // Record boundary, with an avalanche so that records cannot blur into each other.
    const high = Math.imul(laneHigh ^ (laneHigh >>> 16) ^ 0x0a, 0x85ebca6b) >>> 0;
    this.hashLow = Math.imul(laneLow ^ (laneLow >>> 13) ^ high, 0xc2b2ae35) >>> 0;
    this.hashHigh = high;
  }
}

/**
 * The two lanes of the fingerprint while one record is mixed (Trace.mixRecord loads and stores them): module
 * variables, so that the mixing helpers below neither allocate nor write object fields per unit.
 */
let laneHigh = 0;
let laneLow = 0;

function mixFields(fields: Record<string, unknown>): void {
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    mixText(key);
    if (typeof value === "number") mixNumber(value);
    else if (typeof value === "string") mixText(value);
    else if (typeof value === "boolean") mixUnit(value ? 1 : 2);
    else mixText(JSON.stringify(value, replacer) ?? "null");
  }
}

function mixNumber(value: number): void {
  FLOAT_VIEW[0] = value;
  mixUnit(WORD_VIEW[0] as number);
  mixUnit(WORD_VIEW[1] as number);
}

/** Two independent 32-bit multiplicative lanes (a 64-bit fingerprint), one step per UTF-16 unit. */
function mixText(text: string): void {
  let high = laneHigh;
  let low = laneLow;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    high = Math.imul(high ^ unit, 0x9e3779b1);
    low = Math.imul(low ^ unit, 0x85ebca77);
  }
  laneHigh = Math.imul(high ^ text.length, 0x9e3779b1);
  laneLow = low;
}

function mixUnit(unit: number): void {
  laneHigh = Math.imul(laneHigh ^ unit, 0x9e3779b1);
  laneLow = Math.imul(laneLow ^ unit, 0x85ebca77);
}

const FLOAT_VIEW = new Float64Array(1);
const WORD_VIEW = new Uint32Array(FLOAT_VIEW.buffer);

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

/**
 * The canonical JSON text of a record (byte arrays as length and hash). Built by
 * hand for the common flat records: this is the hot path of every traced event.
 */
export function canonicalRecordText(record: TraceRecord): string {
  let text = `{"index":${record.index},"time":${numberText(record.time)}`;
  if (record.host !== undefined) text += `,"host":${JSON.stringify(record.host)}`;
  text += `,"kind":${JSON.stringify(record.kind)}`;
  if (record.fields !== undefined) text += `,"fields":${fieldsText(record.fields)}`;
  return `${text}}`;
}

function fieldsText(fields: Record<string, unknown>): string {
  let text = "{";
  let first = true;
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    text += `${first ? "" : ","}${JSON.stringify(key)}:`;
    first = false;
    if (typeof value === "number") text += numberText(value);
    else if (typeof value === "string") text += JSON.stringify(value);
    else if (typeof value === "boolean") text += value ? "true" : "false";
    else text += JSON.stringify(value, replacer) ?? "null";
  }
  return `${text}}`;
}

function numberText(value: number): string {
  return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: value.length, fnv: hashBytes(value) };
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { error: value.name, message: value.message };
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value;
}

/** FNV-1a 32-bit of bytes, as 8 hex digits. */
export function hashBytes(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i] as number;
    hash = Math.imul(hash, 0x01000193);
  }
  return hex32(hash);
}

/** Finds the first record where two kept traces differ (for determinism reports). */
export function firstDifference(
  a: readonly TraceRecord[],
  b: readonly TraceRecord[],
): { index: number; left?: string; right?: string } | undefined {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const left = a[i] === undefined ? undefined : canonicalRecordText(a[i] as TraceRecord);
    const right = b[i] === undefined ? undefined : canonicalRecordText(b[i] as TraceRecord);
    if (left !== right) {
      const difference: { index: number; left?: string; right?: string } = { index: i };
      if (left !== undefined) difference.left = left;
      if (right !== undefined) difference.right = right;
      return difference;
    }
  }
  return undefined;
}
