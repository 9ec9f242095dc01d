/**
 * What a view asks of its disk: one operation, run by the engine at completion time.
 *
 * Faults injected: none here (see disk-engine.ts).
 */
import type { DiskEngine } from "./disk-engine.ts";
import type { DiskLatencyKind } from "./disk-latency.ts";

/** One operation as issued by a process. */
export interface DiskRequest {
  /** The Disk or FileHandle method name ("write", "syncDirectory", ...). */
  readonly operation: string;
  readonly latency: DiskLatencyKind;
  /** Deterministic trace fields: path, position, length, ... */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * A view's connection to its disk, bound to one process incarnation and one disk
 * generation (the time between two crashes).
 */
export interface DiskPort {
  /**
   * Runs `body` on the engine after the operation's latency, as an event owned by the
   * incarnation, and settles with its result or its DiskError. Never settles if the
   * incarnation dies or the disk crashes first: then the operation never happened.
   */
  perform<T>(request: DiskRequest, body: (engine: DiskEngine) => T): Promise<T>;
  /** A fresh path next to `path` for a temporary file (unique for the disk's lifetime). */
  temporaryPath(path: string): string;
}

/** Trace kinds already made, by operation (a handful of names, asked for at every disk operation). */
const traceKinds = new Map<string, string>();

/** The trace kind of an operation: "disk." and its name in kebab case ("disk.sync-directory"). */
export function traceKindOf(operation: string): string {
  let kind = traceKinds.get(operation);
  if (kind === undefined) {
    kind = `disk.${operation.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    traceKinds.set(operation, kind);
  }
  return kind;
}
