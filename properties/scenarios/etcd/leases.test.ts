/**
 * Invariants (etcd-leases): a lease kept alive never expires through leader
 * failovers (no revoke on expiry earlier than TTL after its last renewal call
 * began); a lease left alone expires, one revoked goes, and either way all its keys
 * are deleted at one revision.
 * Broken variants: "no-lease-promote" (a new leader keeps the stale expiries its
 * replica noted at grant time instead of refreshing every lease) is caught as
 * etcd.lease-expired-early; "revoke-key-by-key" (a revoke deletes one key per
 * revision) as etcd.lease-keys-one-revision.
 * Method: the scenario with its failover plan (each member crashes in turn, after
 * the kept lease's first TTL) on fixed seeds, and on swarm seeds.
 */
import { describe, expect, it } from "vitest";
import { etcdLeases, etcdLeasesFailoverPlan } from "../../../scenarios/etcd/leases.ts";
import { describeRun, runEtcd } from "./_support/runs.ts";

describe("etcd-leases", () => {
  for (const seed of [1, 2]) {
    it(`a kept-alive lease survives failovers, the others expire or are revoked at one revision (seed ${seed})`, async () => {
      const run = { seed, faults: etcdLeasesFailoverPlan() };
      const result = await runEtcd(etcdLeases, run);
      expect(result.violations, describeRun(etcdLeases, run, result)).toEqual([]);
      expect(result.stats.probes["etcd.lease-promoted"]).toBeGreaterThan(0);
      expect(result.stats.probes["etcd.lease-expired"]).toBeGreaterThan(0);
      expect(result.stats.workload.keepAlive).toBe("running");
      expect(Number(result.stats.workload.terms)).toBeGreaterThan(1);
    });
  }

  for (const seed of [3, 5]) {
    it(`holds under the swarm's faults (seed ${seed})`, async () => {
      const run = { seed };
      const result = await runEtcd(etcdLeases, run);
      expect(result.violations, describeRun(etcdLeases, run, result)).toEqual([]);
    });
  }

  it("catches the no-lease-promote variant (etcd.lease-expired-early)", async () => {
    const run = { seed: 1, variant: "no-lease-promote", faults: etcdLeasesFailoverPlan() };
    const result = await runEtcd(etcdLeases, run);
    expect(result.violations[0]?.invariant, describeRun(etcdLeases, run, result)).toBe("etcd.lease-expired-early");
  });

  it("catches the revoke-key-by-key variant (etcd.lease-keys-one-revision)", async () => {
    const run = { seed: 1, variant: "revoke-key-by-key", faults: etcdLeasesFailoverPlan() };
    const result = await runEtcd(etcdLeases, run);
    expect(result.violations[0]?.invariant, describeRun(etcdLeases, run, result)).toBe("etcd.lease-keys-one-revision");
  });
});
