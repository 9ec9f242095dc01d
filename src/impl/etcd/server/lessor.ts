/**
 * Lessor: the leader's side of leases (etcd's lessor, minus its replicated state,
 * which lives in the MvccStore). Only the leader tracks expiries, on its own
 * monotonic clock:
 * - a lease granted while this member leads expires `ttl` seconds after it is applied;
 * - `renew` (a keep-alive) pushes the expiry `ttl` seconds from now, unless it passed;
 * - on becoming leader, every lease gets a fresh expiry of ttl + the election
 *   timeout (etcd's `promote(extend)`), so a failover never expires a lease early:
 *   the new leader never saw the keep-alives the old one took;
 * - on losing leadership, all expiries are forgotten (etcd's `demote`).
 * Every `checkIntervalMs` the leader proposes a revoke (a Raft command, so every
 * replica deletes the keys at the same revision) for each expired lease, at most
 * REVOKES_PER_CHECK_MAX at a time, and again at the next check if it failed.
 *
 * Probes: "etcd.lease-expired" (a revoke on expiry was applied), "etcd.lease-promoted"
 * (a new leader refreshed its leases).
 *
 * Minimum TTL: etcd raises a TTL below minTTL = ceil((3 * electionTicks / 2) *
 * heartbeat) seconds. Here that is ceil(1.5 * electionTimeoutMs / 1000) seconds,
 * at least 1: with the raft defaults (20 ms ticks, 10-tick election timeout) 1 s.
 *
 * Seams for testing: `tracksExpiries` and `forgetExpiries` (who tracks expiries,
 * and the clean slate of a promotion), overridden by scenarios/etcd/variants.ts.
 */
import type { Env, Timer } from "../../../sim/env.ts";
import type { MvccStore } from "../mvcc/store.ts";

/** Revokes proposed per check at most (etcd's leaseRevokeRate is 1000 per second). */
export const REVOKES_PER_CHECK_MAX = 64;

export interface LessorOptions {
  /** How often the leader looks for expired leases, in ms. */
  readonly checkIntervalMs: number;
  /** The extension a new leader adds to every lease's TTL (etcd: the election timeout), in ms. */
  readonly promoteExtendMs: number;
}

/** The leader's lease expiries (see the file's comment). */
export class Lessor {
  /** Lease id -> monotonic deadline in ms. */
  private readonly expiries = new Map<number, number>();
  private readonly revoking = new Set<number>();
  private leading = false;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly env: Env,
    private readonly store: () => MvccStore,
    /** Proposes the revoke of an expired lease; resolves true once applied. */
    private readonly proposeRevoke: (id: number) => Promise<boolean>,
    private readonly options: LessorOptions,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.expiries.clear();
  }

  /** This member became leader (true) or stopped leading (false). */
  leadership(isLeader: boolean): void {
    if (isLeader && !this.leading) this.promote();
    if (!isLeader && this.leading) {
      this.leading = false;
      this.forgetExpiries();
      this.revoking.clear();
    }
  }

  leaseGranted(id: number, ttl: number): void {
    if (this.tracksExpiries()) this.expiries.set(id, this.now() + ttl * 1000);
  }

  leaseRevoked(id: number): void {
    this.expiries.delete(id);
    this.revoking.delete(id);
  }

  /** The store was replaced by a snapshot: forget leases it no longer has, track those it has. */
  restored(): void {
    const store = this.store();
    for (const id of [...this.expiries.keys()]) if (store.lease(id) === undefined) this.expiries.delete(id);
    if (this.leading) this.trackUntracked(this.options.promoteExtendMs);
  }

  /**
   * etcd's Renew (leader only): the lease's new TTL in seconds, or 0 when it no
   * longer exists or its expiry already passed (its revoke is under way).
   */
  renew(id: number): number {
    const lease = this.store().lease(id);
    if (!this.leading || lease === undefined) return 0;
    const expiry = this.expiries.get(id);
    if (expiry !== undefined && expiry <= this.now()) return 0;
    this.expiries.set(id, this.now() + lease.ttl * 1000);
    return lease.ttl;
  }

  /** Seconds left before the lease expires (rounded up), -1 if it does not exist (leader only). */
  remainingSeconds(id: number): number {
    const lease = this.store().lease(id);
    if (lease === undefined) return -1;
    const expiry = this.expiries.get(id);
    if (expiry === undefined) return lease.ttl;
    return Math.max(0, Math.ceil((expiry - this.now()) / 1000));
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private promote(): void {
    this.leading = true;
    this.forgetExpiries();
    const promoted = this.trackUntracked(this.options.promoteExtendMs);
    if (promoted > 0) this.env.probe("etcd.lease-promoted");
  }

  /**
   * Whether this member notes the expiry of a lease granted now: only the leader tracks expiries (a seam for test
   * fixtures).
   */
  protected tracksExpiries(): boolean {
    return this.leading;
  }

  /**
   * Forgets every expiry as this member starts or stops leading: a new leader then
   * gives every lease a fresh one (etcd's promote). A seam for test fixtures.
   */
  protected forgetExpiries(): void {
    this.expiries.clear();
  }

  /** Gives every lease of the store without an expiry one of ttl + extendMs from now; returns how many. */
  private trackUntracked(extendMs: number): number {
    const store = this.store();
    let tracked = 0;
    for (const id of store.leaseIds()) {
      if (this.expiries.has(id)) continue;
      this.expiries.set(id, this.now() + (store.lease(id)?.ttl ?? 0) * 1000 + extendMs);
      tracked++;
    }
    return tracked;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.env.clock.setTimer(this.options.checkIntervalMs, () => {
      this.check();
      this.schedule();
    });
  }

  /** Proposes revokes for the expired leases (leader only). */
  private check(): void {
    if (!this.leading || this.stopped) return;
    // Leases applied after the promotion (grants committed by an earlier leader) get their expiry now.
    this.trackUntracked(this.options.promoteExtendMs);
    const store = this.store();
    for (const id of [...this.expiries.keys()]) if (store.lease(id) === undefined) this.leaseRevoked(id);
    const now = this.now();
    let proposed = 0;
    for (const [id, expiry] of this.expiries) {
      if (proposed >= REVOKES_PER_CHECK_MAX) break;
      if (expiry > now || this.revoking.has(id)) continue;
      this.revoking.add(id);
      proposed++;
      void this.proposeRevoke(id).then((applied) => {
        if (applied) this.env.probe("etcd.lease-expired");
        else this.revoking.delete(id);
      });
    }
  }

  private now(): number {
    return this.env.clock.monotonic();
  }
}
