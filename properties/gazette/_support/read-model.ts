/**
 * What a correct reader of a model journal sees, and what a real one saw.
 *
 * A read from `start` to `end` yields, for each available span in order, its
 * bytes from max(start, span begin); wherever the next byte is not where the
 * previous one ended (a deleted span, or a start inside one), the reader must
 * first report an offset jump to exactly the next span's begin.
 */
import type { ModelStore } from "./model-store.ts";

export type ReadEvent = { kind: "jump"; to: number } | { kind: "bytes"; offset: number; data: Uint8Array };

/** Contiguous runs of bytes, and the jumps, of a list of events. */
export interface ReadTranscript {
  jumps: number[];
  runs: Array<{ offset: number; data: number[] }>;
}

export function expectedTranscript(store: ModelStore, journal: string, start: number, end: number): ReadTranscript {
  const events: ReadEvent[] = [];
  let position = start;
  for (const span of store.spans(journal)) {
    const spanEnd = span.begin + span.content.length;
    if (spanEnd <= position) continue;
    if (span.begin >= end) break;
    const from = Math.max(position, span.begin);
    if (from > position) events.push({ kind: "jump", to: from });
    const to = Math.min(spanEnd, end);
    events.push({ kind: "bytes", offset: from, data: span.content.subarray(from - span.begin, to - span.begin) });
    position = to;
  }
  return transcript(events);
}

/**
 * Folds events into runs (consecutive contiguous bytes merge) and jumps. Non-contiguous bytes without a jump start a
 * new run.
 */
export function transcript(events: readonly ReadEvent[]): ReadTranscript {
  const out: ReadTranscript = { jumps: [], runs: [] };
  for (const event of events) {
    if (event.kind === "jump") {
      out.jumps.push(event.to);
      continue;
    }
    if (event.data.length === 0) continue;
    const last = out.runs[out.runs.length - 1];
    if (last !== undefined && last.offset + last.data.length === event.offset) last.data.push(...event.data);
    else out.runs.push({ offset: event.offset, data: [...event.data] });
  }
  return out;
}

/** Deterministic content for fragment `index` of `length` bytes (distinct per index and position). */
export function fragmentContent(index: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at++) out[at] = (index * 131 + at * 7 + (at >> 8) * 13) & 0xff;
  return out;
}
