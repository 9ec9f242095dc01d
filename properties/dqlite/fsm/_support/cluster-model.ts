/**
 * A model of a dqlite cluster around the FSMs, for model-based properties: several
 * nodes, each a DqliteFsm on a fake store; one leader at a time runs transactions
 * the way go-dqlite's replication hooks do (Begin: undo a leftover follower
 * transaction, drop its own stale Pending zombie, register a leader transaction;
 * Frames: replicate, then SQLite writes; Undo; End: unregister), and loses
 * leadership in the middle of a command, whose entry then either commits anyway
 * (applied by every node after the change) or is lost. Committed entries are
 * applied by every node in the same order (what Raft guarantees). Snapshots move
 * from one node to another.
 *
 * At the end the last leader writes once to every database (which purges stale
 * zombies and undoes leftovers) and the model checks: no violation on any node, no
 * transaction left, no uncommitted frame left, and every node's every database is
 * exactly the committed transactions' frames.
 */
import { ErrTransactionInProgress } from "../../../../src/impl/dqlite/fsm/errors.ts";
import type { DqliteFsmBrokenVariant } from "../../../../scenarios/dqlite/variants.ts";
import type { Transaction } from "../../../../src/impl/dqlite/fsm/transaction.ts";
import { PAGE_SIZE, type Command, type TxnId } from "../../../../src/impl/dqlite/types.ts";
import { readerOf, type SnapshotSink } from "../../../../src/impl/raft/node/fsm.ts";
import { pagesToBytes } from "./fake-database-store.ts";
import { frames, FsmNode, TestLog, txidOf } from "./fsm-node.ts";

export type Fate = "committed" | "lost";

/** The leader loses leadership while entry `at` of the transaction is in flight. */
export interface Interruption {
  readonly at: number;
  readonly fate: Fate;
  readonly newLeader: number;
}

export interface TransactionStep {
  readonly kind: "transaction";
  readonly database: number;
  /** Page numbers of each non-commit batch. */
  readonly batches: readonly (readonly number[])[];
  readonly commitPages: readonly number[];
  /** Ends with an Undo instead of the commit frames (when there were batches). */
  readonly rollback: boolean;
  readonly interruption: Interruption | null;
  /** The leader checkpoints the database after the commit. */
  readonly checkpoint: boolean;
}

export type Step =
  | TransactionStep
  | { readonly kind: "elect"; readonly leader: number }
  | { readonly kind: "snapshot-restore"; readonly source: number; readonly target: number };

export interface ModelOptions {
  readonly nodes: number;
  readonly databases: number;
  /** A broken FSM for every node (scenarios/dqlite/variants.ts). */
  readonly variant?: DqliteFsmBrokenVariant;
}

export interface ModelOutcome {
  readonly problems: readonly string[];
  /** Probes hit, summed over the nodes. */
  readonly probes: ReadonlyMap<string, number>;
  /** Snapshots restored (taken while no transaction was registered on their node). */
  readonly restores: number;
}

interface Image {
  pages: Map<number, Uint8Array>;
  size: number;
}

/** Stops a run at its first problem. */
class Abort extends Error {}

export const databaseName = (database: number): string => `db${database}`;

export class ClusterModel {
  readonly nodes: FsmNode[];
  readonly problems: string[] = [];
  private readonly log = new TestLog();
  private leader = 0;
  private counter = 0;
  private readonly expected = new Map<string, Image>();
  /** Frames of each transaction committed to the log so far, not yet committed or undone. */
  private readonly logPending = new Map<TxnId, Command[]>();

  constructor(private readonly options: ModelOptions) {
    this.nodes = Array.from({ length: options.nodes }, (_, position) => new FsmNode(`n${position}`, options.variant));
  }

  async run(steps: readonly Step[]): Promise<ModelOutcome> {
    try {
      for (let database = 0; database < this.options.databases; database++) {
        this.expected.set(databaseName(database), { pages: new Map(), size: 0 });
        await this.commit({ kind: "open", name: databaseName(database) });
      }
      for (const step of steps) await this.step(step);
      for (let database = 0; database < this.options.databases; database++) {
        await this.transaction({
          kind: "transaction",
          database,
          batches: [],
          commitPages: [1],
          rollback: false,
          interruption: null,
          checkpoint: false,
        });
      }
      await this.checkEnd();
    } catch (error) {
      if (!(error instanceof Abort))
        this.problems.push(`threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    const probes = new Map<string, number>();
    for (const node of this.nodes)
      for (const [name, count] of node.env.probes) probes.set(name, (probes.get(name) ?? 0) + count);
    const restores = this.nodes.reduce(
      (total, node) => total + node.env.traces.filter((trace) => trace.kind === "dqlite.fsm-restored").length,
      0,
    );
    return { problems: this.problems, probes, restores };
  }

  private async step(step: Step): Promise<void> {
    switch (step.kind) {
      case "transaction":
        return this.transaction(step);
      case "elect":
        return this.changeLeader(step.leader);
      case "snapshot-restore":
        return this.snapshotRestore(step.source, step.target);
    }
  }

  private problem(message: string): never {
    this.problems.push(message);
    throw new Abort(message);
  }

  /** Appends a committed entry and applies it on every node. */
  private async commit(command: Command): Promise<void> {
    const record = this.log.record(command);
    this.track(command);
    for (const node of this.nodes) {
      const result = await node.apply(record);
      if (result !== undefined) this.problem(`${node.name}: ${result.message}`);
    }
  }

  private changeLeader(leader: number): void {
    this.leader = leader % this.nodes.length;
    this.log.term++;
  }

  private async transaction(step: TransactionStep): Promise<void> {
    const node = this.nodeAt(this.leader);
    const name = databaseName(step.database % this.options.databases);
    await this.beginHook(node, name);
    this.counter++;
    const txid = txidOf(this.log.term, this.counter);
    const txn = node.registry.txnLeaderAdd(name, txid);
    const entries = this.entriesOf(step, txid, name);
    const at = step.interruption === null ? -1 : Math.min(step.interruption.at, entries.length - 1);
    const files = node.files(name);
    for (const [position, entry] of entries.entries()) {
      if (position === at && step.interruption !== null) {
        // Raft answered ErrLeadershipLost: SQLite rolls back, the transaction is a zombie.
        txn.markZombie();
        files.noteLeaderRollback();
        this.changeLeader(step.interruption.newLeader);
        if (step.interruption.fate === "committed") await this.commit(entry);
        return;
      }
      await this.commit(entry);
      if (entry.kind === "frames") {
        files.sqliteWrite(entry);
        if (entry.isCommit) files.noteLeaderCommit(files.committedFrames());
      } else {
        files.noteLeaderRollback();
      }
    }
    node.registry.txnDel(txid);
    if (step.checkpoint && !(step.rollback && step.batches.length > 0)) await this.commit({ kind: "checkpoint", name });
  }

  /** go-dqlite's Begin hook on the leader, after a barrier (every committed entry is applied). */
  private async beginHook(node: FsmNode, name: string): Promise<void> {
    const existing: Transaction | undefined = node.registry.txnByFilename(name);
    if (existing === undefined) return;
    if (existing.isLeader && !existing.isZombie)
      this.problem(`${node.name}: leader transaction ${existing.describe()} left over`);
    if (existing.isZombie && existing.state === "pending") {
      // Its first frames never committed: nobody else knows it.
      node.registry.txnDel(existing.id);
    } else {
      await this.commit({ kind: "undo", txid: existing.id });
    }
    const still = node.registry.txnByFilename(name);
    if (still !== undefined)
      this.problem(`${node.name}: ${still.describe()} still registered after the Begin hook's cleanup`);
    if (node.files(name).pendingFrames() !== 0) this.problem(`${node.name}: ${name} has uncommitted frames at Begin`);
  }

  private entriesOf(step: TransactionStep, txid: TxnId, name: string): Command[] {
    const fill = (batch: number, pageNumber: number): number =>
      ((this.counter * 37 + batch * 11 + pageNumber) % 251) + 1;
    const batch = (pages: readonly number[], position: number) =>
      pages.map((number) => [number, fill(position, number)] as const);
    const entries: Command[] = step.batches.map((pages, position) => frames(txid, name, batch(pages, position)));
    if (step.rollback && step.batches.length > 0) {
      entries.push({ kind: "undo", txid });
    } else {
      const touched = [...step.batches.flat(), ...step.commitPages];
      const truncate = Math.max(this.expectedImage(name).size, ...touched);
      entries.push(frames(txid, name, batch(step.commitPages, step.batches.length), truncate));
    }
    return entries;
  }

  /** What the log says: frames of a transaction accumulate until its commit (into the expected image) or undo. */
  private track(command: Command): void {
    if (command.kind === "undo") this.logPending.delete(command.txid);
    if (command.kind !== "frames") return;
    const pending = [...(this.logPending.get(command.txid) ?? []), command];
    if (!command.isCommit) {
      this.logPending.set(command.txid, pending);
      return;
    }
    this.logPending.delete(command.txid);
    const image = this.expectedImage(command.filename);
    for (const batch of pending) {
      if (batch.kind !== "frames") continue;
      batch.pageNumbers.forEach((number, position) =>
        image.pages.set(number, batch.pageData.slice(position * PAGE_SIZE, (position + 1) * PAGE_SIZE)),
      );
    }
    image.size = command.truncate;
    for (const number of [...image.pages.keys()]) if (number > image.size) image.pages.delete(number);
  }

  private async snapshotRestore(source: number, target: number): Promise<void> {
    // Raft installs snapshots on followers only.
    if (target % this.nodes.length === this.leader) return;
    let snapshot;
    try {
      snapshot = await this.nodeAt(source).fsm.snapshot();
    } catch (error) {
      if (error instanceof ErrTransactionInProgress) return;
      throw error;
    }
    const chunks: Uint8Array[] = [];
    const sink: SnapshotSink = {
      id: "test",
      write: async (data) => void chunks.push(data.slice()),
      close: async () => undefined,
      cancel: async () => undefined,
    };
    await snapshot.persist(sink);
    const bytes = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
    chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0);
    await this.nodeAt(target).fsm.restore(readerOf(bytes, 1000));
  }

  private async checkEnd(): Promise<void> {
    for (const node of this.nodes) {
      if (node.fsm.violationCount > 0)
        this.problem(
          `${node.name}: ${node.fsm.violationCount} violations, first: ${node.fsm.violations[0]?.message ?? ""}`,
        );
      const left = node.registry.transactions();
      if (left.length > 0)
        this.problem(`${node.name}: transactions left: ${left.map((txn) => txn.describe()).join(", ")}`);
      if (node.fsm.registry.index() !== this.log.index)
        this.problem(`${node.name}: FSM index ${node.fsm.registry.index()}, log at ${this.log.index}`);
      for (const name of this.expected.keys()) {
        const files = node.files(name);
        if (files.pendingFrames() !== 0)
          this.problem(`${node.name}: ${name} has ${files.pendingFrames()} uncommitted frames`);
        const expected = this.expectedImage(name);
        const image = await files.image();
        if (!sameBytes(image, pagesToBytes(expected.pages, expected.size, PAGE_SIZE))) {
          this.problem(
            `${node.name}: ${name} differs from the committed transactions (${image.length / PAGE_SIZE} pages, expected ${expected.size})`,
          );
        }
      }
    }
  }

  private expectedImage(name: string): Image {
    const image = this.expected.get(name);
    if (image === undefined) throw new Error(`no database ${name}`);
    return image;
  }

  private nodeAt(position: number): FsmNode {
    const node = this.nodes[position % this.nodes.length];
    if (node === undefined) throw new Error(`no node ${position}`);
    return node;
  }
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, position) => byte === right[position]);
}

/** Runs `steps` on a fresh cluster. */
export function runModel(steps: readonly Step[], options: ModelOptions): Promise<ModelOutcome> {
  return new ClusterModel(options).run(steps);
}
