/**
 * End-to-end properties of RaftNode (src/impl/raft/node) on the simulator, one
 * sentence each:
 * - a three-server cluster elects one leader per term and applies every command
 *   in the same order everywhere, answering each apply with the FSM's response;
 * - a leader cut off while an entry is in flight fails the apply with
 *   ErrLeadershipLost, and after healing the entry is applied everywhere or nowhere;
 * - servers restarted from their disks recover every acknowledged command, from
 *   their snapshot and their log.
 */
import { describe, expect, it } from "vitest";
import { ErrLeadershipLost, ErrNotLeader } from "../../src/impl/raft/index.ts";
import { withVariant } from "../../scenarios/raft-kv/variants.ts";
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

function fsmsAgree(cluster: SimCluster, commands: readonly string[]): boolean {
  return cluster.hosts.every((host) => {
    const applied = cluster.live.get(host)?.fsm.commands;
    return (
      applied !== undefined &&
      commands.every((text, position) => applied[position] === text) &&
      applied.length === commands.length
    );
  });
}

async function electedLeader(cluster: SimCluster): Promise<string> {
  expect(await runUntil(cluster, () => leaderOf(cluster) !== undefined, 3_000)).toBe(true);
  return leaderOf(cluster) as string;
}

describe("RaftNode on the simulator", () => {
  it("elects a leader and applies commands in the same order on every server (seed 1)", async () => {
    const cluster = startSimCluster(1);
    const leader = await electedLeader(cluster);
    const node = member(cluster, leader).node;
    const texts: string[] = [];
    for (let count = 1; count <= 20; count++) {
      const text = `set x ${count}`;
      texts.push(text);
      const outcome = track(node.apply(command(text)));
      expect(await runUntil(cluster, () => outcome.settled, 1_000, 5)).toBe(true);
      expect(outcome.error).toBeUndefined();
      expect(outcome.value?.response).toBe(count);
    }
    expect(await runUntil(cluster, () => fsmsAgree(cluster, texts), 2_000)).toBe(true);
    const follower = cluster.hosts.find((host) => host !== leader) as string;
    await expect(member(cluster, follower).node.apply(command("nope"))).rejects.toBeInstanceOf(ErrNotLeader);
    expect(problemsOf(cluster)).toEqual([]);
    expect(cluster.world.violations).toEqual([]);
  });

  it("an isolated leader fails the apply with ErrLeadershipLost, and the entry that reached nobody is applied nowhere (seed 2)", async () => {
    const cluster = startSimCluster(2);
    const leader = await electedLeader(cluster);
    const before = track(member(cluster, leader).node.apply(command("before")));
    expect(await runUntil(cluster, () => before.settled, 1_000, 5)).toBe(true);
    cluster.world.network.isolate(leader);
    const lost = track(member(cluster, leader).node.apply(command("lost")));
    expect(await runUntil(cluster, () => lost.settled, 2_000, 5)).toBe(true);
    expect(lost.error).toBeInstanceOf(ErrLeadershipLost);
    expect(cluster.world.probes.get("raft.check-quorum-step-down")).toBeGreaterThan(0);
    expect(cluster.world.probes.get("raft.leadership-lost-with-pending")).toBeGreaterThan(0);
    const next = await runUntil(cluster, () => ![undefined, leader].includes(leaderOf(cluster)), 3_000);
    expect(next).toBe(true);
    const after = track(member(cluster, leaderOf(cluster) as string).node.apply(command("after")));
    expect(await runUntil(cluster, () => after.settled, 1_000, 5)).toBe(true);
    cluster.world.network.heal();
    expect(await runUntil(cluster, () => fsmsAgree(cluster, ["before", "after"]), 3_000)).toBe(true);
    expect(problemsOf(cluster)).toEqual([]);
  });

  it("an entry whose leader was cut off after the followers got it fails with ErrLeadershipLost, yet is applied everywhere (seed 3)", async () => {
    const cluster = startSimCluster(3);
    const leader = await electedLeader(cluster);
    const followers = cluster.hosts.filter((host) => host !== leader);
    const lastIndexOf = (host: string) => Number(member(cluster, host).node.stats().last_log_index);
    const start = Math.max(...followers.map(lastIndexOf));
    const zombie = track(member(cluster, leader).node.apply(command("zombie")));
    // Cut the leader off as soon as a follower holds the entry: its acknowledgement cannot arrive.
    expect(await runUntil(cluster, () => followers.some((host) => lastIndexOf(host) > start), 100, 0.01)).toBe(true);
    cluster.world.network.isolate(leader);
    expect(await runUntil(cluster, () => zombie.settled, 2_000, 5)).toBe(true);
    expect(zombie.error).toBeInstanceOf(ErrLeadershipLost);
    // A follower holding the entry wins and commits it with its own term's no-op.
    expect(
      await runUntil(
        cluster,
        () => followers.every((host) => member(cluster, host).fsm.commands.includes("zombie")),
        3_000,
      ),
    ).toBe(true);
    cluster.world.network.heal();
    expect(await runUntil(cluster, () => fsmsAgree(cluster, ["zombie"]), 3_000)).toBe(true);
    expect(problemsOf(cluster)).toEqual([]);
  });

  it("recovers every acknowledged command after every server restarts from its disk (seed 4)", async () => {
    const cluster = startSimCluster(4, { node: { snapshotThresholdEntries: 8, trailingLogEntries: 2 } });
    const texts: string[] = [];
    for (let count = 1; count <= 30; count++) {
      const leader = await electedLeader(cluster);
      const text = `command ${count}`;
      const outcome = track(member(cluster, leader).node.apply(command(text)));
      expect(await runUntil(cluster, () => outcome.settled, 1_000, 5)).toBe(true);
      if (outcome.error === undefined) texts.push(text);
      if (count === 15) {
        // A follower crashes under load and comes back.
        const follower = cluster.hosts.find((host) => host !== leader) as string;
        crash(cluster, follower);
        await runFor(cluster, 100);
        restart(cluster, follower);
      }
    }
    expect(texts.length).toBe(30);
    expect(await runUntil(cluster, () => fsmsAgree(cluster, texts), 2_000)).toBe(true);
    for (const host of cluster.hosts) crash(cluster, host);
    await runFor(cluster, 50);
    for (const host of cluster.hosts) restart(cluster, host);
    const leader = await electedLeader(cluster);
    const last = track(member(cluster, leader).node.apply(command("after restart")));
    expect(await runUntil(cluster, () => last.settled, 1_000, 5)).toBe(true);
    expect(last.error).toBeUndefined();
    expect(await runUntil(cluster, () => fsmsAgree(cluster, [...texts, "after restart"]), 2_000)).toBe(true);
    expect(cluster.hosts.some((host) => member(cluster, host).fsm.restores > 0)).toBe(true);
    expect(cluster.startErrors.size).toBe(0);
    expect(problemsOf(cluster)).toEqual([]);
    expect(cluster.world.violations).toEqual([]);
  });

  /**
   * A command is acknowledged only once a majority holds it durably. With a slow
   * fsync, the followers crash right after the leader counted their acknowledgements;
   * the leader is cut off, and the followers elect a leader among themselves.
   * The real node keeps the command; the broken node (acknowledgements before the
   * fsync) acknowledged it to the client and lost it, and the harness's Raft safety
   * observers saw it acknowledge entries its disk did not hold.
   */
  for (const variant of [undefined, "ack-before-fsync"] as const) {
    it(`${variant === undefined ? "keeps" : "loses, when broken (ack-before-fsync),"} a command acknowledged just before the followers crash (seed 5)`, async () => {
      const cluster = startSimCluster(5, {
        disks: { latency: { sync: { kind: "constant", ms: 30 } } },
        node: withVariant({}, variant),
      });
      const leader = await electedLeader(cluster);
      const followers = cluster.hosts.filter((host) => host !== leader);
      const warmUp = track(member(cluster, leader).node.apply(command("warm-up")));
      expect(await runUntil(cluster, () => warmUp.settled, 1_000, 5)).toBe(true);
      const commitIndex = () => Number(member(cluster, leader).node.stats().commit_index);
      const committedBefore = commitIndex();
      const outcome = track(member(cluster, leader).node.apply(command("precious")));
      expect(await runUntil(cluster, () => commitIndex() > committedBefore, 200, 0.01)).toBe(true);
      for (const follower of followers) crash(cluster, follower);
      expect(await runUntil(cluster, () => outcome.settled, 1_000, 1)).toBe(true);
      cluster.world.network.isolate(leader);
      for (const follower of followers) restart(cluster, follower);
      expect(await runUntil(cluster, () => ![undefined, leader].includes(leaderOf(cluster)), 3_000)).toBe(true);
      const next = leaderOf(cluster) as string;
      const after = track(member(cluster, next).node.apply(command("after")));
      expect(await runUntil(cluster, () => after.settled, 1_000, 5)).toBe(true);
      expect(outcome.error).toBeUndefined();
      const survived = member(cluster, next).fsm.commands.includes("precious");
      expect(survived).toBe(variant === undefined);
      // The harness's Raft safety observers see the broken node acknowledge entries it has not made durable.
      expect(problemsOf(cluster).some((problem) => problem.startsWith("raft.acknowledged-entries-held"))).toBe(
        variant !== undefined,
      );
    });
  }
});
