/**
 * The part of the Env the FSM uses (log, trace, probe), recording everything so a
 * test can assert which rare paths were reached and what was reported.
 */
import type { FsmEnv } from "../../../../src/impl/dqlite/fsm/fsm.ts";
import { NODE_HASHES } from "../../../../src/sim/hashes.ts";

export interface RecordingEnv extends FsmEnv {
  readonly probes: Map<string, number>;
  readonly traces: { kind: string; fields: Record<string, unknown> | undefined }[];
  readonly errors: { message: string; fields: Record<string, unknown> | undefined }[];
}

export function recordingEnv(): RecordingEnv {
  const probes = new Map<string, number>();
  const traces: RecordingEnv["traces"] = [];
  const errors: RecordingEnv["errors"] = [];
  const ignore = (): void => undefined;
  return {
    probes,
    traces,
    errors,
    hash: NODE_HASHES,
    probe: (name) => probes.set(name, (probes.get(name) ?? 0) + 1),
    trace: (kind, fields) => traces.push({ kind, fields }),
    log: { debug: ignore, info: ignore, warn: ignore, error: (message, fields) => errors.push({ message, fields }) },
  };
}
