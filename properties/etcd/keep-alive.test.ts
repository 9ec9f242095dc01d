/**
 * keepAlive (src/impl/etcd/client/keep-alive.ts) when its client is cut off from
 * every member (a partition resets its connections; SYNs sent during the cut are
 * lost, and TCP sends them again after 1 s, then 2 s more): the budget of a 2 s
 * lease renewed every 667 ms, with a 500 ms call deadline.
 * - A 1 s cut: the renewal due during it is retried and succeeds once the cut
 *   healed (on a dial made after the heal); the lease is never lost.
 * - A 2.5 s cut, longer than the TTL: no renewal can get through, and the
 *   keep-alive ends "lost" no later than the TTL after its last renewal was sent
 *   (before etcd may expire the lease), and sends no renewal after that (one
 *   that got through would keep alive a lease its holder gave up). It used to
 *   end, and go on renewing, until the renewal in flight had used the client's
 *   whole operation timeout (2 s) past the TTL.
 * The cut starts 100 ms after the second renewal, from the scenario's setup.
 */
import { describe, expect, it } from "vitest";
import { EtcdClient } from "../../src/impl/etcd/index.ts";
import type { KeepAliveEnd } from "../../src/impl/etcd/client/keep-alive.ts";
import { runScenario, type Scenario } from "../../src/sim/runner.ts";
import { ETCD_SCENARIO_BASE, startEtcdCluster } from "../../scenarios/etcd/cluster.ts";

const SERVERS = ["n1", "n2", "n3"] as const;
const TTL_SECONDS = 2;
const CUT_AFTER_RENEWAL_MS = 100;

interface Renewal {
  /** The client's monotonic time the renewal was sent. */
  readonly sentAtMs: number;
  /** Virtual time it succeeded. */
  readonly atMs: number;
}

interface Record {
  readonly renewals: Renewal[];
  /** Virtual times the client sent etcd.leaseKeepAlive (every attempt). */
  readonly sent: number[];
  cut?: { readonly from: number; readonly to: number };
  end?: { readonly reason: KeepAliveEnd["reason"]; readonly atMs: number };
}

function cutScenario(record: Record, cutMs: number): Scenario {
  return {
    name: "etcd-keep-alive-cut",
    description: "a kept-alive lease while its client is cut off from every member",
    safetyMs: 6_000,
    livenessMs: 1,
    ...ETCD_SCENARIO_BASE,
    setup: (context) => {
      const { world } = context;
      startEtcdCluster(context, { servers: SERVERS });
      world
        .addHost("c1", async (env) => {
          // The client's calls go through a counting rpc (every keep-alive attempt is recorded).
          const rpc = Object.create(env.rpc) as typeof env.rpc;
          rpc.call = (address, port, method, request, options) => {
            if (method === "etcd.leaseKeepAlive") record.sent.push(world.now);
            return env.rpc.call(address, port, method, request, options);
          };
          const client = new EtcdClient(
            { ...env, rpc },
            { endpoints: SERVERS, operationTimeoutMs: 2_000, callDeadlineMs: 500 },
          );
          const lease = await client.grant(TTL_SECONDS);
          const keep = client.keepAlive(lease.id, {
            onRenewed: (_ttl, sentAtMs) => {
              record.renewals.push({ sentAtMs, atMs: world.now });
              if (record.renewals.length !== 2) return;
              world.scheduler.schedule(CUT_AFTER_RENEWAL_MS, () => {
                record.cut = { from: world.now, to: world.now + cutMs };
                world.network.partition([["c1"], [...SERVERS]]);
                world.scheduler.schedule(cutMs, () => world.network.heal());
              });
            },
          });
          const timer = env.clock.setTimer(5_000, () => keep.cancel());
          const end = await keep.done;
          timer.cancel();
          record.end = { reason: end.reason, atMs: world.now };
        })
        .start();
      return { progress: () => record.end !== undefined };
    },
  };
}

async function run(cutMs: number): Promise<Record> {
  const record: Record = { renewals: [], sent: [] };
  const result = await runScenario(cutScenario(record, cutMs), { seed: 1, faults: { version: 1, faults: [] } });
  expect(result.violations).toEqual([]);
  expect(record.cut).toBeDefined();
  return record;
}

describe("etcd keepAlive across a cut from every member", () => {
  it("a 1 s cut: the renewal due during it succeeds after the heal, and the lease is never lost (seed 1)", async () => {
    const record = await run(1_000);
    const cut = record.cut as { from: number; to: number };
    expect(record.end?.reason).toBe("cancelled");
    expect(record.renewals.some((renewal) => renewal.atMs > cut.to)).toBe(true);
    for (let index = 1; index < record.renewals.length; index++) {
      const previous = record.renewals[index - 1] as Renewal;
      expect((record.renewals[index] as Renewal).atMs - previous.sentAtMs).toBeLessThan(TTL_SECONDS * 1_000);
    }
  }, 30_000);

  it("a 2.5 s cut: the keep-alive ends lost within the TTL of its last renewal (seed 1)", async () => {
    const record = await run(2_500);
    const cut = record.cut as { from: number; to: number };
    expect(record.end?.reason).toBe("lost");
    const last = record.renewals[record.renewals.length - 1] as Renewal;
    expect(last.atMs).toBeLessThan(cut.from);
    const lostAt = record.end?.atMs as number;
    expect(lostAt).toBeLessThanOrEqual(last.sentAtMs + TTL_SECONDS * 1_000 + 1);
    expect(record.sent.filter((at) => at >= lostAt)).toEqual([]);
  }, 30_000);
});
