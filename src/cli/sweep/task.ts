/**
 * Messages between the sweep's main thread and its workers: a task is one seed of
 * one scenario; its answer is the run's sweep record, plus, when determinism is
 * checked, the first trace record where a second run differed.
 */
import type { WireMode } from "../../sim/net/rpc/frame-channel.ts";
import type { SweepRecord } from "./sweep-record.ts";

export interface SweepTask {
  id: number;
  scenario: string;
  seed: number;
  variant?: string;
  /** Enable buggify fault points in the run. */
  buggify?: boolean;
  /** The RPC wire mode (absent: the swarm's pick for the seed). */
  wireMode?: WireMode;
  /** Run twice and compare the traces record by record. */
  checkDeterminism: boolean;
}

/** What a worker thread is started with. */
export interface SweepWorkerData {
  /** The config module whose scenarios the tasks name (absolute path); undefined for the bundled scenarios. */
  configPath: string | undefined;
}

export interface DeterminismDifference {
  /** Index of the first trace record that differs (or the shorter trace's length). */
  index: number;
  first?: string;
  second?: string;
}

export type SweepAnswer =
  | { id: number; ok: true; record: SweepRecord; nondeterminism?: DeterminismDifference }
  | {
      id: number;
      ok: false;
      error: string;
      /** The run was refused as bad input (a ScenarioError), not a crash. */ refused?: true;
    };
