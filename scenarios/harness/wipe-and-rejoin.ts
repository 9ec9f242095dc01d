/**
 * The operator's remedy for a Raft server whose disk can no longer be read: take
 * it out of the configuration through the leader, wipe its disk, start it empty
 * and add it back, as `raft remove-peer` then a new member's join are used.
 *
 * Contract: a cluster's supervisors report every start (`started`, `startFailed`).
 * After UNREADABLE_STARTS_BEFORE_WIPE starts in a row that failed because the stores
 * cannot be read (ErrLogCorrupted, ErrSnapshotCorrupted), the server is handed over
 * (`handedOver`: its supervisor stops). The operator, outside every host, then polls
 * every OPERATOR_POLL_MS: (1) the leader removes the server (retried until a leader
 * holds a committed configuration without it); (2) the host is stopped, its disk
 * wiped, and started again (`joinsByAddition`: without bootstrap); (3) once it runs,
 * the leader adds it as a voter (retried until committed); (4) it must catch up
 * within OPERATOR_CATCH_UP_MS, else it is rejoined again from (1) (`rejoin-stalled`).
 * One server at a time. Each one is counted (`wiped-and-rejoined`, or
 * `wipe-rejoin-abandoned` after OPERATOR_POLLS_PER_SERVER_MAX polls) and traced
 * (`operator.*`): never silent.
 *
 * Safety of a re-add under the same id (the scenario's hosts are the Raft ids): an
 * empty server could vote a second time in a term its old self voted in. It cannot
 * matter: the old self died before the removal was proposed, so any candidate it
 * voted for advertised a log without the removal, which every member of the
 * removal's commit quorum refuses; that leaves it at most ceil((n-1)/2) votes with
 * the old self's, short of a majority. And the empty server's votes count only for
 * candidates whose configuration holds the re-add (terms after it), or stale ones
 * refused the same way. Wiping without removal breaks this (a fixture shows it).
 * Deviation: the operator calls the leader's RaftNode directly (its process must not
 * be paused), not through an admin RPC.
 */
import { ErrLogCorrupted, ErrSnapshotCorrupted } from "../../src/impl/raft/index.ts";
import type { ScenarioContext } from "../../src/sim/runner.ts";

/** Starts in a row that failed on unreadable stores before the server is wiped and rejoined. */
export const UNREADABLE_STARTS_BEFORE_WIPE = 3;
/** How often the operator looks at the cluster while it works, in true ms. */
export const OPERATOR_POLL_MS = 50;
/** A configuration change not seen committed after this long is requested again, in true ms. */
export const OPERATOR_REQUEST_RETRY_MS = 500;
/**
 * A rejoined server that has not caught up with the leader's commit index after this long is rejoined again (counted),
 * in true ms.
 */
export const OPERATOR_CATCH_UP_MS = 5_000;
/** Polls spent on one server at most; beyond it the operator gives up on it (counted). */
export const OPERATOR_POLLS_PER_SERVER_MAX = 10_000;

/** What the operator needs of a running server's Raft node. */
export interface OperatedNode {
  state(): string;
  stats(): Record<string, string>;
  getConfiguration(): { readonly voters: readonly string[]; readonly index: number };
  removeServer(id: string): Promise<void>;
  addVoter(id: string): Promise<void>;
}

/** The cluster the operator works on: its running nodes, and where it counts. */
export interface OperatedCluster {
  /** Running servers by host (a server that stopped is absent). */
  readonly live: ReadonlyMap<string, { readonly node: OperatedNode }>;
  readonly failures: Record<string, number>;
}

/** The steps of one wipe-and-rejoin, in order. */
export type RejoinStep = "remove" | "wipe" | "add" | "catch-up";

/** True for the start failures that say the server's stores cannot be read. */
export function isUnreadableStorage(error: unknown): boolean {
  return error instanceof ErrLogCorrupted || error instanceof ErrSnapshotCorrupted;
}

/** Progress on the server being worked on (the first of the queue). */
interface Progress {
  /** The step it is at (an index into `steps()`). */
  index: number;
  polls: number;
  /** When the step began, in true ms. */
  startedAt: number;
  /** When the configuration change in flight was requested, if one is. */
  requestedAt: number | undefined;
  /**
   * The index of the configuration entry that removed the server: a re-add is a later
   * entry (a deposed leader that never saw the removal still lists it in an older one).
   */
  removedAt: number;
  /** The leader's commit index when the catch-up step began. */
  catchUpTarget?: number;
}

/** The operator of one cluster (see the file's comment). */
export class WipeAndRejoin {
  private readonly unreadableStarts = new Map<string, number>();
  /** Servers handed over, in order; the first is being worked on. */
  private readonly queue: string[] = [];
  /** Servers whose supervisors must not start them: handed over, not wiped yet. */
  private readonly withheld = new Set<string>();
  private readonly joining = new Set<string>();
  private step: Progress = { index: 0, polls: 0, startedAt: 0, requestedAt: undefined, removedAt: 0 };
  private polling = false;

  constructor(
    private readonly context: ScenarioContext,
    private readonly cluster: OperatedCluster,
  ) {}

  /** The steps taken for each server (a fixture may leave one out). */
  protected steps(): readonly RejoinStep[] {
    return ["remove", "wipe", "add", "catch-up"];
  }

  /**
   * Returns `start` itself, noting whether the start of `host` succeeded or why it failed (before its caller hears).
   */
  watchStart<T>(host: string, start: Promise<T>): Promise<T> {
    start.then(
      () => this.started(host),
      (error: unknown) => this.startFailed(host, error),
    );
    return start;
  }

  /** A start of `host` succeeded. */
  started(host: string): void {
    this.unreadableStarts.delete(host);
  }

  /** A start of `host` failed with `error`; hands the server over after enough unreadable-storage failures in a row. */
  startFailed(host: string, error: unknown): void {
    if (!isUnreadableStorage(error)) {
      this.unreadableStarts.delete(host);
      return;
    }
    const count = (this.unreadableStarts.get(host) ?? 0) + 1;
    this.unreadableStarts.set(host, count);
    if (count < UNREADABLE_STARTS_BEFORE_WIPE || this.queue.includes(host)) return;
    this.unreadableStarts.delete(host);
    this.queue.push(host);
    this.withheld.add(host);
    this.context.world.record(host, "operator.handed-over", {
      unreadableStarts: count,
      error: error instanceof Error ? error.message : String(error),
    });
    this.schedulePoll();
  }

  /** True while the operator works on `host`: its supervisor must not start it. */
  handedOver(host: string): boolean {
    return this.withheld.has(host);
  }

  /** True when no server is handed over or being rejoined (a cluster is not settled while one is). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  /** True when `host` was wiped to join as a new member: it starts without bootstrapping a cluster. */
  joinsByAddition(host: string): boolean {
    return this.joining.has(host);
  }

  private schedulePoll(): void {
    if (this.polling || this.queue.length === 0) return;
    this.polling = true;
    this.context.world.scheduler.schedule(OPERATOR_POLL_MS, () => {
      this.polling = false;
      this.poll();
      this.schedulePoll();
    });
  }

  private poll(): void {
    const host = this.queue[0];
    if (host === undefined) return;
    if (++this.step.polls > OPERATOR_POLLS_PER_SERVER_MAX) {
      this.finish(host, "wipe-rejoin-abandoned");
      return;
    }
    const step = this.steps()[this.step.index];
    const done = step === undefined || this.take(step, host);
    if (!done) return;
    this.context.world.record(host, `operator.${step ?? "done"}`, { polls: this.step.polls });
    this.step = { ...this.step, index: this.step.index + 1, startedAt: this.context.world.now, requestedAt: undefined };
    if (this.step.index >= this.steps().length) this.finish(host, "wiped-and-rejoined");
  }

  /** Works on `step` for `host`; true once it is done. */
  private take(step: RejoinStep, host: string): boolean {
    switch (step) {
      case "remove":
        return this.remove(host);
      case "wipe":
        return this.wipe(host);
      case "add":
        return this.add(host);
      case "catch-up":
        return this.catchUp(host);
    }
  }

  private finish(host: string, outcome: string): void {
    this.queue.shift();
    this.withheld.delete(host);
    this.step = { index: 0, polls: 0, startedAt: this.context.world.now, requestedAt: undefined, removedAt: 0 };
    this.cluster.failures[outcome] = (this.cluster.failures[outcome] ?? 0) + 1;
    this.context.world.record(host, `operator.${outcome}`);
  }

  /** True once a leader holds a committed configuration without `host`; else asks the leader to remove it. */
  private remove(host: string): boolean {
    const leader = this.leader();
    if (leader === undefined) return false;
    const configuration = leader.getConfiguration();
    if (!configuration.voters.includes(host) && configuration.index <= Number(leader.stats().commit_index)) {
      this.step.removedAt = configuration.index;
      return true;
    }
    this.request(() => leader.removeServer(host));
    return false;
  }

  /** Stops the host, wipes its disk and starts it again (a host the plan keeps down is started by the plan). */
  private wipe(host: string): boolean {
    const process = this.context.world.host(host);
    if (process.state === "paused") return false;
    const wasUp = process.state === "running";
    process.stop();
    this.context.world.wipeDisk(host);
    if (this.steps().includes("add")) this.joining.add(host);
    this.withheld.delete(host);
    if (wasUp) process.start();
    return true;
  }

  /**
   * True once a leader holds a committed configuration with `host`, later than the removal; else, once it runs, asks
   * the leader to add it.
   */
  private add(host: string): boolean {
    const leader = this.leader();
    if (leader === undefined) return false;
    const configuration = leader.getConfiguration();
    const added = configuration.voters.includes(host) && configuration.index > this.step.removedAt;
    if (added && configuration.index <= Number(leader.stats().commit_index)) return true;
    if (!added && this.cluster.live.has(host)) this.request(() => leader.addVoter(host));
    return false;
  }

  /**
   * True once `host` applied what the leader had committed when the step began. A
   * server that does not within OPERATOR_CATCH_UP_MS is rejoined again from the
   * removal: a late acknowledgement from its wiped self (same id, same leader term)
   * may have set its match index beyond its log, and the leader's progress, which
   * never goes back below a match, would then stall it for good.
   */
  private catchUp(host: string): boolean {
    const leader = this.leader();
    const server = this.cluster.live.get(host);
    if (leader !== undefined && this.step.catchUpTarget === undefined)
      this.step.catchUpTarget = Number(leader.stats().commit_index);
    const target = this.step.catchUpTarget;
    if (target !== undefined && server !== undefined && Number(server.node.stats().applied_index) >= target)
      return true;
    if (this.context.world.now - this.step.startedAt < OPERATOR_CATCH_UP_MS) return false;
    this.cluster.failures["rejoin-stalled"] = (this.cluster.failures["rejoin-stalled"] ?? 0) + 1;
    this.context.world.record(host, "operator.rejoin-stalled", { target: target ?? -1 });
    this.step = {
      index: 0,
      polls: this.step.polls,
      startedAt: this.context.world.now,
      requestedAt: undefined,
      removedAt: 0,
    };
    return false;
  }

  /**
   * Sends a configuration change unless one is in flight: sent less than
   * OPERATOR_REQUEST_RETRY_MS ago and not refused (a leader that died never answers).
   * Its success is read from the configuration, never from the answer.
   */
  private request(change: () => Promise<void>): void {
    const now = this.context.world.now;
    if (this.step.requestedAt !== undefined && now - this.step.requestedAt < OPERATOR_REQUEST_RETRY_MS) return;
    const step = this.step;
    step.requestedAt = now;
    change().catch(() => {
      if (step.requestedAt === now) step.requestedAt = undefined;
    });
  }

  /** The running, unpaused server that leads in the highest term, if any. */
  private leader(): OperatedNode | undefined {
    let best: { node: OperatedNode; term: number } | undefined;
    for (const [host, server] of this.cluster.live) {
      if (this.context.world.host(host).state !== "running" || server.node.state() !== "Leader") continue;
      const term = Number(server.node.stats().term);
      if (best === undefined || term > best.term) best = { node: server.node, term };
    }
    return best?.node;
  }
}
