/**
 * Scripted scenarios: the exact interleavings that some Raft bugs need, which a
 * random schedule reaches only rarely. Each is a family (fast-check varies the seed
 * that draws the election jitter, and the timeouts); each must pass on the real
 * core and fail on the broken variant it is about.
 *
 * - figureEight: the Raft paper's Figure 8. A leader that commits an entry of an
 *   earlier term by counting replicas loses it to the next leader (§5.4.2).
 * - staleVote: a candidate counting a vote granted in an earlier term wins a term
 *   that another server also wins.
 * - ackBeforeFsync: a follower acknowledges an append it has not made durable,
 *   crashes, and the entry the leader committed with that acknowledgement is lost.
 *
 * Every scenario checks the invariants after each of its steps and throws the
 * InvariantViolation it finds.
 */
import type { Message } from "../../../src/impl/raft/core/index.ts";
import { withVariant, type BrokenVariant } from "../../../scenarios/raft-kv/variants.ts";
import { CoreCluster, type CoreTuning } from "./core-cluster.ts";
import { InvariantChecker, type InvariantName } from "./invariants.ts";
import { settle } from "./rounds.ts";
import { anything, between, deliverMatching, delayMatching, dropMatching, from, roleOf, tickUntil } from "./script.ts";

export interface ScriptOptions {
  readonly seed: number;
  readonly electionTimeoutTicks: number;
  readonly brokenVariant?: BrokenVariant;
  readonly ackBeforePersist?: boolean;
  readonly invariants: ReadonlySet<InvariantName>;
}

/** Elections attempted at most by `campaignUntilLeader`. */
const CAMPAIGNS_MAX = 10;

const isVote = (message: Message) => message.type === "request-vote" || message.type === "request-vote-response";

function start(options: ScriptOptions, tuning: CoreTuning): { cluster: CoreCluster; check: () => void } {
  const checker = new InvariantChecker(options.invariants);
  const cluster = new CoreCluster({
    ids: ["n1", "n2", "n3"],
    seed: options.seed,
    core: withVariant(
      { electionTimeoutTicks: options.electionTimeoutTicks, preVote: false, checkQuorum: false, ...tuning },
      options.brokenVariant,
    ),
    ackBeforePersist: options.ackBeforePersist ?? false,
    listener: checker,
  });
  return { cluster, check: () => checker.check() };
}

/** `id` campaigns (only it ticks) with vote messages exchanged with `allies` only, until it leads. */
function campaignUntilLeader(cluster: CoreCluster, id: string, allies: readonly string[], check: () => void): void {
  for (let attempt = 0; attempt < CAMPAIGNS_MAX; attempt++) {
    const term = cluster.node(id).core.status().term;
    tickUntil(cluster, id, () => cluster.node(id).core.status().term > term);
    deliverMatching(cluster, (message) => isVote(message) && allies.some((ally) => between(id, ally)(message)));
    check();
    if (roleOf(cluster, id) === "leader") return;
  }
  throw new Error(`${id} did not win an election in ${CAMPAIGNS_MAX} campaigns`);
}

/** Raft paper, Figure 8, on three servers with one entry per AppendEntries. */
export function figureEight(options: ScriptOptions): void {
  const { cluster, check } = start(options, { maxEntriesPerAppend: 1 });
  // Term 2: n1 leads and everyone holds its no-op (index 2).
  campaignUntilLeader(cluster, "n1", ["n2", "n3"], check);
  settle(cluster);
  check();
  // n1 appends v at index 3 (term 2), and it reaches nobody.
  cluster.propose("n1");
  cluster.sync("n1");
  dropMatching(cluster, anything);
  // n2 wins term 3 with n3's vote; its no-op (index 3, term 3) reaches nobody.
  campaignUntilLeader(cluster, "n2", ["n3"], check);
  cluster.sync("n2");
  dropMatching(cluster, anything);
  // n1 crashes and restarts (v is durable); it wins term 4 with n3's vote and
  // replicates v (index 3, term 2) to n3, but not its no-op of term 4.
  cluster.crash("n1");
  campaignUntilLeader(cluster, "n1", ["n3"], check);
  const n3HoldsV = () => cluster.node("n3").core.termAt(3) === 2;
  deliverMatching(
    cluster,
    (message) =>
      between("n1", "n3")(message) &&
      !(message.type === "append-entries" && message.entries.some((entry) => entry.index === 4) && n3HoldsV()),
  );
  check();
  // n1 is cut off for good; n2 restarts and wins term 5 with n3's vote (its last entry's term, 3, beats n3's 2).
  dropMatching(cluster, from("n1"));
  cluster.isolated.add("n1");
  cluster.crash("n2");
  campaignUntilLeader(cluster, "n2", ["n3"], check);
  settle(cluster);
  check();
}

/** A vote granted in term 2 arrives while its candidate runs in term 3. */
export function staleVote(options: ScriptOptions): void {
  const { cluster, check } = start(options, {});
  // Term 2: n1 campaigns; n3 grants, but the grant is held back.
  tickUntil(cluster, "n1", () => roleOf(cluster, "n1") === "candidate");
  deliverMatching(cluster, (message) => message.from === "n1" && message.to === "n3");
  delayMatching(cluster, (message) => message.from === "n3" && message.to === "n1");
  dropMatching(cluster, anything);
  // Term 3: n1 campaigns again, and nobody hears it.
  tickUntil(cluster, "n1", () => cluster.node("n1").core.status().term === 3);
  dropMatching(cluster, anything);
  // n2 campaigns until it wins term 3 with n3's vote (n3 voted for n1 in term 2).
  for (let attempt = 0; attempt < CAMPAIGNS_MAX && cluster.node("n2").core.status().term < 3; attempt++) {
    const term = cluster.node("n2").core.status().term;
    tickUntil(cluster, "n2", () => cluster.node("n2").core.status().term > term);
    deliverMatching(cluster, (message) => isVote(message) && between("n2", "n3")(message));
    dropMatching(cluster, anything);
    check();
  }
  // The grant of term 2 reaches n1, a candidate in term 3.
  cluster.releaseHeld();
  deliverMatching(
    cluster,
    (message) => message.from === "n3" && message.to === "n1" && message.type === "request-vote-response",
  );
  check();
}

/** A follower acknowledges before its fsync and crashes; the leader committed with its acknowledgement. */
export function ackBeforeFsync(options: ScriptOptions): void {
  const { cluster, check } = start(options, {});
  campaignUntilLeader(cluster, "n1", ["n2", "n3"], check);
  settle(cluster);
  check();
  // n1 appends v; n2 receives it and answers, but does not sync before it crashes.
  cluster.propose("n1");
  cluster.sync("n1");
  deliverMatching(
    cluster,
    (message) => message.from === "n1" && message.to === "n2" && message.type === "append-entries",
    false,
  );
  deliverMatching(cluster, (message) => message.from === "n2" && message.to === "n1");
  check();
  cluster.crash("n2");
  // n1 is cut off; n3, which never saw v, wins with n2's vote.
  dropMatching(cluster, anything);
  cluster.isolated.add("n1");
  campaignUntilLeader(cluster, "n3", ["n2"], check);
  check();
}
