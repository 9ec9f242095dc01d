/**
 * hashicorp/raft's API on RaftNode (src/impl/raft/node/raft-node.ts), on the
 * simulator, one sentence each:
 * - addVoter brings an empty server in (it catches up and votes); removeServer takes one out;
 * - leadershipTransfer hands leadership to the target and resolves once this server stepped down;
 * - verifyLeader resolves on a leader a quorum follows and fails on a follower;
 * - barrier resolves once every earlier entry is applied;
 * - leadership observers (callback and async iterator) see every change, ending at shutdown;
 * - a full window of pending entries makes apply fail with ErrEnqueueTimeout;
 * - shutdown fails pending operations with ErrRaftShutdown (outcome unknown) and refuses new ones;
 * - a DiskError from the FSM's apply stops that server with ErrStorageFailed, and the others go on;
 * - a server that was down while the log was compacted catches up with InstallSnapshot;
 * - snapshot (a user snapshot) captures the FSM on demand on any server and resolves once it is
 *   durable and the log compacted behind it (stats' first_log_index, the log store's FirstIndex,
 *   follows); with nothing applied since the latest snapshot it fails with ErrNothingNewToSnapshot;
 * - a user snapshot is captured between applies: its state is exactly that of its index.
 */
import { describe, expect, it } from "vitest";
import { DiskError } from "../../src/sim/env.ts";
import {
  ErrEnqueueTimeout,
  ErrStorageFailed,
  ErrLeadershipLost,
  ErrNotLeader,
  ErrNothingNewToSnapshot,
  ErrRaftShutdown,
  type LeadershipEvent,
  type RaftError,
  type UserSnapshot,
} from "../../src/impl/raft/index.ts";
import { command } from "./_support/recording-fsm.ts";
import {
  crash,
  leaderOf,
  member,
  problemsOf,
  restart,
  runFor,
  runUntil,
  startSimCluster,
  track,
  type SimCluster,
} from "./_support/sim-cluster.ts";

async function electedLeader(cluster: SimCluster): Promise<string> {
  expect(await runUntil(cluster, () => leaderOf(cluster) !== undefined, 3_000)).toBe(true);
  return leaderOf(cluster) as string;
}

async function settled<T>(
  cluster: SimCluster,
  promise: Promise<T>,
  maxMs = 2_000,
): Promise<{ value?: T; error?: unknown }> {
  const outcome = track(promise);
  expect(await runUntil(cluster, () => outcome.settled, maxMs, 2)).toBe(true);
  return outcome;
}

describe("RaftNode API", () => {
  it("adds an empty server as a voter and removes another (seed 11)", async () => {
    const cluster = startSimCluster(11, { hosts: ["n1", "n2", "n3", "n4"], joining: ["n4"] });
    const leader = await electedLeader(cluster);
    expect((await settled(cluster, member(cluster, leader).node.apply(command("one")))).error).toBeUndefined();
    expect((await settled(cluster, member(cluster, leader).node.addVoter("n4"))).error).toBeUndefined();
    expect(await runUntil(cluster, () => member(cluster, "n4").fsm.commands.includes("one"), 2_000)).toBe(true);
    expect(member(cluster, "n4").node.stats().latest_configuration).toBe("[n1, n2, n3, n4]");
    const removed = cluster.hosts.find((host) => host !== leader && host !== "n4") as string;
    expect((await settled(cluster, member(cluster, leader).node.removeServer(removed))).error).toBeUndefined();
    expect(member(cluster, leader).node.stats().num_peers).toBe("2");
    // The three voters left keep going without the removed server.
    crash(cluster, removed);
    expect((await settled(cluster, member(cluster, leader).node.apply(command("two")))).error).toBeUndefined();
    expect(await runUntil(cluster, () => member(cluster, "n4").fsm.commands.includes("two"), 2_000)).toBe(true);
    expect(problemsOf(cluster)).toEqual([]);
  });

  it("transfers leadership to the target (seed 12)", async () => {
    const cluster = startSimCluster(12);
    const leader = await electedLeader(cluster);
    const target = cluster.hosts.find((host) => host !== leader) as string;
    const transfer = await settled(cluster, member(cluster, leader).node.leadershipTransfer(target));
    expect(transfer.error).toBeUndefined();
    expect(await runUntil(cluster, () => leaderOf(cluster) === target, 1_000)).toBe(true);
    expect(member(cluster, leader).node.state()).toBe("Follower");
    expect(cluster.world.probes.get("raft.timeout-now-received")).toBeGreaterThan(0);
  });

  it("verifies leadership, and orders a barrier after earlier entries (seed 13)", async () => {
    const cluster = startSimCluster(13);
    const leader = await electedLeader(cluster);
    const node = member(cluster, leader).node;
    expect((await settled(cluster, node.verifyLeader())).error).toBeUndefined();
    const follower = cluster.hosts.find((host) => host !== leader) as string;
    expect((await settled(cluster, member(cluster, follower).node.verifyLeader())).error).toBeInstanceOf(ErrNotLeader);
    const applies = ["a", "b", "c"].map((text) => track(node.apply(command(text))));
    const barrier = await settled(cluster, node.barrier());
    expect(barrier.error).toBeUndefined();
    expect(applies.every((outcome) => outcome.settled && outcome.error === undefined)).toBe(true);
    expect(member(cluster, leader).fsm.commands).toEqual(["a", "b", "c"]);
  });

  it("reports leadership changes to callbacks and async iterators, until shutdown (seed 14)", async () => {
    const cluster = startSimCluster(14);
    const leader = await electedLeader(cluster);
    const node = member(cluster, leader).node;
    const seen: LeadershipEvent[] = [];
    node.observeLeadership((event) => seen.push(event));
    const iterated: LeadershipEvent[] = [];
    const consumer = (async () => {
      for await (const event of node.leadershipChanges()) iterated.push(event);
    })();
    cluster.world.network.isolate(leader);
    expect(await runUntil(cluster, () => node.state() !== "Leader", 2_000)).toBe(true);
    await runFor(cluster, 10);
    expect(seen.some((event) => !event.isLeader && event.role === "follower")).toBe(true);
    await settled(cluster, node.shutdown());
    await consumer;
    expect(iterated.map((event) => event.role)).toEqual(seen.map((event) => event.role));
    expect(seen[seen.length - 1]?.role).toBe("shutdown");
    expect(node.state()).toBe("Shutdown");
  });

  it("fails apply with ErrEnqueueTimeout when the window is full, and pending entries with ErrRaftShutdown (seed 15)", async () => {
    const cluster = startSimCluster(15, { node: { maxPendingApplies: 2 } });
    const leader = await electedLeader(cluster);
    const node = member(cluster, leader).node;
    for (const host of cluster.hosts) if (host !== leader) crash(cluster, host);
    const stuck = [track(node.apply(command("1"))), track(node.apply(command("2")))];
    const refused = await settled(cluster, node.apply(command("3"), 20), 100);
    expect(refused.error).toBeInstanceOf(ErrEnqueueTimeout);
    await settled(cluster, node.shutdown());
    await runFor(cluster, 1);
    for (const outcome of stuck) {
      // Either the leader stepped down first (check-quorum) or the shutdown came first: the outcome is unknown either
      // way.
      expect(outcome.error instanceof ErrRaftShutdown || outcome.error instanceof ErrLeadershipLost).toBe(true);
      expect((outcome.error as RaftError).outcomeUnknown).toBe(true);
    }
    expect((await settled(cluster, node.apply(command("4")))).error).toBeInstanceOf(ErrRaftShutdown);
    expect(node.stats().state).toBe("Shutdown");
  });

  it("stops a server with ErrStorageFailed when its FSM's apply fails with a DiskError; the others go on (seed 17)", async () => {
    const cluster = startSimCluster(17);
    const leader = await electedLeader(cluster);
    const victim = cluster.hosts.find((host) => host !== leader) as string;
    const fsm = member(cluster, victim).fsm;
    const apply = fsm.apply.bind(fsm);
    fsm.apply = (log) => {
      if (new TextDecoder().decode(log.data) === "boom")
        throw new DiskError("EIO", "write", "/fsm", "injected by the test");
      return apply(log);
    };
    const terminated = track(member(cluster, victim).node.terminated);
    const node = member(cluster, leader).node;
    expect((await settled(cluster, node.apply(command("boom")))).error).toBeUndefined();
    expect((await settled(cluster, node.apply(command("after")))).error).toBeUndefined();
    expect(await runUntil(cluster, () => terminated.settled, 1_000)).toBe(true);
    expect(terminated.value).toBeInstanceOf(ErrStorageFailed);
    expect((terminated.value as ErrStorageFailed).operation).toBe("apply");
    expect(fsm.commands).not.toContain("boom");
  });

  it("catches a server up with InstallSnapshot after the log was compacted without it (seed 16)", async () => {
    const cluster = startSimCluster(16, { node: { snapshotThresholdEntries: 8, trailingLogEntries: 2 } });
    const leader = await electedLeader(cluster);
    const behind = cluster.hosts.find((host) => host !== leader) as string;
    crash(cluster, behind);
    const texts = Array.from({ length: 30 }, (_, position) => `command ${position}`);
    for (const text of texts)
      expect((await settled(cluster, member(cluster, leader).node.apply(command(text)))).error).toBeUndefined();
    restart(cluster, behind);
    expect(await runUntil(cluster, () => cluster.live.get(behind)?.fsm.commands.length === texts.length, 3_000)).toBe(
      true,
    );
    expect(member(cluster, behind).fsm.commands).toEqual(texts);
    expect(member(cluster, behind).fsm.restores).toBeGreaterThan(0);
    expect(cluster.world.probes.get("raft.snapshot-installed")).toBeGreaterThan(0);
    expect(cluster.world.violations).toEqual([]);
  });

  /** The recording FSM's state in a user snapshot, read back through `open`. */
  async function openState(
    cluster: SimCluster,
    snapshot: UserSnapshot,
  ): Promise<{ commands: string[]; lastIndex: number }> {
    const reader = await settled(cluster, snapshot.open());
    expect(reader.error).toBeUndefined();
    const bytes = await settled(cluster, (reader.value as Awaited<ReturnType<UserSnapshot["open"]>>).readAll());
    return JSON.parse(new TextDecoder().decode(bytes.value)) as { commands: string[]; lastIndex: number };
  }

  it("takes a user snapshot on demand, compacts the log behind it (first_log_index follows), and refuses one with nothing new (seed 18)", async () => {
    const cluster = startSimCluster(18, { node: { snapshotThresholdEntries: 10_000, trailingLogEntries: 2 } });
    const leader = await electedLeader(cluster);
    const node = member(cluster, leader).node;
    const texts = Array.from({ length: 10 }, (_, position) => `command ${position}`);
    for (const text of texts) expect((await settled(cluster, node.apply(command(text)))).error).toBeUndefined();
    expect(node.stats().first_log_index).toBe("1");
    expect(node.stats().last_snapshot_index).toBe("0");
    const taken = await settled(cluster, node.snapshot());
    expect(taken.error).toBeUndefined();
    const snapshot = taken.value as UserSnapshot;
    const applied = Number(node.stats().applied_index);
    expect(snapshot.metadata.index).toBe(applied);
    expect(node.stats().last_snapshot_index).toBe(String(applied));
    // Compacted behind the snapshot, keeping the two trailing entries.
    expect(node.stats().first_log_index).toBe(String(applied - 1));
    expect((await openState(cluster, snapshot)).commands).toEqual(texts);
    expect((await settled(cluster, node.snapshot())).error).toBeInstanceOf(ErrNothingNewToSnapshot);
    // After one more entry, a follower takes its own.
    expect((await settled(cluster, node.apply(command("more")))).error).toBeUndefined();
    const follower = cluster.hosts.find((host) => host !== leader) as string;
    expect(await runUntil(cluster, () => member(cluster, follower).fsm.commands.includes("more"), 1_000)).toBe(true);
    const onFollower = await settled(cluster, member(cluster, follower).node.snapshot());
    expect(onFollower.error).toBeUndefined();
    expect((onFollower.value as UserSnapshot).metadata.index).toBe(applied + 1);
    expect(member(cluster, follower).node.stats().first_log_index).toBe(String(applied));
    await settled(cluster, node.shutdown());
    expect((await settled(cluster, node.snapshot())).error).toBeInstanceOf(ErrRaftShutdown);
    expect(problemsOf(cluster)).toEqual([]);
  });

  it("captures a user snapshot between applies: with a slow FSM, its state is exactly that of its index (seed 19)", async () => {
    const cluster = startSimCluster(19, { node: { snapshotThresholdEntries: 10_000 } });
    const leader = await electedLeader(cluster);
    const { node, fsm } = member(cluster, leader);
    // The FSM takes each command at once but answers 5 ms later: an apply is in flight meanwhile.
    const apply = fsm.apply.bind(fsm);
    fsm.apply = (log) => {
      const response = apply(log);
      return new Promise((resolve) => cluster.world.scheduler.schedule(5, () => resolve(response)));
    };
    const applies = Array.from({ length: 20 }, (_, position) => track(node.apply(command(`slow ${position}`))));
    await runFor(cluster, 30);
    expect(applies.some((outcome) => !outcome.settled)).toBe(true);
    const taken = await settled(cluster, node.snapshot(), 3_000);
    expect(taken.error).toBeUndefined();
    const snapshot = taken.value as UserSnapshot;
    expect((await openState(cluster, snapshot)).lastIndex).toBe(snapshot.metadata.index);
    expect(await runUntil(cluster, () => applies.every((outcome) => outcome.settled), 3_000)).toBe(true);
  });
});
