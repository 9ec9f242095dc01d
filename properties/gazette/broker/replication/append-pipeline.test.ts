/**
 * The append FSM over a pipeline of three simulated brokers (one primary, two
 * peers, Replicate on env.rpc), one behaviour per test:
 * - acknowledged appends are committed on every replica, whose spools stay
 *   identical, at consecutive offsets;
 * - a peer crash fails the in-flight append (never acknowledged, never visible
 *   on the primary nor on the surviving peer, whose commit stays pending), and
 *   once the route drops the peer the next append re-syncs, the survivor
 *   discards the pending commit, and the append takes its offsets;
 * - a primary behind its peers (restarted, empty spool) rolls forward to their
 *   offset and adopts their registers;
 * - a new primary's pending commit that a peer lacks: the peer does not roll
 *   past it on the first sync; the primary adopts it once every peer answered
 *   and rolls them all, or, its sync failing and its replica closing, discards
 *   it, and the journal goes on where the peer is (gazette-churn seed 20046);
 * - an append cancelled between a sync and the roll it needs tears its pipeline
 *   down: the next append syncs (and rolls) again instead of taking it for synced;
 * - an aborted append (its chunks throw) leaves nothing on any replica;
 * - a commit whose answers are lost after the peers applied it (buggify
 *   "gazette.broker.replication-stream-reset") fails the append and is discarded.
 * Broken variants "commit-before-peers-ack", "expose-unadopted" and
 * "skip-sync-roll" make the second and third fail, and "expose-unadopted" the last.
 */
import { describe, expect, it } from "vitest";
import type { ReplicationBrokenVariant } from "../../../../scenarios/gazette/variants/broker.ts";
import { PIPELINE_RESET_COMMITS_MAX } from "../../../../src/impl/gazette/broker/pipeline.ts";
import { fragmentSum } from "../../../../src/impl/gazette/protocol/fragment.ts";
import { labelSet } from "../../../../src/impl/gazette/protocol/labels.ts";
import { decode, JOURNAL, ReplicationCluster, text } from "./_support/replication-cluster.ts";
import { NODE_HASHES } from "../../../../src/sim/hashes.ts";

const HOSTS = ["broker-a", "broker-b", "broker-c"];

async function cluster(seed: number, brokenVariant?: ReplicationBrokenVariant): Promise<ReplicationCluster> {
  const created = new ReplicationCluster({
    seed,
    hosts: HOSTS,
    ...(brokenVariant !== undefined ? { brokenVariant } : {}),
  });
  await created.start();
  return created;
}

/** What the journal holds on each replica: its end, registers and uncommitted bytes. */
function heads(world: ReplicationCluster, hosts: readonly string[]) {
  return hosts.map((host) => {
    const spool = world.node(host).replica.spool;
    return { end: spool.fragment.end, registers: spool.registers, delta: spool.delta };
  });
}

/** Every live replica's spool: fragment, registers and delta. */
function spools(world: ReplicationCluster, hosts: readonly string[]) {
  return hosts.map((host) => {
    const spool = world.node(host).replica.spool;
    return { fragment: spool.fragment, registers: spool.registers, delta: spool.delta };
  });
}

describe("gazette broker: replication pipeline (3 brokers)", () => {
  it("commits acknowledged appends on every replica, with identical spools, at consecutive offsets", async () => {
    const world = await cluster(1);
    const journal: string[] = [];
    for (const [index, parts] of [["hello, ", "world"], ["second"], ["third", " and ", "last"]].entries()) {
      const outcome = await world.append(parts.map(text));
      expect(outcome.error).toBeUndefined();
      const response = outcome.value;
      expect(response?.status).toBe("OK");
      const content = parts.join("");
      const before = journal.join("").length;
      expect(response?.commit?.begin).toBe(before);
      expect(response?.commit?.end).toBe(before + content.length);
      expect(response?.commit?.sum).toBe(fragmentSum(NODE_HASHES, text(content)));
      expect(response?.totalChunks).toBe(parts.length);
      journal.push(content);
      const [primary, ...peers] = spools(world, HOSTS);
      for (const peer of peers) expect(peer).toEqual(primary);
      expect(primary?.fragment.end, `after append ${index}`).toBe(journal.join("").length);
    }
    // Every replica holds the whole journal in its spools, and the index saw each commit
    // (a peer's last one once the primary's adoption notice arrived).
    await world.settle();
    for (const host of HOSTS) {
      const bytes = await world.on(host, (node) => node.index.readLocal(0, journal.join("").length));
      expect(decode(bytes.value ?? new Uint8Array())).toBe(journal.join(""));
    }
    // The first spool was rolled after the journal's first write (it begins at the index's first offset) and handed to
    // the persister.
    expect(world.node("broker-a").persisted.map((p) => [p.fragment.begin, p.fragment.end, p.primary])).toEqual([
      [0, 12, true],
    ]);
    expect(world.node("broker-b").persisted.map((p) => [p.fragment.begin, p.fragment.end, p.primary])).toEqual([
      [0, 12, false],
    ]);
    expect(world.problems()).toEqual([]);
  });

  async function peerCrashScenario(variant?: ReplicationBrokenVariant) {
    const world = await cluster(2, variant);
    const first = await world.append([text("acknowledged")]);
    expect(first.value?.status).toBe("OK");
    const acknowledgedEnd = first.value?.commit?.end ?? -1;
    // broker-c crashes after the client's last chunk, while the commit is in flight.
    const failed = await world.append([text("in-"), text("flight"), () => world.crash("broker-c")]);
    const primaryIndexEnd = world.node("broker-a").index.offsetRange().end;
    const primaryCommitEnds = world.node("broker-a").index.commits.map((commit) => commit.fragment.end);
    const survivorEnd = world.node("broker-b").replica.spool.fragment.end;
    // The allocator drops the crashed peer from the route.
    world.setRoute(["broker-a", "broker-b"], "broker-a");
    world.spec = { ...world.spec, replication: 2 };
    const next = await world.append([text("after")]);
    return { world, failed, acknowledgedEnd, primaryIndexEnd, primaryCommitEnds, survivorEnd, next };
  }

  it("a peer crash fails the in-flight append, and the next append after the route change re-syncs at the right offset", async () => {
    const { world, failed, acknowledgedEnd, primaryIndexEnd, primaryCommitEnds, survivorEnd, next } =
      await peerCrashScenario();
    expect(failed.settled).toBe(true);
    expect(failed.value).toBeUndefined();
    expect(String(failed.error)).toMatch(/broker-c/);
    // The primary never exposed the unacknowledged content to its readers.
    expect(primaryIndexEnd).toBe(acknowledgedEnd);
    expect(primaryCommitEnds.every((end) => end <= acknowledgedEnd)).toBe(true);
    // The surviving peer committed it, pending: never adopted (the primary never had it), its
    // readers never saw it, and the next pipeline discards it: the next append takes its offsets.
    expect(survivorEnd).toBe(acknowledgedEnd + "in-flight".length);
    expect(world.node("broker-b").index.commits.every((commit) => commit.fragment.end <= acknowledgedEnd)).toBe(true);
    expect(next.error).toBeUndefined();
    expect(next.value?.status).toBe("OK");
    expect(next.value?.commit?.begin).toBe(acknowledgedEnd);
    expect(world.probe("gazette.broker.pipeline-torn-down")).toBeGreaterThanOrEqual(1);
    expect(world.probe("gazette.broker.pending-commit-discarded")).toBe(1);
    const [primary, peer] = spools(world, ["broker-a", "broker-b"]);
    expect(peer).toEqual(primary);
    expect(world.problems()).toEqual([]);
  });

  /**
   * Buggify "gazette.broker.replication-stream-reset" made to fire for the first
   * pipeline: one of its first commits is applied by the peers, their answers are
   * lost, that append fails; the next append (a new pipeline) goes on at the end
   * acknowledged before it.
   */
  async function lostCommitAnswersScenario(variant?: ReplicationBrokenVariant) {
    const world = await cluster(7, variant);
    let armed = true;
    world.world.buggify = (point) => armed && point === "gazette.broker.replication-stream-reset";
    let acknowledgedEnd = 0;
    let written = "";
    let failed: Awaited<ReturnType<typeof world.append>> | undefined;
    for (let index = 0; index < PIPELINE_RESET_COMMITS_MAX && failed === undefined; index++) {
      const content = `append ${index};`;
      const outcome = await world.append([text(content)]);
      armed = false;
      if (outcome.error !== undefined) {
        failed = outcome;
      } else {
        acknowledgedEnd = outcome.value?.commit?.end ?? -1;
        written += content;
      }
      await world.settle();
    }
    const peerEnds = ["broker-b", "broker-c"].map((host) => world.node(host).replica.spool.fragment.end);
    const failedEnd = Math.max(...peerEnds);
    const next = await world.append([text("after")]);
    await world.settle();
    // Readers anywhere saw the failed commit (an index commit ending where it ended; "after" ends elsewhere).
    const exposed = HOSTS.some((host) =>
      world.node(host).index.commits.some((commit) => commit.fragment.end === failedEnd),
    );
    return { world, acknowledgedEnd, failed, peerEnds, next, exposed, written };
  }

  it("a commit whose answers are lost after every peer applied it (a reset stream) fails the append, is never exposed, and the next append takes its offsets", async () => {
    const { world, acknowledgedEnd, failed, peerEnds, next, exposed, written } = await lostCommitAnswersScenario();
    expect(String(failed?.error)).toMatch(/replication stream reset/);
    // Both peers hold the commit, pending, past the acknowledged end; the primary never applied it.
    expect(peerEnds[0]).toBeGreaterThan(acknowledgedEnd);
    expect(peerEnds[1]).toBe(peerEnds[0]);
    expect(next.value?.status).toBe("OK");
    expect(next.value?.commit?.begin).toBe(acknowledgedEnd);
    expect(exposed).toBe(false);
    expect(world.probe("gazette.broker.pending-commit-discarded")).toBe(2);
    const [primary, ...peers] = spools(world, HOSTS);
    for (const peer of peers) expect(peer).toEqual(primary);
    for (const host of HOSTS) {
      const bytes = await world.on(host, (node) => node.index.readLocal(0, acknowledgedEnd + "after".length));
      expect(decode(bytes.value ?? new Uint8Array()), host).toBe(`${written}after`);
    }
    expect(world.problems()).toEqual([]);
  });

  it("broken variant expose-unadopted: the peers' readers see the commit whose answers were lost", async () => {
    const { exposed } = await lostCommitAnswersScenario("expose-unadopted");
    expect(exposed).toBe(true);
  });

  async function movedOnScenario(variant?: ReplicationBrokenVariant) {
    const world = await cluster(5, variant);
    const first = await world.append([text("acknowledged")]);
    expect(first.value?.status).toBe("OK");
    const acknowledgedEnd = first.value?.commit?.end ?? -1;
    await world.settle();
    // The commit reaches broker-b, but broker-c crashes before acknowledging it.
    const failed = await world.append([text("in-"), text("flight"), () => world.crash("broker-c")]);
    expect(failed.error).toBeDefined();
    // broker-b leaves the route, and a pipeline without it writes other content at those offsets.
    world.setRoute(["broker-a"], "broker-a");
    world.spec = { ...world.spec, replication: 1 };
    const other = await world.append([text("OTHER-CONTENT")]);
    // broker-b is a member again.
    world.setRoute(["broker-a", "broker-b"], "broker-a");
    world.spec = { ...world.spec, replication: 2 };
    const after = await world.append([text("after")]);
    await world.settle();
    const b = world.node("broker-b");
    const exposed = b.index.commits.some((commit) => commit.fragment.end === acknowledgedEnd + "in-flight".length);
    const persistedUnadopted = b.persisted.some(
      (persisted) => persisted.fragment.end === acknowledgedEnd + "in-flight".length,
    );
    return { world, acknowledgedEnd, other, after, exposed, persistedUnadopted };
  }

  it("a peer's pending commit never reaches its readers nor the store when the journal moves on without it", async () => {
    const { world, acknowledgedEnd, other, after, exposed, persistedUnadopted } = await movedOnScenario();
    expect(other.value?.commit?.begin).toBe(acknowledgedEnd);
    expect(after.value?.commit?.begin).toBe(acknowledgedEnd + "OTHER-CONTENT".length);
    expect(exposed).toBe(false);
    expect(persistedUnadopted).toBe(false);
    expect(world.probe("gazette.broker.pending-commit-discarded")).toBe(1);
    expect(world.problems()).toEqual([]);
  });

  it("broken variant expose-unadopted: that peer's readers see the content the journal overwrote", async () => {
    const { exposed } = await movedOnScenario("expose-unadopted");
    expect(exposed).toBe(true);
  });

  it("a commit every peer acknowledged survives the primary's crash before its adoption notice: the next primary adopts it", async () => {
    const world = await cluster(6);
    expect((await world.append([text("first")])).value?.status).toBe("OK");
    await world.settle();
    const acknowledged = await world.append([text("acknowledged")]);
    expect(acknowledged.value?.status).toBe("OK");
    // The primary crashes at once: its adoption notice never left.
    world.crash("broker-a");
    for (const host of ["broker-b", "broker-c"])
      expect(world.node(host).replica.spool.pendingCommit?.end).toBe(acknowledged.value?.commit?.end);
    world.setRoute(["broker-b", "broker-c"], "broker-b");
    world.spec = { ...world.spec, replication: 2 };
    const next = await world.append([text("next")], {}, "broker-b");
    expect(next.value?.commit?.begin).toBe(acknowledged.value?.commit?.end);
    await world.settle();
    for (const host of ["broker-b", "broker-c"]) {
      expect(world.node(host).replica.spool.pendingCommit).toBeUndefined();
      const bytes = await world.on(host, (node) => node.index.readLocal(0, next.value?.commit?.end ?? 0));
      expect(decode(bytes.value ?? new Uint8Array())).toBe("firstacknowledgednext");
    }
    expect(world.probe("gazette.broker.pending-commit-discarded")).toBe(0);
    expect(world.problems()).toEqual([]);
  });

  it("broken variant expose-unadopted: the surviving peer's readers see content the journal then overwrites", async () => {
    const { world, acknowledgedEnd, next } = await peerCrashScenario("expose-unadopted");
    expect(world.node("broker-b").index.commits.some((commit) => commit.fragment.end > acknowledgedEnd)).toBe(true);
    expect(next.value?.commit?.begin).toBe(acknowledgedEnd + "in-flight".length);
  });

  it("broken variant commit-before-peers-ack: the primary's readers see content a failed peer never got", async () => {
    const { failed, acknowledgedEnd, primaryIndexEnd } = await peerCrashScenario("commit-before-peers-ack");
    expect(failed.error).toBeDefined();
    expect(primaryIndexEnd).toBeGreaterThan(acknowledgedEnd);
  });

  async function laggingPrimaryScenario(variant?: ReplicationBrokenVariant) {
    const world = await cluster(3, variant);
    for (const part of ["one", "two", "three"]) {
      const outcome = await world.append([text(part)], { unionRegisters: labelSet("last", part) });
      expect(outcome.value?.status).toBe("OK");
    }
    const journalEnd = world.node("broker-b").replica.spool.fragment.end;
    // The primary restarts: its spool is gone (never synced), its index is empty.
    world.crash("broker-a");
    await world.restart("broker-a");
    expect(world.node("broker-a").replica.spool.fragment.end).toBe(0);
    const outcome = await world.append([text("four")]);
    return { world, journalEnd, outcome };
  }

  it("a primary behind its peers rolls forward to their offset and adopts their registers", async () => {
    const { world, journalEnd, outcome } = await laggingPrimaryScenario();
    expect(outcome.error).toBeUndefined();
    expect(outcome.value?.status).toBe("OK");
    expect(outcome.value?.commit?.begin).toBe(journalEnd);
    expect(outcome.value?.registers).toEqual(labelSet("last", "three"));
    expect(world.probe("gazette.broker.sync-roll-forward")).toBe(1);
    expect(world.probe("gazette.broker.sync-peer-ahead")).toBe(1);
    // The peers held "three" pending (the crashed primary's adoption notice never arrived):
    // the restarted primary's roll to their end adopted it.
    expect(world.probe("gazette.broker.pending-commit-rolled-to")).toBe(2);
    expect(world.probe("gazette.broker.pending-commit-discarded")).toBe(0);
    const [primary, ...peers] = spools(world, HOSTS);
    for (const peer of peers) expect(peer).toEqual(primary);
    expect(primary?.fragment.begin).toBe(journalEnd);
    expect(world.problems()).toEqual([]);
  });

  it("broken variant skip-sync-roll: the lagging primary does not append after the journal's end", async () => {
    const { journalEnd, outcome } = await laggingPrimaryScenario("skip-sync-roll");
    expect(outcome.value?.commit?.begin).not.toBe(journalEnd);
  });

  /**
   * broker-a's append reaches broker-b (a pending commit) but not broker-c; broker-a
   * crashes; broker-b, the next primary, proposes its pending commit to broker-c
   * (which holds less) and to broker-d. With `dReachable` false the sync fails.
   */
  async function pendingProposedScenario(dReachable: boolean) {
    const hosts = ["broker-a", "broker-b", "broker-c", "broker-d"];
    const world = new ReplicationCluster({ seed: 7, hosts, members: hosts.slice(0, 3) });
    await world.start();
    const first = await world.append([text("first")]);
    expect(first.value?.status).toBe("OK");
    await world.settle();
    // Everything broker-a sends broker-c from now on is held (past the end of the test).
    world.world.links.clog("broker-a", "broker-c", world.world.now + 3_600_000);
    const lost = await world.append([text("lost")]);
    expect(lost.error).toBeDefined();
    world.crash("broker-a");
    expect(world.node("broker-b").replica.spool.pendingCommit?.end).toBe("firstlost".length);
    expect(world.node("broker-c").replica.spool.fragment.end).toBe("first".length);
    world.setRoute(["broker-b", "broker-c", "broker-d"], "broker-b");
    if (!dReachable) world.world.network.isolate("broker-d");
    const synced = await world.append([text("next")], {}, "broker-b");
    world.world.network.heal();
    return { world, synced };
  }

  it("a new primary's pending commit that a peer lacks is adopted once every peer answered, and every replica rolls past it", async () => {
    const { world, synced } = await pendingProposedScenario(true);
    expect(synced.value?.status).toBe("OK");
    expect(synced.value?.commit?.begin).toBe("firstlost".length);
    expect(world.probe("gazette.broker.sync-peer-behind")).toBe(2);
    expect(world.probe("gazette.broker.pending-commit-discarded")).toBe(0);
    // The content only broker-b held is in its index and handed to its persister as primary.
    expect(world.node("broker-b").persisted.map((p) => [p.fragment.begin, p.fragment.end, p.primary])).toContainEqual([
      "first".length,
      "firstlost".length,
      true,
    ]);
    expect(world.problems()).toEqual([]);
  });

  it("a peer does not roll past a new primary's pending commit that the primary then discards: the journal goes on where the peer is (no offsets nobody holds)", async () => {
    const { world, synced } = await pendingProposedScenario(false);
    expect(synced.error).toBeDefined();
    // broker-c stayed where it was: it only rolls once the primary settled its pending commit.
    expect(world.node("broker-c").replica.spool.fragment.end).toBe("first".length);
    // broker-b leaves the journal (its replica closes, discarding the pending commit); broker-c becomes primary.
    await world.on("broker-b", (node) => node.replica.close());
    world.setRoute(["broker-c", "broker-d"], "broker-c");
    world.spec = { ...world.spec, replication: 2 };
    const next = await world.append([text("after")], {}, "broker-c");
    expect(next.value?.status).toBe("OK");
    expect(next.value?.commit?.begin).toBe("first".length);
    const bytes = await world.on("broker-c", (node) => node.index.readLocal(0, next.value?.commit?.end ?? 0));
    expect(bytes.error).toBeUndefined();
    expect(decode(bytes.value ?? new Uint8Array())).toBe("firstafter");
    expect(world.problems()).toEqual([]);
  });

  it("an append cancelled between a sync and the roll it needs leaves no pipeline taken for synced: the next append syncs again", async () => {
    const hosts = ["broker-a", "broker-b", "broker-c", "broker-d"];
    const world = new ReplicationCluster({ seed: 8, hosts, members: hosts.slice(0, 3) });
    await world.start();
    // Two appends: the spool no longer begins at the journal's first offset (an append would roll it anyway).
    for (const part of ["first", "second"]) expect((await world.append([text(part)])).value?.status).toBe("OK");
    await world.settle();
    // broker-d joins the route with an empty spool: the next pipeline's sync must roll it forward.
    world.setRoute(["broker-a", "broker-b", "broker-d"], "broker-a");
    const joined = world.node("broker-d").replica;
    const replicate = joined.replicate.bind(joined);
    const controller = new AbortController();
    // The client goes away once broker-d answered the first sync, before the primary sends the roll.
    joined.replicate = async (request, resolution) => {
      const response = await replicate(request, resolution);
      if (request.header !== undefined) controller.abort(new Error("client went away"));
      return response;
    };
    async function* chunks(): AsyncIterable<Uint8Array> {
      yield text("cancelled");
    }
    const cancelled = await world.on("broker-a", (node) =>
      node.replica.append(
        { journal: JOURNAL, doNotProxy: false, offset: 0 },
        chunks(),
        world.resolution("broker-a"),
        controller.signal,
      ),
    );
    expect(cancelled.error).toBeDefined();
    const next = await world.append([text("next")]);
    expect(next.error).toBeUndefined();
    expect(next.value?.commit?.begin).toBe("firstsecond".length);
    await world.settle();
    const [primary, ...peers] = spools(world, ["broker-a", "broker-b", "broker-d"]);
    for (const peer of peers) expect(peer).toEqual(primary);
    expect(world.problems()).toEqual([]);
  });

  it("an aborted append (its chunks throw) leaves nothing on any replica, and the next append takes its place", async () => {
    const world = await cluster(4);
    expect((await world.append([text("kept")])).value?.status).toBe("OK");
    await world.settle();
    const before = heads(world, HOSTS);
    const commitsBefore = HOSTS.map((host) => world.node(host).index.commits.length);
    const clientError = new Error("client went away");
    const aborted = await world.append([text("never "), text("seen"), clientError]);
    expect(aborted.error).toBe(clientError);
    expect(heads(world, HOSTS)).toEqual(before);
    const [primary, ...peers] = spools(world, HOSTS);
    for (const peer of peers) expect(peer).toEqual(primary);
    expect(HOSTS.map((host) => world.node(host).index.commits.length)).toEqual(commitsBefore);
    expect(world.probe("gazette.broker.append-rolled-back")).toBe(1);
    const next = await world.append([text("next")]);
    expect(next.value?.status).toBe("OK");
    expect(next.value?.commit?.begin).toBe("kept".length);
    expect(world.problems()).toEqual([]);
  });
});
