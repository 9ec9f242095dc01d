/**
 * The world of a Raft core transcript (etcd raft's InteractionEnv): a CoreCluster
 * driven one explicit step at a time, and the text of what each step showed.
 *
 * - A call into a core (tick, step, propose, ...) leaves its Ready pending; what it
 *   reported at once (a leadership change, a probe) is printed under the call.
 * - `processReady` carries out a node's pending Readies one by one (CoreCluster's
 *   syncOne: persist, then send, then apply) and prints each, with what carrying
 *   it out did (a snapshot taken, the log compacted, a snapshot restored).
 * - Messages sent wait in the cluster's network until delivered or dropped; a
 *   partition drops every message between its groups, at delivery or when it heals.
 * - The shared Raft safety checker (src/impl/raft/testing/safety-checker.ts) sees
 *   everything the driver observes, and is asked after every command.
 *
 * Limits: STABILIZE_ROUNDS_MAX rounds in one `stabilize`, ELECTION_TICKS_MAX ticks
 * waiting for an election timer.
 */
import {
  resolveCoreOptions,
  type Message,
  type RaftRole,
  type Ready,
  type ResolvedCoreOptions,
  type SnapshotMetadata,
} from "../../../src/impl/raft/core/index.ts";
import {
  formatEntry,
  formatLeadership,
  formatMessage,
  formatProbes,
  formatReady,
  formatStatus,
  formatVoters,
} from "../../../src/impl/raft/testing/transcript-format.ts";
import { CoreCluster, listeners, type ClusterListener, type CoreTuning, type HarnessNode } from "./core-cluster.ts";
import { InvariantChecker, InvariantViolation, type InvariantName } from "./invariants.ts";
import { RAFT_SAFETY_INVARIANTS } from "../../../src/impl/raft/testing/safety-checker.ts";

/** Rounds (every node's Readies, then every node's messages) in one `stabilize` at most. */
export const STABILIZE_ROUNDS_MAX = 100;
/** Ticks waiting for an election timer to fire at most. */
export const ELECTION_TICKS_MAX = 1_000;

const SAFETY_INVARIANTS: ReadonlySet<InvariantName> = new Set(RAFT_SAFETY_INVARIANTS);

export type MessageFilter = (message: Message) => boolean;

export interface TranscriptEnvOptions {
  /** Core options laid over every `add-nodes`' own: how a test runs a transcript on a broken variant. */
  readonly coreOverrides?: CoreTuning;
}

export class TranscriptEnv {
  private clusterValue: CoreCluster | undefined;
  /** The options every core runs with (resolved as the core resolves them), once there are nodes. */
  private resolved: ResolvedCoreOptions | undefined;
  private readonly checker = new InvariantChecker(SAFETY_INVARIANTS);
  /** Node → its group while a partition stands. */
  private groups: Map<string, number> | undefined;
  /** The role each node last reported (observed from its Readies). */
  private readonly reportedRole = new Map<string, RaftRole>();
  private lastProduced: Ready | undefined;
  private lines: string[] = [];
  private indent = "";
  private muted = false;
  /** Every safety violation seen, as printed. */
  readonly violations: string[] = [];

  constructor(private readonly options: TranscriptEnvOptions = {}) {}

  /** Starts a command's output. */
  begin(): void {
    this.lines = [];
    this.indent = "";
  }

  /** Ends a command: asks the safety checker, and returns the output ("ok" for none). */
  end(): string {
    try {
      this.checker.check();
    } catch (error) {
      if (!(error instanceof InvariantViolation)) throw error;
      this.indent = "";
      this.writeAlways(`safety violation: ${error.message}`);
      this.violations.push(error.message);
    }
    return this.lines.length === 0 ? "ok" : this.lines.join("\n");
  }

  write(line: string): void {
    if (!this.muted) this.lines.push(`${this.indent}${line}`);
  }

  /** Written even under `log-level none`: errors and safety violations. */
  writeAlways(line: string): void {
    this.lines.push(`${this.indent}${line}`);
  }

  /** `none`: commands print only errors and safety violations (for a quiet setup); `all`: everything. */
  setLogLevel(level: string): void {
    if (level !== "none" && level !== "all") throw new Error(`log-level: none or all, not ${level}`);
    this.muted = level === "none";
  }

  /** Runs `body` with its output indented two more spaces. */
  indented(body: () => void): void {
    const saved = this.indent;
    this.indent = `${saved}  `;
    try {
      body();
    } finally {
      this.indent = saved;
    }
  }

  get cluster(): CoreCluster {
    if (this.clusterValue === undefined) throw new Error("no nodes yet: add-nodes first");
    return this.clusterValue;
  }

  node(id: string): HarnessNode {
    return this.cluster.node(id);
  }

  get electionTimeoutTicks(): number {
    return this.coreOptions().electionTimeoutTicks;
  }

  get heartbeatIntervalTicks(): number {
    return this.coreOptions().heartbeatIntervalTicks;
  }

  private coreOptions(): ResolvedCoreOptions {
    if (this.resolved === undefined) throw new Error("no nodes yet: add-nodes first");
    return this.resolved;
  }

  /**
   * The first call creates the cluster: nodes 1..count, bootstrapped with entry 1/1 naming them all. Later calls add
   * empty servers.
   */
  addNodes(count: number, tuning: CoreTuning, seed: number): void {
    if (this.clusterValue === undefined) {
      const core = { ...tuning, ...this.options.coreOverrides };
      this.resolved = resolveCoreOptions({ ...core, id: "transcript", random: { int: (min) => min } });
      const ids = Array.from({ length: count }, (_, position) => String(position + 1));
      this.clusterValue = new CoreCluster({ ids, seed, core, listener: listeners(this.checker, this.reporter()) });
      for (const id of ids) this.describeDurable(id, `${id} bootstrapped:`);
      return;
    }
    if (Object.keys(tuning).length > 0) throw new Error("options are set by the first add-nodes, for every node");
    for (let added = 0; added < count; added++) {
      const id = String(this.cluster.ids.length + 1);
      this.cluster.addNode(id);
      this.write(`${id} added, with an empty log (it joins when a leader adds it)`);
    }
  }

  /** Prints what the driver sees each node do while it is driven. */
  private reporter(): ClusterListener {
    return {
      readyProduced: (node, ready) => {
        this.lastProduced = ready;
        if (ready.leadership !== undefined) {
          this.write(formatLeadership(node, ready.leadership, this.reportedRole.get(node) ?? "follower"));
          this.reportedRole.set(node, ready.leadership.role);
        }
        for (const line of formatProbes(ready)) this.write(line);
      },
      compacted: (node, through) => this.write(`${node} compacted its log through ${through}`),
      snapshotRestored: (node, metadata) =>
        this.write(`${node} restored its state machine from snapshot ${position(metadata)}`),
    };
  }

  tick(id: string, count: number): void {
    for (let tick = 0; tick < count; tick++) this.cluster.tick(id);
  }

  /** Ticks `id` until its election timer fires: it starts an election (pre-vote first, if on). */
  tickUntilElection(id: string): void {
    for (let tick = 0; tick < ELECTION_TICKS_MAX; tick++) {
      this.lastProduced = undefined;
      this.cluster.tick(id);
      const ready = this.lastProduced as Ready | undefined;
      if (
        ready?.leadership !== undefined ||
        ready?.messages.some((message) => message.type === "request-vote") === true
      )
        return;
    }
    throw new Error(`${id} started no election within ${ELECTION_TICKS_MAX} ticks (not a voter?)`);
  }

  /** Carries out every pending Ready of each node, in order, printing each with what carrying it out did. */
  processReady(ids: readonly string[]): void {
    for (const id of ids) {
      const node = this.node(id);
      for (let count = node.pending.length; count > 0; count--) {
        const ready = node.pending[0] as Ready;
        const lines = formatReady(ready);
        if (lines.length > 0) this.write(`> ${id} handling Ready`);
        this.indented(() => {
          for (const line of lines) this.write(line);
          const snapshotBefore = node.durable.snapshot;
          this.cluster.syncOne(id);
          const snapshot = node.durable.snapshot;
          if (ready.snapshotWanted && snapshot !== snapshotBefore && snapshot !== undefined)
            this.write(`${id} took snapshot ${position(snapshot)}`);
        });
      }
    }
  }

  /** True if `id` has a pending Ready with anything to carry out (leadership and probes were shown already). */
  hasWork(id: string): boolean {
    return this.node(id).pending.some((ready) => formatReady(ready).length > 0);
  }

  /** Messages in flight that `filter` picks. */
  inFlight(filter: MessageFilter): Message[] {
    return this.cluster.network.map((inFlight) => inFlight.message).filter(filter);
  }

  /**
   * Delivers the messages in flight that `filter` picks, oldest first, printing each
   * with what it caused; a message across the partition is dropped. Returns how many.
   */
  deliver(filter: MessageFilter): number {
    const count = this.inFlight(filter).length;
    for (let handled = 0; handled < count; handled++) {
      const position = this.cluster.network.findIndex((inFlight) => filter(inFlight.message));
      if (position < 0) break;
      const message = (this.cluster.network[position] as { message: Message }).message;
      if (this.partitioned(message)) {
        this.cluster.drop(position);
        this.write(`dropped: ${formatMessage(message)} (partitioned)`);
        continue;
      }
      this.write(formatMessage(message));
      this.indented(() => this.cluster.deliver(position));
    }
    return count;
  }

  /** Loses the messages in flight that `filter` picks. Returns how many. */
  drop(filter: MessageFilter, reason = ""): number {
    const dropped = this.inFlight(filter);
    this.cluster.network = this.cluster.network.filter((inFlight) => !filter(inFlight.message));
    for (const message of dropped) this.write(`dropped: ${formatMessage(message)}${reason}`);
    return dropped.length;
  }

  /** Readies then messages of `ids`, round after round, until none of them has anything to do. */
  stabilize(ids: readonly string[]): void {
    for (let round = 0; round < STABILIZE_ROUNDS_MAX; round++) {
      let busy = false;
      for (const id of ids) {
        if (this.hasWork(id)) busy = true;
        this.processReady([id]);
      }
      for (const id of ids) {
        const toNode: MessageFilter = (message) => message.to === id;
        if (this.inFlight(toNode).length === 0) continue;
        busy = true;
        this.write(`> ${id} receiving messages`);
        this.indented(() => this.deliver(toNode));
      }
      if (!busy) return;
    }
    throw new Error(`not stable after ${STABILIZE_ROUNDS_MAX} rounds`);
  }

  /** Nodes in different groups cannot talk; the nodes in no group form one more group. */
  partition(groups: readonly (readonly string[])[]): void {
    const byNode = new Map<string, number>();
    groups.forEach((group, position) => group.forEach((id) => byNode.set(this.node(id).id, position)));
    for (const id of this.cluster.ids) if (!byNode.has(id)) byNode.set(id, groups.length);
    this.groups = byNode;
  }

  /** Ends the partition; the messages sent across it and still in flight are lost. */
  heal(): void {
    this.drop((message) => this.partitioned(message), " (partitioned)");
    this.groups = undefined;
  }

  private partitioned(message: Message): boolean {
    return this.groups !== undefined && this.groups.get(message.from) !== this.groups.get(message.to);
  }

  /** Crashes `id`; it restarts at once from what was durable (pending Readies are lost). */
  restart(id: string): void {
    const lost = this.node(id).pending.filter((ready) => formatReady(ready).length > 0).length;
    this.cluster.crash(id);
    this.reportedRole.set(id, "follower");
    this.describeDurable(id, `${id} restarted${lost > 0 ? `, ${lost} unprocessed Ready lost` : ""}:`);
  }

  /** A node's durable state: hard state, snapshot, log (what a restart reads back). */
  describeDurable(id: string, heading: string): void {
    const durable = this.node(id).durable;
    this.write(`${heading} hardState Term:${durable.hardState.term} VotedFor:${durable.hardState.votedFor ?? "none"}`);
    this.indented(() => {
      const snapshot = durable.snapshot;
      if (snapshot !== undefined)
        this.write(`snapshot ${position(snapshot)} Voters:${formatVoters(snapshot.configuration.voters)}`);
      if (durable.logBase.index > 0)
        this.write(`log compacted through ${durable.logBase.index}/${durable.logBase.term}`);
      if (durable.entries.length === 0) this.write("no entries");
      for (const entry of durable.entries) this.write(formatEntry(entry));
    });
  }

  status(id: string): void {
    for (const line of formatStatus(this.node(id).core.status())) this.write(line);
  }

  /** One line per node: its role, term, leader, commit index and last entry, and its partition group. */
  raftState(): void {
    for (const id of this.cluster.ids) {
      const status = this.node(id).core.status();
      const group = this.groups === undefined ? "" : ` Group:${this.groups.get(id)}`;
      const last = `${status.lastIndex}/${status.lastTerm}`;
      this.write(
        `${id} ${status.role} Term:${status.term} Leader:${status.leaderId ?? "none"} Commit:${status.commitIndex} Last:${last}${group}`,
      );
    }
  }
}

const position = (snapshot: SnapshotMetadata): string => `${snapshot.index}/${snapshot.term}`;
