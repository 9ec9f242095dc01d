/**
 * Membership churn of a Gazette cluster, driven by the scenario: brokers join
 * late (their host's supervisor starts them only then) and leave for good (a
 * graceful `stop()`: the lease is revoked, the allocator moves the broker's
 * journals to the others, the supervisor never starts it again). A journal
 * moves only when a member goes (the allocator does not rebalance onto new
 * members), so leaves are what turn the routes clients hold stale.
 *
 * A leave takes a broker's spools away as a crash does, so the controller
 * spends the same budget as the swarm's faults (downAtOnceMax 1): it leaves
 * only when every member is live (none restarted within `recoveryMs`), every
 * journal has a full route, and no down window of the fault plan
 * (src/sim/faults/down-windows.ts, which counts `recoveryMs` after each
 * episode) is open from now until the leave's own recovery ends; and leaves
 * are spaced by that recovery too. A leave recovers faster than a crash (no
 * lease to expire: the journals are reassigned within an etcd round and the
 * survivors persist what they hold within ~150 ms in a quiet cluster), so its
 * recovery, `leaveRecoveryMs`, may be shorter. A seed whose plan leaves no such
 * moment has no leave.
 */
import type { Broker } from "../../src/impl/gazette/broker/broker.ts";
import type { Route } from "../../src/impl/gazette/protocol/route.ts";
import type { Env } from "../../src/sim/env.ts";
import { clearOfWindows, downWindows, type DownWindow } from "../../src/sim/faults/down-windows.ts";
import type { SwarmKind } from "../../src/sim/faults/swarm.ts";
import type { ScenarioContext } from "../../src/sim/runner.ts";
import type { BrokerHost, BrokerMembership, GazetteCluster } from "./cluster.ts";

/** How often the controller looks at the cluster (ms). */
const TICK_MS = 100;
const TICKS_MAX = 100_000;

export interface ChurnOptions {
  /** Every broker host, in the order of BrokerHost lists. */
  readonly brokers: readonly BrokerHost[];
  /** Hosts that join during the run, in order. */
  readonly joiners: readonly string[];
  readonly journals: readonly string[];
  readonly replication: number;
  /** Leaves at most. */
  readonly leavesMax: number;
  /** A leave leaves at least this many members. */
  readonly membersMin: number;
  /** Delay before each join (ms), drawn uniformly. */
  readonly joinDelayMs: readonly [number, number];
  /** As the scenario's fault budget: what counts as down, and for how long after. */
  readonly downKinds: readonly SwarmKind[];
  readonly recoveryMs: number;
  /** How long a leave counts as taking its broker down. */
  readonly leaveRecoveryMs: number;
  readonly safetyMs: number;
}

export interface ChurnCounts {
  joins: number;
  leaves: number;
}

/** Which broker hosts are members: the first ones from the start, joiners once joined, none once departed. */
export class Membership implements BrokerMembership {
  private readonly members: Set<string>;
  private readonly gone = new Set<string>();

  constructor(
    private readonly brokers: readonly BrokerHost[],
    joiners: readonly string[],
  ) {
    this.members = new Set(brokers.map((broker) => broker.host).filter((host) => !joiners.includes(host)));
  }

  joined(host: string): boolean {
    return this.members.has(host);
  }

  departed(host: string): boolean {
    return this.gone.has(host);
  }

  join(host: string): void {
    this.members.add(host);
  }

  leave(host: string): void {
    this.gone.add(host);
  }

  /** Joined and not departed, in broker order. */
  current(): string[] {
    return this.brokers.map((broker) => broker.host).filter((host) => this.members.has(host) && !this.gone.has(host));
  }
}

/** A route as text: primary, then members (for comparing key spaces). */
export function routeKey(route: Route): string {
  return `${route.primary}:${route.members.map((member) => `${member.zone}/${member.suffix}`).join(",")}`;
}

/** The journal's route if every live broker's key space agrees on it, else undefined. */
export function agreedRoute(cluster: GazetteCluster, journal: string): Route | undefined {
  let agreed: Route | undefined;
  for (const broker of cluster.brokers.values()) {
    const route = broker.keyspace.route(journal);
    if (agreed === undefined) agreed = route;
    else if (routeKey(agreed) !== routeKey(route)) return undefined;
  }
  return agreed;
}

/** The controller (see the file comment), for the safety phase. */
export async function controlMembership(
  env: Env,
  context: ScenarioContext,
  cluster: GazetteCluster,
  membership: Membership,
  options: ChurnOptions,
  counts: ChurnCounts,
): Promise<void> {
  const windows = downWindows(context.faultPlan ?? { version: 1, faults: [] }, {
    kinds: options.downKinds,
    recoveryMs: options.recoveryMs,
    untilMs: options.safetyMs,
  });
  const live = new LiveBrokers();
  let nextJoinAt = context.world.now + env.random.int(...options.joinDelayMs);
  let lastLeaveAt = Number.NEGATIVE_INFINITY;
  for (let tick = 0; tick < TICKS_MAX && context.phase() === "safety"; tick++) {
    const now = context.world.now;
    live.observe(cluster, now);
    const joiner = options.joiners.find((host) => !membership.joined(host));
    if (joiner !== undefined && now >= nextJoinAt) {
      membership.join(joiner);
      counts.joins++;
      env.trace("gazette.scenario.broker-joins", { host: joiner });
      nextJoinAt = now + env.random.int(...options.joinDelayMs);
    } else if (
      counts.leaves < options.leavesMax &&
      now >= lastLeaveAt + options.leaveRecoveryMs &&
      mayLeave(cluster, membership, options, windows, live, now)
    ) {
      lastLeaveAt = now;
      await leave(env, cluster, membership, options, counts);
    }
    await env.clock.sleep(TICK_MS);
  }
}

/** Which brokers are live, and when those that came back restarted. */
class LiveBrokers {
  private readonly live = new Set<string>();
  private readonly everLive = new Set<string>();
  private readonly restartedAt = new Map<string, number>();

  observe(cluster: GazetteCluster, now: number): void {
    for (const host of [...this.live]) if (!cluster.brokers.has(host)) this.live.delete(host);
    for (const host of cluster.brokers.keys()) {
      if (this.live.has(host)) continue;
      this.live.add(host);
      if (this.everLive.has(host)) this.restartedAt.set(host, now);
      this.everLive.add(host);
    }
  }

  /** Live, and not restarted within `recoveryMs`. */
  settled(host: string, now: number, recoveryMs: number): boolean {
    return this.live.has(host) && (this.restartedAt.get(host) ?? Number.NEGATIVE_INFINITY) <= now - recoveryMs;
  }
}

function mayLeave(
  cluster: GazetteCluster,
  membership: Membership,
  options: ChurnOptions,
  windows: readonly DownWindow[],
  live: LiveBrokers,
  now: number,
): boolean {
  if (!clearOfWindows(windows, now, now + options.leaveRecoveryMs)) return false;
  const members = membership.current();
  if (members.length <= options.membersMin) return false;
  if (!members.every((host) => live.settled(host, now, options.recoveryMs))) return false;
  return options.journals.every((journal) => {
    const route = agreedRoute(cluster, journal);
    return route !== undefined && route.primary >= 0 && route.members.length === options.replication;
  });
}

/** A member leaves for good: preferably the primary of some journal, so that its route's primary moves. */
async function leave(
  env: Env,
  cluster: GazetteCluster,
  membership: Membership,
  options: ChurnOptions,
  counts: ChurnCounts,
): Promise<void> {
  const members = membership.current();
  const primaries = members.filter((host) =>
    options.journals.some((journal) => {
      const route = agreedRoute(cluster, journal);
      return route !== undefined && route.members[route.primary]?.suffix === host;
    }),
  );
  const host = env.random.pick(primaries.length > 0 ? primaries : members);
  const broker: Broker | undefined = cluster.brokers.get(host);
  if (broker === undefined) return;
  membership.leave(host);
  counts.leaves++;
  env.trace("gazette.scenario.broker-leaves", { host });
  await broker.stop();
}
