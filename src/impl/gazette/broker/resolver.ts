/**
 * Resolver: maps a journal to the brokers responsible for it and, when this
 * broker is one of them, to its local replica (Gazette's resolver.resolve).
 *
 * A request carrying a Header (proxied by a peer, or replicated by the primary)
 * is resolved no earlier than that Header's etcd revision: the key space first
 * waits for it, bounded by the request's signal and `revisionWaitMs`. Then, at
 * the key space's revision:
 * - no such journal: JOURNAL_NOT_FOUND;
 * - the primary is required (append) and there is none: NO_JOURNAL_PRIMARY_BROKER;
 * - the route has no members (a read): INSUFFICIENT_JOURNAL_BROKERS;
 * - append: this broker is primary → served locally; else with mayProxy → proxied
 *   to the primary, without → NOT_JOURNAL_PRIMARY_BROKER;
 * - read: this broker is a member → served locally; else with mayProxy → proxied
 *   to a member (the same zone as this broker first, then one chosen by a stable
 *   hash of the journal and this broker), without → NOT_JOURNAL_BROKER.
 * The Header names who serves (this broker, or the peer proxied to; this broker
 * for an error status, which it authored), the route and the etcd state.
 *
 * A local member whose replica does not exist yet (the broker creates replicas
 * as it sees assignments) is not ready: the resolver waits for it, polling, at
 * most `replicaWaitMs`, then answers as if this broker were not a member
 * ("gazette.resolver.replica-not-ready"); a primary that is not ready answers
 * NOT_JOURNAL_PRIMARY_BROKER (proxying to itself would loop).
 *
 * Deviation from Gazette: a Header's ProcessId is not required to name this
 * broker (the primary's Replicate header names the primary); only its etcd
 * ClusterId is checked.
 */
import type { Env } from "../../../sim/env.ts";
import type { Journal } from "../protocol/journal-spec.ts";
import { emptyRoute, processSpecIdEqual, type Header, type ProcessSpecId, type Route } from "../protocol/route.ts";
import type { Status } from "../protocol/status.ts";
import { sleep, type KeySpace } from "./keyspace.ts";
import type { Replica, Resolution, ResolveArgs } from "./types.ts";

export const RESOLVER_PROBES = {
  "gazette.resolver.waited-for-revision":
    "a request's Header named a later etcd revision than the key space's: the resolver waited for it",
  "gazette.resolver.replica-not-ready":
    "this broker is assigned the journal but its replica did not appear in time: answered as a non-member",
} as const;

/** Default bound of a wait for a Header's revision (ms). */
export const RESOLVER_REVISION_WAIT_MS = 10_000;
/** Default bound of a wait for a local replica to be created (ms), and the polling interval. */
export const RESOLVER_REPLICA_WAIT_MS = 1_000;
export const RESOLVER_REPLICA_POLL_MS = 10;

export type ResolverErrorCode = "cluster-mismatch" | "revision-timeout" | "cancelled";

/** A request the resolver cannot resolve: a Header from another etcd cluster, or a revision wait that ended first. */
export class ResolverError extends Error {
  override readonly name = "ResolverError";
  constructor(
    readonly code: ResolverErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

export interface ResolverOptions {
  readonly revisionWaitMs?: number;
  readonly replicaWaitMs?: number;
}

/** Resolves journals for the broker `localId` (see the file's comment). */
export class Resolver {
  private readonly env: Env;

  constructor(
    private readonly keyspace: KeySpace,
    private readonly localId: ProcessSpecId,
    private readonly replicas: (journal: Journal) => Replica | undefined,
    private readonly options: ResolverOptions = {},
  ) {
    this.env = keyspace.env;
  }

  /**
   * Seam: the etcd revision a proxied request's Header requires the key space to reach before resolving (the Header's).
   */
  protected revisionOf(header: Header): number {
    return header.etcd.revision;
  }

  async resolve(args: ResolveArgs): Promise<Resolution> {
    const header = args.proxyHeader;
    if (header !== undefined && this.keyspace.loaded && header.etcd.clusterId !== this.keyspace.etcdState().clusterId) {
      throw new ResolverError(
        "cluster-mismatch",
        `proxied request's etcd ClusterId ${header.etcd.clusterId} is not ours (${this.keyspace.etcdState().clusterId})`,
      );
    }
    let minimum = this.keyspace.loaded ? 0 : 1;
    if (header !== undefined) minimum = Math.max(minimum, this.revisionOf(header));
    if (minimum > this.keyspace.revision) await this.waitForRevision(minimum, args.signal);
    const deadline = this.env.clock.monotonic() + (this.options.replicaWaitMs ?? RESOLVER_REPLICA_WAIT_MS);
    for (;;) {
      const resolution = this.evaluate(args, true);
      if (resolution !== undefined) return resolution;
      if (this.env.clock.monotonic() >= deadline || args.signal?.aborted === true) break;
      await sleep(this.env, RESOLVER_REPLICA_POLL_MS, args.signal);
    }
    this.env.probe("gazette.resolver.replica-not-ready");
    return this.evaluate(args, false) as Resolution;
  }

  /**
   * The resolution at the key space's current state; undefined when this broker
   * would serve locally but its replica does not exist yet (and `waitForReplica`).
   */
  private evaluate(args: ResolveArgs, waitForReplica: boolean): Resolution | undefined {
    const item = this.keyspace.item(args.journal);
    const route = item === undefined ? emptyRoute() : this.keyspace.route(args.journal);
    const localIndex = route.members.findIndex((member) => processSpecIdEqual(member, this.localId));
    const replica = localIndex === -1 ? undefined : this.replicas(args.journal);
    const serveHere = localIndex !== -1 && (args.requirePrimary ? route.primary === localIndex : true);
    if (serveHere && replica === undefined && waitForReplica) return undefined;
    const ready = localIndex !== -1 && replica !== undefined;
    const base = {
      spec: item?.spec,
      route,
      local: ready,
      primary: ready && route.primary === localIndex,
      replica: ready ? replica : undefined,
    };
    if (item === undefined) return this.refuse("JOURNAL_NOT_FOUND", base);
    if (args.requirePrimary) {
      if (route.primary === -1) return this.refuse("NO_JOURNAL_PRIMARY_BROKER", base);
      if (base.primary) return this.serve(base, this.localId, undefined);
      const primary = route.members[route.primary] as ProcessSpecId;
      const endpoint = route.endpoints[route.primary] ?? "";
      if (route.primary === localIndex || !args.mayProxy) return this.refuse("NOT_JOURNAL_PRIMARY_BROKER", base);
      if (endpoint === "") return this.refuse("NO_JOURNAL_PRIMARY_BROKER", base);
      return this.serve(base, primary, { id: { ...primary }, endpoint });
    }
    if (route.members.length === 0) return this.refuse("INSUFFICIENT_JOURNAL_BROKERS", base);
    if (base.local) return this.serve(base, this.localId, undefined);
    if (!args.mayProxy) return this.refuse("NOT_JOURNAL_BROKER", base);
    const peer = this.pickPeer(args.journal, route);
    if (peer === undefined) return this.refuse("NOT_JOURNAL_BROKER", base);
    return this.serve(base, peer.id, peer);
  }

  private serve(
    base: ResolutionBase,
    servedBy: ProcessSpecId,
    proxyTo: { id: ProcessSpecId; endpoint: string } | undefined,
  ): Resolution {
    return this.build("OK", base, servedBy, proxyTo);
  }

  private refuse(status: Status, base: ResolutionBase): Resolution {
    return this.build(status, base, this.localId, undefined);
  }

  private build(
    status: Status,
    base: ResolutionBase,
    servedBy: ProcessSpecId,
    proxyTo: { id: ProcessSpecId; endpoint: string } | undefined,
  ): Resolution {
    const resolution: Resolution = {
      status,
      header: this.keyspace.header(servedBy, base.route),
      local: base.local,
      primary: base.primary,
    };
    if (base.spec !== undefined) resolution.spec = base.spec;
    if (proxyTo !== undefined) resolution.proxyTo = proxyTo;
    if (base.replica !== undefined) resolution.replica = base.replica;
    return resolution;
  }

  /** A member to proxy a read to: same zone first, then a stable hash of (journal, this broker). */
  private pickPeer(journal: Journal, route: Route): { id: ProcessSpecId; endpoint: string } | undefined {
    const peers = route.members
      .map((id, index) => ({ id: { ...id }, endpoint: route.endpoints[index] ?? "" }))
      .filter((peer) => peer.endpoint !== "" && !processSpecIdEqual(peer.id, this.localId));
    const sameZone = peers.filter((peer) => peer.id.zone === this.localId.zone);
    const candidates = sameZone.length > 0 ? sameZone : peers;
    if (candidates.length === 0) return undefined;
    return candidates[hash(`${journal}#${this.localId.zone}#${this.localId.suffix}`) % candidates.length];
  }

  private async waitForRevision(revision: number, signal: AbortSignal | undefined): Promise<void> {
    this.env.probe("gazette.resolver.waited-for-revision");
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = this.env.clock.setTimer(this.options.revisionWaitMs ?? RESOLVER_REVISION_WAIT_MS, onAbort);
    try {
      if (await this.keyspace.waitForRevision(revision, controller.signal)) return;
    } finally {
      timer.cancel();
      signal?.removeEventListener("abort", onAbort);
    }
    if (signal?.aborted === true) throw new ResolverError("cancelled", `waiting for etcd revision ${revision}`);
    throw new ResolverError("revision-timeout", `etcd revision ${revision} not reached (at ${this.keyspace.revision})`);
  }
}

interface ResolutionBase {
  readonly spec: Resolution["spec"];
  readonly route: Route;
  readonly local: boolean;
  readonly primary: boolean;
  readonly replica: Replica | undefined;
}

/** FNV-1a of `text` (a stable choice among peers). */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) value = Math.imul(value ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return value;
}
