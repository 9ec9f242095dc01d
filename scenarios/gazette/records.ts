/**
 * Records the Gazette scenarios append and read, and the checks on them.
 *
 * A record is `<writer:seq:len>` + `len` payload bytes derived from (writer, seq)
 * + "\n": a reader that parses a journal can tell a whole record from a torn or
 * foreign one. Each append carries whole records, and fragments hold whole
 * appends, so record boundaries are append boundaries, and an offset jump (which
 * lands on a fragment's begin) lands on a record boundary.
 *
 * The ledger keeps, per journal, which record sits at which offset, as readers
 * and acknowledged appends report it:
 * - gazette.whole-records (continuous): readers parse only whole, known records
 *   (no part of an append, no bytes nobody appended, nothing of an aborted append);
 * - gazette.offsets-agree (continuous): no two observations put different records
 *   at one offset (per-journal linearizability of offsets: contiguous, non-overlapping);
 * - gazette.no-foreign-records (continuous): a record is seen in one journal only,
 *   always with one length: bytes read from a journal were appended to it (a
 *   retried append may show twice there, never elsewhere);
 * - gazette.reader-offsets (continuous): a reader's offset moves by exactly the
 *   bytes it returned, or forward to where a reported offset jump took it, and
 *   never back;
 * - gazette.acknowledged-readable (final): a reader that read up to a journal's
 *   end read every acknowledged record at its acknowledged offset, unless it took
 *   an explicit offset jump over it;
 * - gazette.append-order (final): one writer's acknowledged records of a journal
 *   lie in the order it appended them.
 */
import type { ScenarioContext } from "../../src/sim/runner.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEADER = /^<([a-z0-9-]+):(\d+):(\d+)>/;
const HEADER_BYTES_MAX = 48;

export interface RecordId {
  readonly writer: string;
  readonly seq: number;
}

export function recordName(id: RecordId): string {
  return `${id.writer}:${id.seq}`;
}

function payloadOf(id: RecordId, length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz";
  let out = "";
  for (let index = 0; index < length; index++)
    out += alphabet[(id.seq * 7 + index + id.writer.length) % alphabet.length];
  return out;
}

export function encodeRecord(id: RecordId, length: number): Uint8Array {
  return encoder.encode(`<${id.writer}:${id.seq}:${length}>${payloadOf(id, length)}\n`);
}

export interface Observation {
  readonly journal: string;
  readonly offset: number;
  readonly end: number;
  readonly record: string;
  readonly by: string;
}

export class Ledger {
  /** journal → offset → the first observation of a record there. */
  readonly atOffset = new Map<string, Map<number, Observation>>();
  /** record → its first observation (any journal, any offset). */
  readonly #firstSeen = new Map<string, Observation>();
  /** journal → acknowledged records (by the writer's order). */
  readonly acknowledged = new Map<string, Observation[]>();
  readonly problems: Array<{ invariant: string; details: string }> = [];

  observe(observation: Observation): void {
    this.#checkOneJournal(observation);
    let offsets = this.atOffset.get(observation.journal);
    if (offsets === undefined) this.atOffset.set(observation.journal, (offsets = new Map()));
    const seen = offsets.get(observation.offset);
    if (seen === undefined) offsets.set(observation.offset, observation);
    else if (seen.record !== observation.record || seen.end !== observation.end) {
      this.problems.push({
        invariant: "gazette.offsets-agree",
        details: `${observation.journal}@${observation.offset}: ${observation.by} saw ${observation.record} (to ${observation.end}), ${seen.by} saw ${seen.record} (to ${seen.end})`,
      });
    }
  }

  /** gazette.no-foreign-records: every observation of a record has its first one's journal and length. */
  #checkOneJournal(observation: Observation): void {
    const first = this.#firstSeen.get(observation.record);
    if (first === undefined) {
      this.#firstSeen.set(observation.record, observation);
      return;
    }
    if (first.journal === observation.journal && first.end - first.offset === observation.end - observation.offset)
      return;
    this.problems.push({
      invariant: "gazette.no-foreign-records",
      details:
        `${observation.by} saw ${observation.record} in ${observation.journal} at [${observation.offset}, ${observation.end}), ` +
        `but ${first.by} saw it in ${first.journal} at [${first.offset}, ${first.end})`,
    });
  }

  acknowledge(observation: Observation): void {
    this.observe(observation);
    let list = this.acknowledged.get(observation.journal);
    if (list === undefined) this.acknowledged.set(observation.journal, (list = []));
    list.push(observation);
  }

  report(context: ScenarioContext, reported: number): number {
    for (; reported < this.problems.length; reported++) {
      const problem = this.problems[reported] as (typeof this.problems)[number];
      context.world.violate({ invariant: problem.invariant, kind: "safety", details: problem.details });
    }
    return reported;
  }
}

/** A reader's parse of one journal: feed bytes and jumps in order. */
export class RecordParser {
  private buffer = new Uint8Array(0);
  /** Offset of buffer[0]. */
  private offset: number;
  readonly records: Observation[] = [];
  /** Offsets [from, to) the reader jumped over, and when (virtual time, if the reader said). */
  readonly jumps: Array<{ from: number; to: number; atMs?: number }> = [];

  constructor(
    readonly journal: string,
    readonly reader: string,
    /** The offset the reader began at (a record boundary). */
    readonly start: number,
    private readonly ledger: Ledger,
  ) {
    this.offset = start;
  }

  /** The end of the last whole record parsed (where a new read may begin). */
  get recordEnd(): number {
    return this.offset;
  }

  /** The offset the next byte fed must have. */
  get next(): number {
    return this.offset + this.buffer.length;
  }

  /** An offset jump to `to` (reported, by the reader's account, from `from`). */
  jump(to: number, atMs?: number, from?: number): void {
    if (to < this.next || (from !== undefined && from !== this.next)) {
      const reported = from === undefined ? "" : ` reported from ${from}`;
      this.ledger.problems.push({
        invariant: "gazette.reader-offsets",
        details: `${this.reader} on ${this.journal}: an offset jump to ${to}${reported}, but what it returned ends at ${this.next}`,
      });
    }
    if (this.buffer.length !== 0)
      this.ledger.problems.push({
        invariant: "gazette.whole-records",
        details: `${this.reader} on ${this.journal}: jump to ${to} with ${this.buffer.length} bytes of a record at ${this.offset} unfinished`,
      });
    this.jumps.push(atMs === undefined ? { from: this.next, to } : { from: this.next, to, atMs });
    this.buffer = new Uint8Array(0);
    this.offset = to;
  }

  /**
   * The reader says its next byte is at `offset`: gazette.reader-offsets unless the bytes it returned and the jumps it
   * reported put it there.
   */
  readerAt(offset: number): void {
    if (offset === this.next) return;
    this.ledger.problems.push({
      invariant: "gazette.reader-offsets",
      details: `${this.reader} on ${this.journal} says its next offset is ${offset}, but what it returned ends at ${this.next} (a silent skip, or bytes returned again)`,
    });
  }

  feed(bytes: Uint8Array): void {
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer);
    joined.set(bytes, this.buffer.length);
    this.buffer = joined;
    for (;;) {
      const head = decoder.decode(this.buffer.subarray(0, Math.min(this.buffer.length, HEADER_BYTES_MAX)));
      const match = HEADER.exec(head);
      if (match === null) {
        if (this.buffer.length >= HEADER_BYTES_MAX || (this.buffer.length > 0 && this.buffer[0] !== 0x3c))
          this.torn(`no record header at ${this.offset}: ${JSON.stringify(head.slice(0, 24))}`);
        return;
      }
      const id: RecordId = { writer: match[1] as string, seq: Number(match[2]) };
      const length = Number(match[3]);
      const expected = encodeRecord(id, length);
      if (this.buffer.length < expected.length) return;
      const got = this.buffer.subarray(0, expected.length);
      if (!expected.every((byte, index) => got[index] === byte)) {
        this.torn(`record ${recordName(id)} at ${this.offset} does not hold what its writer appended`);
        return;
      }
      const observation: Observation = {
        journal: this.journal,
        offset: this.offset,
        end: this.offset + expected.length,
        record: recordName(id),
        by: this.reader,
      };
      this.records.push(observation);
      this.ledger.observe(observation);
      this.offset += expected.length;
      this.buffer = this.buffer.slice(expected.length);
    }
  }

  private torn(details: string): void {
    this.ledger.problems.push({
      invariant: "gazette.whole-records",
      details: `${this.reader} on ${this.journal}: ${details}`,
    });
    // Resynchronize past the problem so that one torn record is reported once.
    this.offset += this.buffer.length;
    this.buffer = new Uint8Array(0);
  }
}

/** Final checks of the ledger against the readers' parses (see the file comment). */
export function checkLedger(context: ScenarioContext, ledger: Ledger, parsers: readonly RecordParser[]): void {
  for (const [journal, acknowledged] of ledger.acknowledged) {
    const byWriter = new Map<string, Observation[]>();
    for (const ack of acknowledged) {
      const writer = ack.record.split(":")[0] as string;
      let list = byWriter.get(writer);
      if (list === undefined) byWriter.set(writer, (list = []));
      list.push(ack);
    }
    for (const [writer, list] of byWriter) {
      for (let index = 1; index < list.length; index++) {
        const previous = list[index - 1] as Observation;
        const current = list[index] as Observation;
        if (current.offset < previous.end)
          context.world.violate({
            invariant: "gazette.append-order",
            kind: "safety",
            details: `${journal}: ${writer}'s ${current.record} at ${current.offset}, before its earlier ${previous.record} at ${previous.offset}`,
          });
      }
    }
    for (const parser of parsers.filter((candidate) => candidate.journal === journal)) {
      const read = new Set(parser.records.map((record) => `${record.offset}/${record.record}`));
      for (const ack of acknowledged) {
        if (ack.end > parser.next || ack.offset < parser.start) continue; // Not in what this reader read.
        if (read.has(`${ack.offset}/${ack.record}`)) continue;
        if (parser.jumps.some((jump) => jump.from <= ack.offset && ack.offset < jump.to)) continue;
        context.world.violate({
          invariant: "gazette.acknowledged-readable",
          kind: "safety",
          host: parser.reader,
          details: `${journal}: acknowledged ${ack.record} at [${ack.offset}, ${ack.end}) was not read by ${parser.reader}, which read to ${parser.next}`,
        });
        break;
      }
    }
  }
}
