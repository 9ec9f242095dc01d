/**
 * An in-memory cluster of pure Raft cores, driven one action at a time: deliver,
 * drop or duplicate a message in flight (in any order), tick a node, make a node's
 * pending effects durable ("sync"), crash a node (it restarts at once from what
 * was durable), propose, transfer leadership, verify leadership.
 *
 * The driver follows the Ready contract: a ready stays pending (volatile) until
 * its node syncs; only then are its entries and hard state durable, its messages
 * released to the network and its committed entries applied. The broken driver
 * `ackBeforePersist` releases messages as soon as they are produced instead.
 *
 * The state machine is the list of applied entry keys; a snapshot is a copy of it.
 */
import type { RaftError } from "../../../src/impl/raft/errors.ts";
import {
  RaftCore,
  type ConfigurationChange,
  type CoreOptions,
  type CoreRestore,
  type HardState,
  type LeadershipChange,
  type LogEntry,
  type Message,
  type ProposeOutcome,
  type Ready,
  type SnapshotMetadata,
} from "../../../src/impl/raft/core/index.ts";
import { SeededRandom } from "./seeded-random.ts";

/** The state machine: the key of each applied entry, index 1 first. */
export type AppliedState = readonly string[];

export interface InFlight {
  readonly message: Message;
  /** For install-snapshot: the sender's snapshot (the node attaches the bytes from its store). */
  readonly snapshotState?: AppliedState;
}

/**
 * What the driver saw each node do, each reported when it becomes true outside
 * the node: a ready when the core hands it out; a log change, a leadership and a
 * commit once the ready is durable; an acknowledgement when its message leaves;
 * an apply when the state machine takes the entry. A restart reports the log read
 * back from the durable state. Checkers judge from these, never from a core.
 */
export interface ClusterListener {
  readyProduced?(node: string, ready: Ready): void;
  restored?(node: string, base: { readonly index: number; readonly term: number }, entries: readonly LogEntry[]): void;
  persisted?(node: string, change: DurableChange): void;
  compacted?(node: string, through: number): void;
  leadership?(node: string, role: string, term: number): void;
  committed?(node: string, commitIndex: number, term: number): void;
  acknowledged?(node: string, matchIndex: number, term: number): void;
  applied?(node: string, index: number, key: string): void;
  snapshotRestored?(node: string, metadata: SnapshotMetadata, state: AppliedState): void;
}

/** One listener that tells each of `all`, in order. */
export function listeners(...all: readonly ClusterListener[]): ClusterListener {
  const fanOut = <K extends keyof ClusterListener>(hook: K) =>
    ((...args: unknown[]) => {
      for (const listener of all) (listener[hook] as ((...a: unknown[]) => void) | undefined)?.apply(listener, args);
    }) as NonNullable<ClusterListener[K]>;
  return {
    readyProduced: fanOut("readyProduced"),
    restored: fanOut("restored"),
    persisted: fanOut("persisted"),
    compacted: fanOut("compacted"),
    leadership: fanOut("leadership"),
    committed: fanOut("committed"),
    acknowledged: fanOut("acknowledged"),
    applied: fanOut("applied"),
    snapshotRestored: fanOut("snapshotRestored"),
  };
}

/** One ready's change of a node's durable log, and the term durable with it. */
export interface DurableChange {
  readonly term: number;
  readonly snapshot: { readonly index: number; readonly term: number } | undefined;
  readonly truncateFrom: number | undefined;
  readonly entries: readonly LogEntry[];
}

export type CoreTuning = Partial<Omit<CoreOptions, "id" | "random">>;

export interface ClusterOptions {
  readonly ids: readonly string[];
  readonly seed: number;
  readonly core: CoreTuning;
  /** Broken driver fixture: messages leave before the ready is durable. */
  readonly ackBeforePersist?: boolean;
  /** Messages in flight at most; beyond it the oldest is lost. */
  readonly networkCapacity?: number;
  readonly listener?: ClusterListener;
}

export const DEFAULT_NETWORK_CAPACITY = 96;

/**
 * A key that identifies an entry's content: term, kind and command value (4 bytes: a number; other lengths: text or
 * hex).
 */
export function entryKey(entry: LogEntry): string {
  const value =
    entry.data.length === 4
      ? new DataView(entry.data.buffer, entry.data.byteOffset, 4).getUint32(0)
      : dataKey(entry.data);
  const configuration = entry.configuration === undefined ? "" : `[${entry.configuration.voters.join(",")}]`;
  return `${entry.term}:${entry.kind}${value === "" ? "" : `:${value}`}${configuration}`;
}

/** Printable ASCII as quoted text (transcripts' commands), anything else as hex. */
function dataKey(data: Uint8Array): string {
  if (data.length === 0) return "";
  if (data.every((byte) => byte >= 0x20 && byte < 0x7f && byte !== 0x22)) return `"${String.fromCharCode(...data)}"`;
  return [...data].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function encodeValue(value: number): Uint8Array {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, value);
  return data;
}

function snapshotKey(metadata: SnapshotMetadata): string {
  return `${metadata.index}/${metadata.term}`;
}

/** What survives a crash. */
interface Durable {
  hardState: HardState;
  logBase: { index: number; term: number };
  entries: LogEntry[];
  snapshot: SnapshotMetadata | undefined;
  readonly snapshots: Map<string, AppliedState>;
}

export class HarnessNode {
  core: RaftCore;
  pending: Ready[] = [];
  applied: string[] = [];
  readonly durable: Durable = {
    hardState: { term: 0, votedFor: undefined },
    logBase: { index: 0, term: 0 },
    entries: [],
    snapshot: undefined,
    snapshots: new Map(),
  };
  private incarnation = 0;

  constructor(
    readonly id: string,
    private readonly options: CoreOptions,
    private readonly seed: number,
    bootstrap: readonly string[],
  ) {
    if (bootstrap.length > 0) {
      // hashicorp/raft's BootstrapCluster: the first configuration is entry 1 of term 1 on every initial server.
      this.durable.hardState = { term: 1, votedFor: undefined };
      this.durable.entries = [
        {
          index: 1,
          term: 1,
          kind: "configuration",
          data: new Uint8Array(0),
          configuration: { voters: [...bootstrap].sort() },
        },
      ];
    }
    this.core = this.restart();
  }

  /** A new incarnation from the durable state (volatile state is lost). */
  restart(): RaftCore {
    this.incarnation++;
    this.pending = [];
    const snapshot = this.durable.snapshot;
    this.applied =
      snapshot === undefined ? [] : [...(this.durable.snapshots.get(snapshotKey(snapshot)) as AppliedState)];
    const restore: CoreRestore = {
      hardState: this.durable.hardState,
      snapshot,
      logBase: { ...this.durable.logBase },
      entries: this.durable.entries.slice(),
    };
    this.core = new RaftCore(
      { ...this.options, random: new SeededRandom(this.seed * 7919 + this.incarnation) },
      restore,
    );
    return this.core;
  }

  snapshotState(metadata: SnapshotMetadata): AppliedState | undefined {
    return this.durable.snapshots.get(snapshotKey(metadata));
  }

  storeSnapshot(metadata: SnapshotMetadata, state: AppliedState): void {
    this.durable.snapshots.set(snapshotKey(metadata), state.slice());
  }
}

export class CoreCluster {
  readonly nodes = new Map<string, HarnessNode>();
  network: InFlight[] = [];
  /** Messages held back (delayed) until `releaseHeld`: flush does not deliver them. */
  held: InFlight[] = [];
  /** Nodes cut off from everyone: messages from or to them are lost at delivery. */
  readonly isolated = new Set<string>();
  private nextValue = 1;
  private readonly capacity: number;

  constructor(private readonly options: ClusterOptions) {
    this.capacity = options.networkCapacity ?? DEFAULT_NETWORK_CAPACITY;
    options.ids.forEach((id, position) => {
      const coreOptions = { ...options.core, id, random: new SeededRandom(0) } as CoreOptions;
      this.nodes.set(id, new HarnessNode(id, coreOptions, options.seed + position * 1_000_003, options.ids));
      this.restored(this.node(id));
    });
  }

  private restored(node: HarnessNode): void {
    this.options.listener?.restored?.(node.id, node.durable.logBase, node.durable.entries);
  }

  /** A new, empty server (not bootstrapped): it joins when a leader adds it. */
  addNode(id: string): HarnessNode {
    if (this.nodes.has(id)) throw new Error(`node ${id} exists`);
    const coreOptions = { ...this.options.core, id, random: new SeededRandom(0) } as CoreOptions;
    const node = new HarnessNode(id, coreOptions, this.options.seed + this.nodes.size * 1_000_003, []);
    this.nodes.set(id, node);
    this.restored(node);
    return node;
  }

  /** Proposes a configuration change at `id`; returns the outcome's error, if any. */
  changeConfiguration(id: string, change: ConfigurationChange): RaftError | undefined {
    const node = this.node(id);
    const outcome = node.core.proposeConfigurationChange(change);
    if (!outcome.ok) return outcome.error;
    this.produced(node, outcome.ready);
    return undefined;
  }

  node(id: string): HarnessNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** The value the next proposal will carry (values only grow). */
  get nextProposalValue(): number {
    return this.nextValue;
  }

  get ids(): string[] {
    return [...this.nodes.keys()];
  }

  tick(id: string): void {
    const node = this.node(id);
    this.produced(node, node.core.tick());
  }

  deliver(position: number): void {
    const [inFlight] = this.network.splice(position, 1);
    if (inFlight === undefined) return;
    const node = this.nodes.get(inFlight.message.to);
    if (node === undefined || this.isolated.has(inFlight.message.to) || this.isolated.has(inFlight.message.from))
      return;
    if (inFlight.message.type === "install-snapshot") {
      // The node stores the snapshot's bytes durably before it steps the core.
      node.storeSnapshot(inFlight.message.snapshot, inFlight.snapshotState as AppliedState);
    }
    this.produced(node, node.core.step(inFlight.message));
  }

  /** Delivers every message now in flight, oldest first (not the ones this produces). */
  flush(): void {
    const count = this.network.length;
    for (let delivered = 0; delivered < count && this.network.length > 0; delivered++) this.deliver(0);
  }

  drop(position: number): void {
    this.network.splice(position, 1);
  }

  /** A copy of the message is held back, to arrive much later. */
  duplicate(position: number): void {
    const inFlight = this.network[position];
    if (inFlight !== undefined) this.hold(inFlight);
  }

  /** The message is held back (a long delay). */
  delay(position: number): void {
    const [inFlight] = this.network.splice(position, 1);
    if (inFlight !== undefined) this.hold(inFlight);
  }

  /** Every held message is in flight again (after the ones already in flight). */
  releaseHeld(): void {
    const held = this.held;
    this.held = [];
    for (const inFlight of held) this.enqueue(inFlight);
  }

  private hold(inFlight: InFlight): void {
    this.held.push(inFlight);
    if (this.held.length > this.capacity) this.held.shift();
  }

  crash(id: string): void {
    const node = this.node(id);
    node.restart();
    this.restored(node);
  }

  /** Proposes a fresh value at `id`; returns it if the node accepted it. */
  propose(id: string): number | undefined {
    const node = this.node(id);
    const value = this.nextValue++;
    const outcome = node.core.propose(encodeValue(value));
    if (!outcome.ok) return undefined;
    this.produced(node, outcome.ready);
    return value;
  }

  /** Proposes the command `data` at `id`, as it is; returns the core's outcome. */
  proposeCommand(id: string, data: Uint8Array): ProposeOutcome {
    const node = this.node(id);
    const outcome = node.core.propose(data);
    if (outcome.ok) this.produced(node, outcome.ready);
    return outcome;
  }

  transfer(id: string, target?: string): RaftError | undefined {
    const node = this.node(id);
    const outcome = node.core.transferLeadership(target);
    if (!outcome.ok) return outcome.error;
    this.produced(node, outcome.ready);
    return undefined;
  }

  verify(id: string, requestId: number): void {
    const node = this.node(id);
    const outcome = node.core.verifyLeader(requestId);
    if (outcome.ok) this.produced(node, outcome.ready);
  }

  /** Makes every pending ready of `id` durable, in order, then sends and applies. */
  sync(id: string): void {
    const node = this.node(id);
    while (node.pending.length > 0) {
      const ready = node.pending.shift() as Ready;
      this.carryOut(node, ready);
    }
  }

  /** Makes the oldest pending ready of `id` durable, then sends and applies it; returns it (undefined if none). */
  syncOne(id: string): Ready | undefined {
    const node = this.node(id);
    const ready = node.pending.shift();
    if (ready !== undefined) this.carryOut(node, ready);
    return ready;
  }

  private produced(node: HarnessNode, ready: Ready): void {
    this.options.listener?.readyProduced?.(node.id, ready);
    if (this.options.ackBeforePersist === true) for (const message of ready.messages) this.release(node, message);
    node.pending.push(ready);
  }

  private carryOut(node: HarnessNode, ready: Ready): void {
    persist(node, ready);
    const listener = this.options.listener;
    const term = node.durable.hardState.term;
    if (ready.snapshot !== undefined || ready.truncateFrom !== undefined || ready.entries.length > 0) {
      listener?.persisted?.(node.id, {
        term,
        snapshot: ready.snapshot,
        truncateFrom: ready.truncateFrom,
        entries: ready.entries,
      });
    }
    if (ready.leadership !== undefined) listener?.leadership?.(node.id, ready.leadership.role, ready.leadership.term);
    if (this.options.ackBeforePersist !== true) for (const message of ready.messages) this.release(node, message);
    if (ready.snapshot !== undefined) {
      const state = node.snapshotState(ready.snapshot);
      if (state === undefined) throw new Error(`${node.id} installs snapshot ${ready.snapshot.index} it never stored`);
      node.applied = [...state];
      listener?.snapshotRestored?.(node.id, ready.snapshot, state);
    }
    const lastCommitted = ready.committed[ready.committed.length - 1];
    if (lastCommitted !== undefined) listener?.committed?.(node.id, lastCommitted.index, term);
    for (const entry of ready.committed) {
      if (entry.index !== node.applied.length + 1)
        throw new Error(`${node.id} applies ${entry.index} after ${node.applied.length}`);
      const key = entryKey(entry);
      node.applied.push(key);
      listener?.applied?.(node.id, entry.index, key);
    }
    if (ready.compactThrough !== undefined) this.compact(node, ready.compactThrough);
    if (ready.snapshotWanted) this.takeSnapshot(node);
  }

  private compact(node: HarnessNode, through: number): void {
    if (compactDurable(node, through)) this.options.listener?.compacted?.(node.id, through);
  }

  private takeSnapshot(node: HarnessNode): void {
    const index = node.applied.length;
    if (index <= (node.durable.snapshot?.index ?? 0)) return;
    const metadata = node.core.snapshotMetadata(index);
    if (metadata === undefined) return;
    node.storeSnapshot(metadata, node.applied);
    node.durable.snapshot = metadata;
    const ready = node.core.snapshotTaken(metadata);
    this.options.listener?.readyProduced?.(node.id, ready);
    if (ready.compactThrough !== undefined) this.compact(node, ready.compactThrough);
  }

  private release(node: HarnessNode, message: Message): void {
    if (message.type === "append-entries-response" && message.success)
      this.options.listener?.acknowledged?.(node.id, message.matchIndex, message.term);
    if (message.type === "install-snapshot") {
      const state = node.snapshotState(message.snapshot);
      if (state === undefined) throw new Error(`${node.id} sends snapshot ${message.snapshot.index} it does not hold`);
      this.enqueue({ message, snapshotState: state });
    } else {
      this.enqueue({ message });
    }
  }

  private enqueue(inFlight: InFlight): void {
    this.network.push(inFlight);
    if (this.network.length > this.capacity) this.network.shift();
  }
}

/** Step 1 of the Ready contract, on the durable state. */
function persist(node: HarnessNode, ready: Ready): void {
  const durable = node.durable;
  if (ready.hardState !== undefined) durable.hardState = ready.hardState;
  if (ready.snapshot !== undefined) {
    durable.snapshot = ready.snapshot;
    durable.logBase = { index: ready.snapshot.index, term: ready.snapshot.term };
    durable.entries = [];
  }
  if (ready.truncateFrom !== undefined) {
    const from = ready.truncateFrom;
    durable.entries = durable.entries.filter((entry) => entry.index < from);
  }
  for (const entry of ready.entries) {
    const last = durable.entries[durable.entries.length - 1]?.index ?? durable.logBase.index;
    if (entry.index !== last + 1) throw new Error(`${node.id} persists entry ${entry.index} after ${last}`);
    durable.entries.push(entry);
  }
}

/** Compacts the durable log through `through`; false when it holds no such entry (already compacted, or not there). */
function compactDurable(node: HarnessNode, through: number): boolean {
  const durable = node.durable;
  if (through <= durable.logBase.index) return false;
  const base = durable.entries.find((entry) => entry.index === through);
  if (base === undefined) return false;
  durable.logBase = { index: through, term: base.term };
  durable.entries = durable.entries.filter((entry) => entry.index > through);
  return true;
}

export type { LeadershipChange };
