/**
 * A dqlite follower left behind past log compaction, under the swarm's faults: the
 * episode that makes a run catch up by InstallSnapshot and then restart from the
 * installed snapshot and its log, whatever else the fault plan does.
 *
 * Contract: once `ready()` holds (after `startAtMs`, in the safety phase), a
 * follower of the ready leader is isolated until every other live server compacted
 * its log past the follower's last entry (or `healByMs` came), then healed.
 * A swarm heal inside that window does not end it: the follower is isolated again
 * at the next check. Once the follower has installed a snapshot it runs
 * CRASH_AFTER_INSTALL_MS more, is crashed and starts again RESTART_AFTER_MS later.
 * An attempt that ends without an install (the others could not compact: no
 * quorum, a paused leader) is followed by another, until `lastStartMs`.
 * Faults: the heal that ends the isolation also ends any swarm partition active at
 * that moment (a fault ending early is one a correct system survives too).
 */
import type { ScenarioContext } from "../../src/sim/runner.ts";
import type { DqliteCluster } from "./cluster.ts";

/** How long the laggard runs between its install and its crash. */
const CRASH_AFTER_INSTALL_MS = 200;
/** How long it stays down. */
const RESTART_AFTER_MS = 100;
/** How long after an attempt's heal an install may still come before the next attempt. */
const INSTALL_WAIT_MS = 300;

export interface LaggardOptions {
  /** The scenario's name, for its trace records. */
  readonly name: string;
  /** The servers' trailing log (entries kept behind a snapshot). */
  readonly trailingLogEntries: number;
  /** The first attempt starts no earlier. */
  readonly startAtMs: number;
  /** No attempt starts later (an install and a restart must fit in the safety phase). */
  readonly lastStartMs: number;
  /**
   * An isolation ends then even if the others did not compact (the install and the restart must fit in the safety
   * phase).
   */
  readonly healByMs: number;
  /** The workload is ready for the episode (e.g. every database exists). */
  readonly ready: () => boolean;
}

/** What the episode reached, for the scenario's final invariants. */
export interface LaggardOutcome {
  /** The follower of the last attempt, if any started. */
  readonly host: string | undefined;
  readonly attempts: number;
  /** How many databases the snapshot it installed held (undefined: it installed none). */
  readonly installedDatabases: number | undefined;
  /** It started again after the install, from a snapshot. */
  readonly restartedFromSnapshot: boolean;
}

/** One run's laggard episode (see the file's comment). */
export class Laggard {
  private host: string | undefined;
  private attempts = 0;
  /** While the follower is isolated: its last log index when it was cut off. */
  private isolatedAt: { readonly lastIndex: number } | undefined;
  private healedAt: number | undefined;
  /** Databases of the last snapshot its FSM restored (dqlite.fsm-restored comes before raft.snapshot-restored). */
  private restoring: number | undefined;
  private installedDatabases: number | undefined;
  private restartedFromSnapshot = false;

  constructor(
    private readonly context: ScenarioContext,
    private readonly options: LaggardOptions,
  ) {}

  /** What the episode reached so far. */
  outcome(): LaggardOutcome {
    const { host, attempts, installedDatabases, restartedFromSnapshot } = this;
    return { host, attempts, installedDatabases, restartedFromSnapshot };
  }

  /** Sees the servers' trace records (DqliteClusterOptions.watchTrace). */
  watch(host: string, kind: string, fields: Record<string, unknown> | undefined): void {
    if (host !== this.host) return;
    if (kind === "dqlite.fsm-restored") this.restoring = Number(fields?.databases ?? 0);
    if (kind === "raft.snapshot-restored" && this.installedDatabases === undefined && this.attempts > 0) {
      this.installedDatabases = this.restoring ?? 0;
      this.crashLater(host);
    }
    // Any start after the install is a restart (ours or the swarm's): from a snapshot if the log was compacted.
    if (kind === "raft.started" && this.installedDatabases !== undefined && Number(fields?.snapshot ?? 0) > 0)
      this.restartedFromSnapshot = true;
  }

  /** Moves the episode on; call from the scenario's continuous check. */
  step(cluster: DqliteCluster): void {
    if (this.installedDatabases !== undefined) return;
    if (this.isolatedAt !== undefined) this.keepOrHeal(cluster, this.isolatedAt.lastIndex);
    else if (this.healedAt === undefined || this.context.world.now - this.healedAt >= INSTALL_WAIT_MS)
      this.isolate(cluster);
  }

  /** Starts an attempt: isolates a live follower of the ready leader. */
  private isolate(cluster: DqliteCluster): void {
    const { world } = this.context;
    if (
      world.now < this.options.startAtMs ||
      world.now > this.options.lastStartMs ||
      this.context.phase() !== "safety" ||
      !this.options.ready()
    )
      return;
    const leader = cluster.servers.find((host) => cluster.live.get(host)?.node.isReadyLeader());
    const follower = cluster.servers.find((host) => host !== leader && cluster.live.has(host));
    const node = follower === undefined ? undefined : cluster.live.get(follower)?.node;
    if (leader === undefined || follower === undefined || node === undefined) return;
    this.host = follower;
    this.attempts++;
    const lastIndex = Number(node.raft.stats().last_log_index);
    this.isolatedAt = { lastIndex };
    world.network.isolate(follower);
    world.record(undefined, `${this.options.name}.follower-isolated`, { follower, attempt: this.attempts, lastIndex });
  }

  /** Keeps the follower isolated (a swarm heal may have ended it) until the others compacted past it; then heals. */
  private keepOrHeal(cluster: DqliteCluster, lastIndex: number): void {
    const { world } = this.context;
    const host = this.host as string;
    const expired = world.now >= this.options.healByMs || this.context.phase() !== "safety";
    if (!expired && !this.compactedPast(cluster, host, lastIndex)) {
      if (cluster.servers.some((other) => other !== host && !world.network.links.isCut(host, other)))
        world.network.isolate(host);
      return;
    }
    this.isolatedAt = undefined;
    this.healedAt = world.now;
    world.network.heal();
    world.record(undefined, `${this.options.name}.follower-healed`, { follower: host, expired });
  }

  /** Every other live server's log starts after `lastIndex` + 1: whoever leads must send the follower a snapshot. */
  private compactedPast(cluster: DqliteCluster, host: string, lastIndex: number): boolean {
    const others = cluster.servers
      .filter((other) => other !== host)
      .map((other) => cluster.live.get(other)?.node.raft.stats());
    const live = others.filter((stats) => stats !== undefined);
    return (
      live.length > 0 &&
      live.every((stats) => Number(stats.last_snapshot_index) - this.options.trailingLogEntries > lastIndex)
    );
  }

  /** After the install: crashes the follower (if the safety phase still runs) and starts it again. */
  private crashLater(host: string): void {
    const { world } = this.context;
    world.scheduler.schedule(CRASH_AFTER_INSTALL_MS, () => {
      if (this.context.phase() !== "safety") return;
      world.host(host).crash();
      world.scheduler.schedule(RESTART_AFTER_MS, () => world.host(host).start());
    });
  }
}
