/**
 * Lazy ticking drives the same core as ticking every interval: a cluster of cores
 * ticked at every tick and a twin cluster ticked the way RaftNode does (one wake-up
 * at the first tick `ticksUntilDue` says may do more than count, the ticks owed
 * before it given to the core just before its next input) produce the same
 * non-empty readies at the same moments, under random deliveries, drops,
 * isolations and proposals. Shown failing on a `ticksUntilDue` that answers one
 * tick late, and on one that forgets check-quorum.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RaftCore, configurationOf, isEmptyReady, type Message, type Ready } from "../../src/impl/raft/core/index.ts";
import { propertyParameters, seedFromName } from "../_support/fast-check.ts";
import { SeededRandom } from "./_support/seeded-random.ts";

type DueRule = (core: RaftCore) => number;

const shippingRule: DueRule = (core) => core.ticksUntilDue();

type Step =
  | { readonly kind: "advance" }
  | { readonly kind: "deliver" | "drop"; readonly pick: number }
  | { readonly kind: "isolate" | "propose"; readonly node: number }
  | { readonly kind: "heal" };

interface Run {
  readonly seed: number;
  readonly nodeCount: number;
  readonly heartbeatIntervalTicks: number;
  readonly steps: readonly Step[];
}

const runArbitrary: fc.Arbitrary<Run> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  nodeCount: fc.constantFrom(3, 5),
  heartbeatIntervalTicks: fc.integer({ min: 1, max: 4 }),
  steps: fc.array(
    fc.oneof(
      { weight: 12, arbitrary: fc.constant<Step>({ kind: "advance" }) },
      { weight: 10, arbitrary: fc.nat({ max: 1000 }).map((pick): Step => ({ kind: "deliver", pick })) },
      { weight: 2, arbitrary: fc.nat({ max: 1000 }).map((pick): Step => ({ kind: "drop", pick })) },
      { weight: 1, arbitrary: fc.nat({ max: 4 }).map((node): Step => ({ kind: "isolate", node })) },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: "heal" }) },
      { weight: 3, arbitrary: fc.nat({ max: 4 }).map((node): Step => ({ kind: "propose", node })) },
    ),
    { minLength: 50, maxLength: 400 },
  ),
});

/** One server as RaftNode drives it: the ticks given to its core, and the tick at which its timer wakes it. */
class LazyServer {
  /** Ticks of time so far. */
  private now = 0;
  /** Ticks the core has had. */
  private given = 0;
  private wakeAt: number | undefined;

  constructor(
    readonly core: RaftCore,
    private readonly due: DueRule,
  ) {
    this.plan();
  }

  /** One tick of time passes: the timer fires when its tick comes. */
  advance(): Ready[] {
    this.now++;
    if (this.wakeAt === undefined || this.now < this.wakeAt) return [];
    this.wakeAt = undefined;
    const readies = this.catchUp();
    this.plan();
    return readies;
  }

  /** An input: the owed ticks first, then the input, then a new plan. */
  input(call: (core: RaftCore) => Ready): Ready[] {
    const readies = this.catchUp();
    readies.push(call(this.core));
    this.plan();
    return readies;
  }

  private catchUp(): Ready[] {
    const readies: Ready[] = [];
    for (; this.given < this.now; this.given++) readies.push(this.core.tick());
    return readies;
  }

  /** Keeps an earlier wake-up; otherwise wakes at the first tick that may do more than count. */
  private plan(): void {
    const wakeAt = this.given + this.due(this.core);
    if (this.wakeAt === undefined || wakeAt < this.wakeAt) this.wakeAt = wakeAt;
  }
}

function newCore(id: string, voters: readonly string[], seed: number, heartbeatIntervalTicks: number): RaftCore {
  return new RaftCore(
    { id, random: new SeededRandom(seed), electionTimeoutTicks: 6, heartbeatIntervalTicks },
    {
      hardState: { term: 1, votedFor: undefined },
      snapshot: undefined,
      logBase: { index: 0, term: 0 },
      entries: [
        { index: 1, term: 1, kind: "configuration", data: new Uint8Array(0), configuration: configurationOf(voters) },
      ],
    },
  );
}

/** What a ready asks for, as text (readies equal as values have equal text). */
function describeReadies(readies: readonly Ready[]): string[] {
  return readies
    .filter((ready) => !isEmptyReady(ready))
    .map((ready) =>
      JSON.stringify(ready, (_key, value: unknown) => (value instanceof Uint8Array ? [...value] : value)),
    );
}

/** Runs the eager and the lazy cluster side by side; returns the first step at which they differ, if any. */
function firstDivergence(run: Run, due: DueRule): string | undefined {
  const ids = Array.from({ length: run.nodeCount }, (_, index) => `n${index + 1}`);
  const eager = ids.map((id, index) => newCore(id, ids, run.seed * 31 + index, run.heartbeatIntervalTicks));
  const lazy = ids.map(
    (id, index) => new LazyServer(newCore(id, ids, run.seed * 31 + index, run.heartbeatIntervalTicks), due),
  );
  const pending: Message[] = [];
  const isolated = new Set<string>();
  const indexOf = (id: string) => ids.indexOf(id);
  for (const [position, step] of run.steps.entries()) {
    const eagerReadies: Ready[][] = ids.map(() => []);
    const lazyReadies: Ready[][] = ids.map(() => []);
    const input = (node: number, call: (core: RaftCore) => Ready) => {
      eagerReadies[node]?.push(call(eager[node] as RaftCore));
      lazyReadies[node]?.push(...(lazy[node] as LazyServer).input(call));
    };
    switch (step.kind) {
      case "advance":
        ids.forEach((_, node) => {
          eagerReadies[node]?.push((eager[node] as RaftCore).tick());
          lazyReadies[node]?.push(...(lazy[node] as LazyServer).advance());
        });
        break;
      case "deliver":
      case "drop": {
        if (pending.length === 0) break;
        const [message] = pending.splice(step.pick % pending.length, 1) as [Message];
        if (step.kind === "drop" || isolated.has(message.from) || isolated.has(message.to)) break;
        input(indexOf(message.to), (core) => core.step(structuredClone(message)));
        break;
      }
      case "isolate":
        isolated.add(ids[step.node % ids.length] as string);
        break;
      case "heal":
        isolated.clear();
        break;
      case "propose": {
        const node = step.node % ids.length;
        if ((eager[node] as RaftCore).status().role !== "leader") break;
        input(node, (core) => {
          const outcome = core.propose(new Uint8Array([position % 256]));
          if (!outcome.ok) throw new Error(`propose refused: ${outcome.error.message}`);
          return outcome.ready;
        });
        break;
      }
    }
    for (let node = 0; node < ids.length; node++) {
      const expected = describeReadies(eagerReadies[node] as Ready[]);
      const actual = describeReadies(lazyReadies[node] as Ready[]);
      if (JSON.stringify(expected) !== JSON.stringify(actual)) {
        return `step ${position} (${step.kind}) at ${ids[node]}: eager ${JSON.stringify(expected).slice(0, 300)}, lazy ${JSON.stringify(actual).slice(0, 300)}`;
      }
    }
    for (const ready of eagerReadies.flat()) pending.push(...ready.messages);
  }
  return undefined;
}

describe("raft core: lazy ticking", () => {
  const name =
    "raft core: a lazily ticked cluster produces the same readies at the same moments as one ticked every interval";
  it(name, () => {
    fc.assert(
      fc.property(runArbitrary, (run) => {
        expect(firstDivergence(run, shippingRule)).toBeUndefined();
      }),
      propertyParameters(name, 200),
    );
  });

  it("fails on a ticksUntilDue one tick late, and on one that forgets check-quorum", () => {
    const late: DueRule = (core) => core.ticksUntilDue() + 1;
    const noCheckQuorum: DueRule = (core) => {
      const status = core.status();
      if (status.role !== "leader") return core.ticksUntilDue();
      // A leader woken only for its heartbeats: a step-down by check-quorum between two comes late.
      return Math.max(core.ticksUntilDue(), heartbeatDue(core));
    };
    for (const [label, rule] of [
      ["late", late],
      ["no-check-quorum", noCheckQuorum],
    ] as const) {
      const details = fc.check(
        fc.property(runArbitrary, (run) => firstDivergence(run, rule) === undefined),
        { seed: seedFromName(`lazy ticks: ${label}`), numRuns: 200 },
      );
      expect(details.failed, label).toBe(true);
    }
  });
});

/** Ticks until a leader's next heartbeat round, probed on a copy-free path: the rule's own heartbeat bound. */
function heartbeatDue(core: RaftCore): number {
  const internals = core as unknown as {
    state: { heartbeatElapsedTicks: number; options: { heartbeatIntervalTicks: number } };
  };
  return Math.max(1, internals.state.options.heartbeatIntervalTicks - internals.state.heartbeatElapsedTicks);
}
