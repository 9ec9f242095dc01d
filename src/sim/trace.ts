/**
 * The trace: structured records of everything that happens in a run, and a running
 * fingerprint over them.
 *
 * The fingerprint is a 64-bit FNV-1a hash (two 32-bit lanes) over a canonical text
 * of each record, so the same seed and the same code give the same fingerprint on
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

const FNV_OFFSET_HIGH = 0xcbf29ce4;
const FNV_OFFSET_LOW = 0x84222325;

export class Trace {
  private hashHigh = FNV_OFFSET_HIGH;
  private hashLow = FNV_OFFSET_LOW;
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
    const record: TraceRecord = { index: this.recordCount++, time, kind };
    if (host !== undefined) record.host = host;
    if (fields !== undefined) record.fields = fields;
    const text = canonicalRecordText(record);
    this.mix(text);
    if (this.records !== undefined) {
      if (this.records.length >= this.maxKeptRecords) this.records.shift();
      this.records.push(record);
    }
    this.sink?.(text);
  }

  /** The running fingerprint as 16 hex digits. */
  fingerprint(): string {
    return hex32(this.hashHigh) + hex32(this.hashLow);
  }

  private mix(text: string): void {
    // FNV-1a 64-bit over UTF-16 code units, computed in two 32-bit halves.
    let high = this.hashHigh;
    let low = this.hashLow;
    for (let i = 0; i < text.length; i++) {
      low ^= text.charCodeAt(i);
      // multiply (high, low) by the FNV prime 0x100000001b3 modulo 2^64
      const lowProduct = low * 0x1b3;
      const carry = Math.floor(lowProduct / 0x100000000);
      high = (Math.imul(high, 0x1b3) + Math.imul(low, 0x100) + carry) >>> 0;
      low = lowProduct >>> 0;
    }
    // record separator
    low ^= 0x0a;
    const lowProduct = low * 0x1b3;
    high = (Math.imul(high, 0x1b3) + Math.imul(low, 0x100) + Math.floor(lowProduct / 0x100000000)) >>> 0;
    this.hashHigh = high;
    this.hashLow = lowProduct >>> 0;
  }
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

/** The canonical JSON text of a record (byte arrays as length and hash). */
export function canonicalRecordText(record: TraceRecord): string {
  return JSON.stringify(record, replacer);
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
export function firstDifference(a: readonly TraceRecord[], b: readonly TraceRecord[]): { index: number; left?: string; right?: string } | undefined {
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
