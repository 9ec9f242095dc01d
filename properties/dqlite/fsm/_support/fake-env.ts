/**
 * The part of the Env the FSM uses (log, trace, probe, timers), recording everything
 * so a test can assert which rare paths were reached and what was reported. Timers
 * fire only when the test moves the fake clock (`advance`).
 */
import type { FsmEnv } from "../../../../src/impl/dqlite/fsm/fsm.ts";
import { NODE_HASHES } from "../../../../src/sim/hashes.ts";

export interface RecordingEnv extends FsmEnv {
  readonly probes: Map<string, number>;
  readonly traces: { kind: string; fields: Record<string, unknown> | undefined }[];
  readonly errors: { message: string; fields: Record<string, unknown> | undefined }[];
  /** Moves the fake clock by `ms`, firing the timers that come due, in order. */
  advance(ms: number): void;
}

export function recordingEnv(): RecordingEnv {
  const probes = new Map<string, number>();
  const traces: RecordingEnv["traces"] = [];
  const errors: RecordingEnv["errors"] = [];
  const ignore = (): void => undefined;
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { readonly at: number; readonly callback: () => void }>();
  const advance = (ms: number): void => {
    now += ms;
    const due = [...timers.entries()]
      .filter(([, timer]) => timer.at <= now)
      .sort(([a, x], [b, y]) => x.at - y.at || a - b);
    for (const [id, timer] of due) {
      timers.delete(id);
      timer.callback();
    }
  };
  return {
    advance,
    clock: {
      setTimer: (durationMs, callback) => {
        const id = nextId++;
        timers.set(id, { at: now + durationMs, callback });
        return { cancel: () => timers.delete(id) };
      },
    },
    probes,
    traces,
    errors,
    hash: NODE_HASHES,
    probe: (name) => probes.set(name, (probes.get(name) ?? 0) + 1),
    trace: (kind, fields) => traces.push({ kind, fields }),
    log: { debug: ignore, info: ignore, warn: ignore, error: (message, fields) => errors.push({ message, fields }) },
  };
}
