/**
 * Ready: the effects of one call into the core, in the order the driver must carry
 * them out (etcd raft's Ready). The contract:
 *
 * 1. Persist, and wait until it is durable: `hardState` first, then `snapshot`
 *    (drop every log entry; the snapshot's bytes are already in the snapshot store),
 *    then `truncateFrom` (delete entries at and after it), then append `entries`.
 * 2. Only then send `messages` (a vote or an acknowledgement must never leave
 *    before what it promises is on disk).
 * 3. Then apply: restore the state machine from `snapshot` if set, then apply
 *    `committed` in order (all of them are durable by now).
 * 4. Then, in any order: delete log entries through `compactThrough`, report
 *    `leadership`, `verifications` and `transfer`, take a snapshot if
 *    `snapshotWanted`, and count `probes`.
 *
 * Readies must be carried out in the order the core produced them; the driver may
 * make several consecutive readies durable with one fsync (group commit) as long
 * as no message of a later ready leaves before an earlier one is durable.
 */
import { assert } from "../../../sim/assert.ts";
import type { Message } from "./messages.ts";
import type { HardState, LogEntry, RaftRole, ServerId, SnapshotMetadata } from "./types.ts";

/** The role or the known leader changed. */
export interface LeadershipChange {
  readonly role: RaftRole;
  readonly leaderId: ServerId | undefined;
  readonly term: number;
}

/** The outcome of a `verifyLeader` request. */
export interface Verification {
  readonly id: number;
  readonly confirmed: boolean;
}

/** A leadership transfer ended without this server stepping down. */
export interface TransferOutcome {
  readonly target: ServerId;
  readonly outcome: "timed-out";
}

export interface Ready {
  readonly hardState: HardState | undefined;
  readonly snapshot: SnapshotMetadata | undefined;
  readonly truncateFrom: number | undefined;
  readonly entries: readonly LogEntry[];
  readonly messages: readonly Message[];
  readonly committed: readonly LogEntry[];
  readonly compactThrough: number | undefined;
  readonly leadership: LeadershipChange | undefined;
  readonly verifications: readonly Verification[];
  readonly transfer: TransferOutcome | undefined;
  readonly snapshotWanted: boolean;
  /** Rare paths reached (the node reports each with `env.probe`). */
  readonly probes: readonly string[];
}

/** True when a ready asks for nothing at all: no step of the contract has work to do. */
export function isEmptyReady(ready: Ready): boolean {
  return (
    ready.hardState === undefined &&
    ready.snapshot === undefined &&
    ready.truncateFrom === undefined &&
    ready.entries.length === 0 &&
    ready.messages.length === 0 &&
    ready.committed.length === 0 &&
    ready.compactThrough === undefined &&
    ready.leadership === undefined &&
    ready.verifications.length === 0 &&
    ready.transfer === undefined &&
    !ready.snapshotWanted &&
    ready.probes.length === 0
  );
}

/** The list of every ready that collected nothing of a kind: one frozen array (a ready allocates only what it has). */
const NONE: readonly never[] = Object.freeze([]);

/** `list` with `item` added: a new array in place of NONE, else the same array. */
function added<T>(list: readonly T[], item: T): readonly T[] {
  if (list === NONE) return [item];
  (list as T[]).push(item);
  return list;
}

/** A ready with no effect at all, shared: most ticks of a follower have none. */
const NOTHING_READY: Ready = Object.freeze({
  hardState: undefined,
  snapshot: undefined,
  truncateFrom: undefined,
  entries: NONE,
  messages: NONE,
  committed: NONE,
  compactThrough: undefined,
  leadership: undefined,
  verifications: NONE,
  transfer: undefined,
  snapshotWanted: false,
  probes: NONE,
});

/** Collects the effects of one call; `take` hands them out and starts afresh. */
export class ReadyBuilder {
  private snapshot: SnapshotMetadata | undefined;
  private truncateFrom: number | undefined;
  private entries: readonly LogEntry[] = NONE;
  private messages: readonly Message[] = NONE;
  private committed: readonly LogEntry[] = NONE;
  private compactThrough: number | undefined;
  private leadership: LeadershipChange | undefined;
  private verifications: readonly Verification[] = NONE;
  private transfer: TransferOutcome | undefined;
  private snapshotWanted = false;
  private probes: readonly string[] = NONE;

  send(message: Message): void {
    this.messages = added(this.messages, message);
  }

  append(entry: LogEntry): void {
    const last = this.entries[this.entries.length - 1];
    assert(
      last === undefined || entry.index === last.index + 1,
      `ready: entry ${entry.index} does not follow ${last?.index}`,
    );
    this.entries = added(this.entries, entry);
  }

  /** Entries at and after `index` go: those still to be appended are dropped, the store's are truncated. */
  truncate(index: number): void {
    const first = this.entries[0];
    if (first !== undefined && index > first.index) {
      this.entries = this.entries.filter((entry) => entry.index < index);
      return;
    }
    this.entries = NONE;
    this.truncateFrom = this.truncateFrom === undefined ? index : Math.min(this.truncateFrom, index);
  }

  installSnapshot(snapshot: SnapshotMetadata): void {
    this.snapshot = snapshot;
    this.truncateFrom = undefined;
    this.entries = NONE;
    this.committed = this.committed.filter((entry) => entry.index > snapshot.index);
    this.compactThrough = undefined;
  }

  commit(entry: LogEntry): void {
    this.committed = added(this.committed, entry);
  }

  compact(index: number): void {
    this.compactThrough = Math.max(this.compactThrough ?? 0, index);
  }

  leadershipChanged(change: LeadershipChange): void {
    this.leadership = change;
  }

  verified(verification: Verification): void {
    this.verifications = added(this.verifications, verification);
  }

  transferEnded(outcome: TransferOutcome): void {
    this.transfer = outcome;
  }

  wantSnapshot(): void {
    this.snapshotWanted = true;
  }

  probe(name: string): void {
    this.probes = added(this.probes, name);
  }

  take(hardState: HardState | undefined): Ready {
    if (hardState === undefined && this.collectedNothing()) return NOTHING_READY;
    const ready: Ready = {
      hardState,
      snapshot: this.snapshot,
      truncateFrom: this.truncateFrom,
      entries: this.entries,
      messages: this.messages,
      committed: this.committed,
      compactThrough: this.compactThrough,
      leadership: this.leadership,
      verifications: this.verifications,
      transfer: this.transfer,
      snapshotWanted: this.snapshotWanted,
      probes: this.probes,
    };
    this.snapshot = undefined;
    this.truncateFrom = undefined;
    this.entries = NONE;
    this.messages = NONE;
    this.committed = NONE;
    this.compactThrough = undefined;
    this.leadership = undefined;
    this.verifications = NONE;
    this.transfer = undefined;
    this.snapshotWanted = false;
    this.probes = NONE;
    return ready;
  }

  private collectedNothing(): boolean {
    return (
      this.snapshot === undefined &&
      this.truncateFrom === undefined &&
      this.entries === NONE &&
      this.messages === NONE &&
      this.committed === NONE &&
      this.compactThrough === undefined &&
      this.leadership === undefined &&
      this.verifications === NONE &&
      this.transfer === undefined &&
      !this.snapshotWanted &&
      this.probes === NONE
    );
  }
}
