/**
 * How a frame is named in the trace (the send, delivery and drop records of the
 * connection it crosses), so the viewer can label its arrow: its type and call id,
 * the method on requests and notifications, and the `kind` the caller named where
 * it gave one (CallOptions.kind, NotifyOptions.kind: what the message is, e.g. a
 * Raft message's type, for a method that carries several). The kind is never
 * encoded: the objects wire mode's copy keeps it on the frame; in the frames mode
 * an encoded frame's label is kept beside its bytes (one segment), keyed by
 * identity and forgotten with them.
 */
import type { Frame } from "./frame.ts";

/** A frame's trace fields. */
export type FrameLabel = Readonly<Record<string, unknown>>;

/** The trace fields of `frame`. */
export function frameLabel(frame: Frame): FrameLabel {
  const fields: Record<string, unknown> = {};
  addFrameLabel(frame, fields);
  return fields;
}

/** Adds the trace fields of `frame` to a record's `fields`, after those already there. */
export function addFrameLabel(frame: Frame, fields: Record<string, unknown>): void {
  fields.frame = frame.type;
  fields.call = frame.id;
  if (frame.type !== "request" && frame.type !== "notification") return;
  fields.method = frame.method;
  if (frame.kind !== undefined) fields.kind = frame.kind;
}

const segmentLabels = new WeakMap<Uint8Array, FrameLabel>();

/** Remembers the label of the frame `encoded` holds (the frames wire mode), until the bytes are collected. */
export function nameSegment(encoded: Uint8Array, frame: Frame): void {
  segmentLabels.set(encoded, frameLabel(frame));
}

/** The label of the frame a segment holds; an empty one for bytes that are not a named frame. */
export function segmentLabel(segment: Uint8Array): FrameLabel {
  return segmentLabels.get(segment) ?? NO_LABEL;
}

const NO_LABEL: FrameLabel = {};
