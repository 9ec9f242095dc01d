/**
 * Every change to the core's log goes through here, so that the ready, the
 * configuration, the leader's progress and the commit and applied indexes follow.
 */
import { assert } from "../../../sim/assert.ts";
import type { CoreState } from "./core-state.ts";
import { EMPTY_CONFIGURATION, type LogEntry, type SnapshotMetadata } from "./types.ts";

/** Appends entries after the last one (in memory now; the ready asks for them to be persisted). */
export function appendToLog(state: CoreState, entries: readonly LogEntry[]): void {
  if (entries.length === 0) return;
  state.log.append(entries);
  for (const entry of entries) {
    state.ready.append(entry);
    if (entry.kind === "configuration") {
      assert(entry.configuration !== undefined, `configuration entry ${entry.index} without a configuration`);
      state.configuration = entry.configuration;
      state.configurationIndex = entry.index;
    }
  }
  syncProgressWithConfiguration(state);
}

/** Removes the entries at and after `index`; committed entries are never removed. */
export function truncateLog(state: CoreState, index: number): void {
  assert(
    index > state.commitIndex,
    `${state.id} truncating committed entry ${index} (commit index ${state.commitIndex})`,
  );
  state.log.truncateFrom(index);
  state.ready.truncate(index);
  if (state.configurationIndex >= index) recomputeConfiguration(state);
}

/** The log restarts after `snapshot` (InstallSnapshot). */
export function installSnapshot(state: CoreState, snapshot: SnapshotMetadata): void {
  state.log.resetTo(snapshot.index, snapshot.term);
  state.snapshot = snapshot;
  state.commitIndex = snapshot.index;
  state.appliedIndex = snapshot.index;
  state.configuration = snapshot.configuration;
  state.configurationIndex = snapshot.configurationIndex;
  state.ready.installSnapshot(snapshot);
}

/** The latest configuration: the last one in the log, else the snapshot's, else none. */
export function recomputeConfiguration(state: CoreState): void {
  const fromLog = state.log.lastConfiguration();
  if (fromLog !== undefined) {
    state.configuration = fromLog.configuration;
    state.configurationIndex = fromLog.index;
  } else if (state.snapshot !== undefined) {
    state.configuration = state.snapshot.configuration;
    state.configurationIndex = state.snapshot.configurationIndex;
  } else {
    state.configuration = EMPTY_CONFIGURATION;
    state.configurationIndex = 0;
  }
  syncProgressWithConfiguration(state);
}

/** A leader tracks exactly the other voters of its latest configuration. */
function syncProgressWithConfiguration(state: CoreState): void {
  const leader = state.leader;
  if (leader === undefined) return;
  const voters = new Set(state.configuration.voters);
  for (const id of [...leader.progress.keys()]) if (!voters.has(id)) leader.progress.delete(id);
  for (const id of voters) {
    if (id !== state.id && !leader.progress.has(id))
      leader.progress.set(id, state.options.createProgress(Math.max(1, state.log.lastIndex)));
  }
}

/**
 * Raises the commit index to `index` (never lowers it) and hands out the newly
 * committed entries to be applied; asks for a snapshot once enough were applied.
 */
export function commitTo(state: CoreState, index: number): boolean {
  if (index <= state.commitIndex) return false;
  assert(index <= state.log.lastIndex, `${state.id} committing ${index} beyond its last index ${state.log.lastIndex}`);
  state.commitIndex = index;
  assert(
    state.appliedIndex >= state.log.baseIndex,
    `${state.id} applied ${state.appliedIndex} below its log base ${state.log.baseIndex}`,
  );
  for (let next = state.appliedIndex + 1; next <= index; next++) {
    const entry = state.log.entryAt(next);
    assert(entry !== undefined, `${state.id} committed entry ${next} is missing`);
    state.ready.commit(entry);
  }
  state.appliedIndex = index;
  const snapshotIndex = state.snapshot?.index ?? 0;
  if (state.appliedIndex - snapshotIndex >= state.options.snapshotThresholdEntries) state.ready.wantSnapshot();
  return true;
}
