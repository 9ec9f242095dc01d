/**
 * Schedules for a CoreCluster: fast-check arbitraries of actions and tunings, and
 * the runner: the chaotic schedule first, with every invariant checked after each
 * action, then a fair phase (every message delivered, every node ticking and
 * syncing in rounds) in which a leader must emerge and a proposal must be applied
 * by every server.
 */
import fc from "fast-check";
import { AssertionError } from "../../../src/sim/assert.ts";
import { withVariant, type BrokenVariant } from "../../../scenarios/raft-kv/variants.ts";
import { CoreCluster, listeners, type ClusterListener, type CoreTuning } from "./core-cluster.ts";
import { InvariantChecker, InvariantViolation, INVARIANTS, type InvariantName } from "./invariants.ts";

/** One step of a chaotic schedule. `node` picks a node (for `propose`, a leader if there is one). */
export type Action =
  | { readonly kind: "deliver" | "drop" | "duplicate" | "delay"; readonly pick: number }
  | {
      readonly kind: "tick" | "sync" | "crash" | "propose" | "transfer" | "verify" | "isolate" | "reconfigure";
      readonly node: number;
    }
  | { readonly kind: "tick-all" | "sync-all" | "flush" | "heal" | "round" | "release" };

export type ActionKind = Action["kind"];

/** How often each kind of action is drawn: a run's "swarm" (a fault mix, FoundationDB style). */
export type ActionWeights = Readonly<Record<ActionKind, number>>;

export interface Schedule {
  readonly seed: number;
  readonly nodeCount: number;
  readonly tuning: CoreTuning;
  readonly weights: ActionWeights;
  readonly actions: readonly Action[];
}

export const DEFAULT_ACTION_WEIGHTS: ActionWeights = {
  round: 10,
  deliver: 16,
  flush: 8,
  drop: 3,
  duplicate: 2,
  delay: 3,
  release: 2,
  tick: 5,
  "tick-all": 6,
  sync: 8,
  "sync-all": 8,
  crash: 3,
  isolate: 3,
  heal: 2,
  propose: 12,
  transfer: 1,
  verify: 1,
  reconfigure: 1,
};

/** Kinds that make progress: their weight is scaled, never zeroed. */
const PROGRESS_KINDS: ReadonlySet<ActionKind> = new Set<ActionKind>([
  "round",
  "deliver",
  "flush",
  "tick-all",
  "sync",
  "sync-all",
  "propose",
]);

/** Swarm testing: each run scales every weight, and turns some faults off entirely. */
export const swarmWeightsArbitrary: fc.Arbitrary<ActionWeights> = fc.record(
  Object.fromEntries(
    (Object.keys(DEFAULT_ACTION_WEIGHTS) as ActionKind[]).map((kind) => [
      kind,
      fc
        .constantFrom(...(PROGRESS_KINDS.has(kind) ? [1, 2, 4] : [0, 1, 2, 4]))
        .map((factor) => factor * DEFAULT_ACTION_WEIGHTS[kind]),
    ]),
  ) as Record<ActionKind, fc.Arbitrary<number>>,
);

const pick = fc.nat({ max: 1_000 });

export function actionArbitrary(
  nodeCount: number,
  weights: ActionWeights = DEFAULT_ACTION_WEIGHTS,
): fc.Arbitrary<Action> {
  const node = fc.nat({ max: nodeCount - 1 });
  const arbitraryOf = (kind: ActionKind): fc.Arbitrary<Action> => {
    switch (kind) {
      case "deliver":
      case "drop":
      case "duplicate":
      case "delay":
        return pick.map((position): Action => ({ kind, pick: position }));
      case "tick":
      case "sync":
      case "crash":
      case "propose":
      case "transfer":
      case "verify":
      case "isolate":
      case "reconfigure":
        return node.map((index): Action => ({ kind, node: index }));
      default:
        return fc.constant<Action>({ kind });
    }
  };
  const choices = (Object.entries(weights) as [ActionKind, number][])
    .filter(([, weight]) => weight > 0)
    .map(([kind, weight]) => ({ weight, arbitrary: arbitraryOf(kind) }));
  return fc.oneof(...choices);
}

export const tuningArbitrary: fc.Arbitrary<CoreTuning> = fc.record({
  electionTimeoutTicks: fc.constantFrom(2, 3, 5),
  heartbeatIntervalTicks: fc.constant(1),
  preVote: fc.boolean(),
  checkQuorum: fc.boolean(),
  maxEntriesPerAppend: fc.constantFrom(1, 2, 8),
  maxInflightAppends: fc.constantFrom(1, 4),
  snapshotThresholdEntries: fc.constantFrom(3, 6, 1000),
  trailingLogEntries: fc.constantFrom(0, 2),
});

export interface ScheduleShape {
  readonly nodeCounts?: readonly number[];
  readonly actionsMax?: number;
  readonly tuning?: fc.Arbitrary<CoreTuning>;
  /** Default: a swarm (random weights per run). */
  readonly weights?: fc.Arbitrary<ActionWeights>;
}

export function scheduleArbitrary(shape: ScheduleShape = {}): fc.Arbitrary<Schedule> {
  const nodeCounts = shape.nodeCounts ?? [3];
  const setting = fc.record({
    nodeCount: fc.constantFrom(...nodeCounts),
    weights: shape.weights ?? swarmWeightsArbitrary,
  });
  return setting.chain(({ nodeCount, weights }) =>
    fc.record({
      seed: fc.nat({ max: 1_000_000 }),
      nodeCount: fc.constant(nodeCount),
      tuning: shape.tuning ?? tuningArbitrary,
      weights: fc.constant(weights),
      actions: fc.array(actionArbitrary(nodeCount, weights), { maxLength: shape.actionsMax ?? 250, size: "max" }),
    }),
  );
}

export interface RunOptions {
  readonly invariants?: ReadonlySet<InvariantName>;
  readonly brokenVariant?: BrokenVariant;
  readonly ackBeforePersist?: boolean;
  /** Rounds of the fair phase (0 skips it). */
  readonly fairRounds?: number;
  /** Sees every ready and apply too (statistics, transcripts). */
  readonly observer?: ClusterListener;
}

export interface RunOutcome {
  readonly violation: InvariantViolation | undefined;
  /** A core assertion that failed (a bug the core caught itself). */
  readonly assertion: AssertionError | undefined;
  readonly leaderElected: boolean;
  readonly committedProposals: number;
}

export const ALL_INVARIANTS: ReadonlySet<InvariantName> = new Set(INVARIANTS);
export const DEFAULT_FAIR_ROUNDS = 60;
/** Deliveries in one fair round at most (a runaway guard). */
const FAIR_ROUND_DELIVERIES_MAX = 200;
/** The fair phase checks the invariants this often (the chaotic phase checks after every action). */
const FAIR_CHECK_EVERY_DELIVERIES = 8;

export function runSchedule(schedule: Schedule, options: RunOptions = {}): RunOutcome {
  const checker = new InvariantChecker(options.invariants ?? ALL_INVARIANTS);
  const ids = Array.from({ length: schedule.nodeCount }, (_, position) => `n${position + 1}`);
  const cluster = new CoreCluster({
    ids,
    seed: schedule.seed,
    core: withVariant({ ...schedule.tuning }, options.brokenVariant),
    ackBeforePersist: options.ackBeforePersist ?? false,
    listener: options.observer === undefined ? checker : listeners(checker, options.observer),
  });
  const proposals = { committed: 0, leaderElected: false };
  try {
    let verification = 0;
    for (const action of schedule.actions) {
      perform(cluster, ids, action, () => ++verification);
      checker.check();
    }
    const fairRounds = options.fairRounds ?? DEFAULT_FAIR_ROUNDS;
    if (fairRounds > 0) runFairPhase(cluster, checker, fairRounds, proposals);
  } catch (error) {
    if (error instanceof InvariantViolation)
      return {
        violation: error,
        assertion: undefined,
        leaderElected: proposals.leaderElected,
        committedProposals: proposals.committed,
      };
    if (error instanceof AssertionError)
      return {
        violation: undefined,
        assertion: error,
        leaderElected: proposals.leaderElected,
        committedProposals: proposals.committed,
      };
    throw error;
  }
  return {
    violation: undefined,
    assertion: undefined,
    leaderElected: proposals.leaderElected,
    committedProposals: proposals.committed,
  };
}

function perform(cluster: CoreCluster, ids: readonly string[], action: Action, nextVerification: () => number): void {
  if ("pick" in action) {
    if (cluster.network.length === 0) return;
    const position = action.pick % cluster.network.length;
    if (action.kind === "deliver") cluster.deliver(position);
    else if (action.kind === "drop") cluster.drop(position);
    else if (action.kind === "duplicate") cluster.duplicate(position);
    else cluster.delay(position);
    return;
  }
  switch (action.kind) {
    case "tick-all":
      for (const id of ids) cluster.tick(id);
      return;
    case "sync-all":
      for (const id of ids) cluster.sync(id);
      return;
    case "flush":
      cluster.flush();
      return;
    case "heal":
      cluster.isolated.clear();
      return;
    case "release":
      cluster.releaseHeld();
      return;
    case "round":
      for (const id of ids) {
        cluster.tick(id);
        cluster.sync(id);
      }
      cluster.flush();
      for (const id of ids) cluster.sync(id);
      return;
    default:
      performOnNode(cluster, ids, action, nextVerification);
  }
}

function performOnNode(
  cluster: CoreCluster,
  ids: readonly string[],
  action: Extract<Action, { node: number }>,
  nextVerification: () => number,
): void {
  const id = ids[action.node % ids.length] as string;
  // Half of the draws aim where faults hurt most: at a leader, at a node with effects not yet durable.
  const aimed = action.node % 2 === 0;
  switch (action.kind) {
    case "isolate": {
      const leaders = ids.filter((candidate) => cluster.node(candidate).core.status().role === "leader");
      cluster.isolated.add(aimed && leaders.length > 0 ? (leaders[0] as string) : id);
      return;
    }
    case "tick":
      cluster.tick(id);
      return;
    case "sync":
      cluster.sync(id);
      return;
    case "crash": {
      const unsynced = ids.filter((candidate) => cluster.node(candidate).pending.length > 0);
      cluster.crash(
        aimed && unsynced.length > 0 ? (unsynced[Math.floor(action.node / 2) % unsynced.length] as string) : id,
      );
      return;
    }
    case "propose": {
      const leaders = ids.filter((candidate) => cluster.node(candidate).core.status().role === "leader");
      cluster.propose(leaders.length > 0 ? (leaders[action.node % leaders.length] as string) : id);
      return;
    }
    case "transfer":
      cluster.transfer(id);
      return;
    case "verify":
      cluster.verify(id, nextVerification());
      return;
    case "reconfigure":
      reconfigure(cluster, ids, action.node);
      return;
  }
}

/**
 * One server at a time, through a leader: while some server is out of the
 * leader's configuration, add the first one missing; else remove the one `pick` names.
 */
function reconfigure(cluster: CoreCluster, ids: readonly string[], pick: number): void {
  const leader = ids.find((candidate) => cluster.node(candidate).core.status().role === "leader");
  if (leader === undefined || addMissingServer(cluster, ids, leader)) return;
  cluster.changeConfiguration(leader, { kind: "remove-server", id: ids[pick % ids.length] as string });
}

/** Asks `leader` to add back the first server missing from its configuration; false if none is missing. */
function addMissingServer(cluster: CoreCluster, ids: readonly string[], leader: string): boolean {
  const voters = cluster.node(leader).core.status().configuration.voters;
  const missing = ids.find((id) => !voters.includes(id));
  if (missing === undefined) return false;
  cluster.changeConfiguration(leader, { kind: "add-voter", id: missing });
  return true;
}

/**
 * The fair phase: rounds of (tick and sync every node, then deliver every message
 * in order, syncing the receiver after each). Whenever a leader exists, it gets a
 * proposal; the phase succeeds once every server applied one of them.
 */
function runFairPhase(
  cluster: CoreCluster,
  checker: InvariantChecker,
  rounds: number,
  outcome: { committed: number; leaderElected: boolean },
): void {
  const ids = cluster.ids;
  cluster.isolated.clear();
  cluster.releaseHeld();
  for (const id of ids) cluster.sync(id);
  const proposed = new Set<string>();
  const firstFairValue = cluster.nextProposalValue;
  for (let round = 0; round < rounds; round++) {
    for (const id of ids) {
      cluster.tick(id);
      cluster.sync(id);
    }
    deliverEverything(cluster, checker);
    const leader = ids.find((id) => cluster.node(id).core.status().role === "leader");
    if (leader !== undefined) addMissingServer(cluster, ids, leader);
    if (leader !== undefined) {
      outcome.leaderElected = true;
      const term = cluster.node(leader).core.status().term;
      if (!proposed.has(`${leader}/${term}`)) {
        const value = cluster.propose(leader);
        if (value !== undefined) proposed.add(`${leader}/${term}`);
        cluster.sync(leader);
        deliverEverything(cluster, checker);
      }
    }
    const appliedEverywhere = ids.every((id) =>
      cluster.node(id).applied.some((key) => isFairValue(key, firstFairValue)),
    );
    if (proposed.size > 0 && appliedEverywhere) {
      outcome.committed++;
      return;
    }
  }
  checker.livenessFailed(
    `no proposal of the fair phase was applied by every server within ${rounds} rounds (leader elected: ${outcome.leaderElected})`,
  );
}

/** Values proposed during the fair phase are above every value of the chaotic phase. */
function isFairValue(key: string, firstFairValue: number): boolean {
  const [, kind, value] = key.split(":");
  return kind === "command" && Number(value) >= firstFairValue;
}

/** Delivers in order until nothing is in flight (or the round's limit), checking every few deliveries. */
function deliverEverything(cluster: CoreCluster, checker: InvariantChecker): void {
  for (let delivered = 1; cluster.network.length > 0 && delivered <= FAIR_ROUND_DELIVERIES_MAX; delivered++) {
    const receiver = cluster.network[0]?.message.to as string;
    cluster.deliver(0);
    cluster.sync(receiver);
    if (delivered % FAIR_CHECK_EVERY_DELIVERIES === 0) checker.check();
  }
  checker.check();
}
