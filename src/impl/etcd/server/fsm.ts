/**
 * EtcdFsm: the MvccStore as a Raft FSM (hashicorp/raft's Fsm of RaftNode). Each
 * committed entry is one command (commands.ts) applied to the store; the answer
 * goes back to the leader's caller as an FsmResult. Snapshots are the whole store
 * (mvcc/snapshot-codec.ts).
 *
 * Observers see every applied command (tests), every change of revision and every
 * restore (the watch hub wakes its watchers), and every lease granted or revoked
 * (the leader's lessor). The FSM never reads a clock: replicas that apply the same
 * log hold the same store.
 */
import type { Fsm, FsmSnapshot, LogRecord, SnapshotReader, SnapshotSink } from "../../raft/index.ts";
import { assert } from "../../../sim/assert.ts";
import { decodeCommand, type EtcdCommand } from "../commands.ts";
import { EtcdError } from "../errors.ts";
import { MvccStore, type HeaderOf } from "../mvcc/store.ts";
import { decodeSnapshot, encodeSnapshot } from "../mvcc/snapshot-codec.ts";

/** What applying one command produced: the response (with its header), or the etcd error that refused it. */
export type FsmResult =
  | { readonly ok: true; readonly response: unknown; readonly revision: number }
  | { readonly ok: false; readonly error: EtcdError };

export interface FsmObserver {
  /** After each applied entry (tests and scenarios record what each replica applied). */
  applied?(index: number, command: EtcdCommand | undefined, result: FsmResult): void;
  /** The store's revision moved (an apply) or the store was replaced (a restore). */
  changed?(): void;
  leaseGranted?(id: number, ttl: number): void;
  leaseRevoked?(id: number): void;
  restored?(): void;
}

export interface EtcdFsmOptions {
  readonly clusterId: number;
  readonly memberId: number;
  /** Builds the store, at start and at each restore (a seam for test fixtures). Default `new MvccStore()`. */
  readonly createStore?: () => MvccStore;
}

/** The replicated etcd store (see the file's comment). */
export class EtcdFsm implements Fsm {
  private store: MvccStore;
  private lastIndex = 0;
  private readonly observers: FsmObserver[] = [];

  constructor(private readonly options: EtcdFsmOptions) {
    this.store = this.createStore();
  }

  private createStore(): MvccStore {
    return this.options.createStore?.() ?? new MvccStore();
  }

  /** Adds an observer (see FsmObserver). */
  observe(observer: FsmObserver): void {
    this.observers.push(observer);
  }

  /** The replica's store: read it only as the server's read paths do (linearizable reads confirm leadership first). */
  get mvcc(): MvccStore {
    return this.store;
  }

  /** Index of the last entry applied since the last restore. */
  get appliedIndex(): number {
    return this.lastIndex;
  }

  apply(log: LogRecord): FsmResult {
    assert(log.index > this.lastIndex, "entries are applied in increasing index order");
    this.lastIndex = log.index;
    const before = this.store.revision;
    const command = decodeCommand(log.data);
    const result =
      command instanceof EtcdError ? ({ ok: false, error: command } as const) : this.run(command, log.term);
    const decoded = command instanceof EtcdError ? undefined : command;
    for (const observer of this.observers) observer.applied?.(log.index, decoded, result);
    if (decoded?.type === "leaseGrant" && result.ok)
      for (const observer of this.observers) observer.leaseGranted?.(decoded.id, decoded.ttl);
    if (decoded?.type === "leaseRevoke" && result.ok)
      for (const observer of this.observers) observer.leaseRevoked?.(decoded.id);
    if (this.store.revision !== before || decoded?.type === "compact")
      for (const observer of this.observers) observer.changed?.();
    return result;
  }

  async snapshot(): Promise<FsmSnapshot> {
    const bytes = encodeSnapshot(this.store.state());
    return {
      persist: async (sink: SnapshotSink) => {
        await sink.write(bytes);
      },
      release: () => undefined,
    };
  }

  /**
   * Replaces the store with the snapshot's; an invalid snapshot is an ErrSnapshotInvalid (the store is left as it was).
   */
  async restore(reader: SnapshotReader): Promise<void> {
    const state = decodeSnapshot(await reader.readAll());
    const store = this.createStore();
    store.load(state);
    this.store = store;
    this.lastIndex = 0;
    for (const observer of this.observers) observer.restored?.();
    for (const observer of this.observers) observer.changed?.();
  }

  /** A header for a response at `revision`, in the term of the entry being applied. */
  header(revision: number, raftTerm: number): ReturnType<HeaderOf> {
    return { clusterId: this.options.clusterId, memberId: this.options.memberId, revision, raftTerm };
  }

  private run(command: EtcdCommand, term: number): FsmResult {
    const header: HeaderOf = (revision) => this.header(revision, term);
    let outcome: unknown;
    switch (command.type) {
      case "put":
        outcome = this.store.put(command.request, header);
        break;
      case "deleteRange":
        outcome = this.store.deleteRange(command.request, header);
        break;
      case "txn":
        outcome = this.store.txn(command.request, header);
        break;
      case "compact":
        outcome = this.store.compact(command.revision) ?? { header: header(this.store.revision) };
        break;
      case "leaseGrant":
        outcome = this.store.leaseGrant(command.id, command.ttl) ?? {
          header: header(this.store.revision),
          id: command.id,
          ttl: command.ttl,
        };
        break;
      case "leaseRevoke":
        outcome = this.store.leaseRevoke(command.id) ?? { header: header(this.store.revision) };
        break;
    }
    if (outcome instanceof EtcdError) return { ok: false, error: outcome };
    return { ok: true, response: outcome, revision: this.store.revision };
  }
}
