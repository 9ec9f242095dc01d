/**
 * A simulated cluster for replication tests (a component's, below the scenarios'
 * broker kit, which runs whole brokers): broker hosts each running one
 * replica of one journal (createReplica), serving Replicate on env.rpc with
 * serveReplicate, with a fake fragment index per host (it records spool
 * commits) and a fake resolution built from a route and spec the test
 * controls. Tests run tasks on a host (`on`) and drive the scheduler until the
 * task settles or a virtual-time bound passes.
 */
import {
  createReplica,
  type JournalReplicaView,
  type ReplicaOptions,
} from "../../../../../src/impl/gazette/broker/replica.ts";
import { replicateOverRpc, serveReplicate } from "../../../../../src/impl/gazette/broker/replicate-wire.ts";
import { replicaOf, type ReplicationBrokenVariant } from "../../../../../scenarios/gazette/variants/broker.ts";
import {
  BROKER_PORT,
  type FragmentIndexApi,
  type IndexedFragment,
  type IndexQueryResult,
  type LocalContent,
  type Resolution,
} from "../../../../../src/impl/gazette/broker/types.ts";
import type { Fragment } from "../../../../../src/impl/gazette/protocol/fragment.ts";
import type { JournalSpec } from "../../../../../src/impl/gazette/protocol/journal-spec.ts";
import { labelSet } from "../../../../../src/impl/gazette/protocol/labels.ts";
import type { AppendRequest, AppendResponse } from "../../../../../src/impl/gazette/protocol/messages.ts";
import { processSpecIdEqual, type Header, type ProcessSpecId } from "../../../../../src/impl/gazette/protocol/route.ts";
import type { Env } from "../../../../../src/sim/env.ts";
import { createSimDisks, type SimDiskSystem } from "../../../../../src/sim/disk/system.ts";
import { World } from "../../../../../src/sim/world.ts";
import { scenarioJournalSpec } from "../../../../../scenarios/gazette/cluster.ts";
import { runWorldUntil, track, worldProblems, type Outcome } from "../../../../_support/world-run.ts";

export const JOURNAL = "replication/example/part-0";
export const STORE = "sim://store:9090/fragments/";

export const idOf = (host: string): ProcessSpecId => ({ zone: "local", suffix: host });

/** The scenarios' journal spec (scenarioJournalSpec) with 1 MiB fragments, labelled app=test, and `fields`. */
export function journalSpec(fields: Partial<JournalSpec> = {}): JournalSpec {
  const spec = scenarioJournalSpec(JOURNAL, STORE, { length: 1 << 20, refreshIntervalMs: 30_000 });
  return { ...spec, labels: labelSet("app", "test"), ...fields };
}

/** A fragment index that records spool commits and answers from them and a fixed remote set. */
export class FakeIndex implements FragmentIndexApi {
  /** Every spool commit, in order. */
  readonly commits: IndexedFragment[] = [];
  /** Persisted fragments the store "holds" (set by the test). */
  remote: Fragment[] = [];
  /** Latest commit of each local spool, by its begin offset. */
  private readonly local = new Map<number, IndexedFragment>();

  spoolCommit(fragment: Fragment, local: LocalContent): void {
    const indexed = { fragment: { ...fragment }, local };
    this.commits.push(indexed);
    this.local.set(fragment.begin, indexed);
  }

  fragments(): IndexedFragment[] {
    return [...this.remote.map((fragment) => ({ fragment })), ...this.local.values()].sort(
      (a, b) => a.fragment.begin - b.fragment.begin || a.fragment.end - b.fragment.end,
    );
  }

  offsetRange(): { begin: number; end: number; dirty: boolean } {
    const all = this.fragments();
    if (all.length === 0) return { begin: 0, end: 0, dirty: false };
    return {
      begin: Math.min(...all.map((f) => f.fragment.begin)),
      end: Math.max(...all.map((f) => f.fragment.end)),
      dirty: this.local.size > 0,
    };
  }

  async query(offset: number): Promise<IndexQueryResult> {
    const writeHead = this.offsetRange().end;
    const at = offset === -1 ? writeHead : offset;
    const covering = this.fragments().filter((f) => f.fragment.begin <= at && at < f.fragment.end);
    const best = covering.sort((a, b) => b.fragment.end - a.fragment.end)[0];
    if (best === undefined) return { status: "OFFSET_NOT_YET_AVAILABLE", writeHead };
    return { status: "OK", offset: at, writeHead, fragment: best, jumped: false };
  }

  firstRefresh(): Promise<void> {
    return Promise.resolve();
  }

  /** The journal's bytes [begin, end) read from local spools (every byte must be held locally). */
  async readLocal(begin: number, end: number): Promise<Uint8Array> {
    const out = new Uint8Array(end - begin);
    for (let offset = begin; offset < end; ) {
      const holder = [...this.local.values()].find((f) => f.fragment.begin <= offset && offset < f.fragment.end);
      if (holder === undefined || holder.local === undefined) throw new Error(`offset ${offset} is not held locally`);
      const through = Math.min(end, holder.fragment.end);
      out.set(await holder.local.read(offset, through - offset), offset - begin);
      offset = through;
    }
    return out;
  }
}

export interface Persisted {
  fragment: Fragment;
  local: LocalContent;
  primary: boolean;
}

export interface Node {
  host: string;
  env: Env;
  index: FakeIndex;
  replica: JournalReplicaView;
  persisted: Persisted[];
}

export interface ClusterOptions {
  seed: number | string;
  hosts: readonly string[];
  /** Route members (default: all hosts); the first is primary unless `primary` names another. */
  members?: readonly string[];
  primary?: string;
  spec?: JournalSpec;
  brokenVariant?: ReplicationBrokenVariant;
  replicaOptions?: ReplicaOptions;
}

export type TaskOutcome<T> = Outcome<T>;

export class ReplicationCluster {
  readonly world: World;
  readonly disks: SimDiskSystem;
  readonly nodes = new Map<string, Node>();
  members: string[];
  primary: string;
  revision = 1;
  spec: JournalSpec;
  storeHealthy = true;

  constructor(private readonly options: ClusterOptions) {
    this.disks = createSimDisks();
    this.world = new World({ seed: options.seed, disks: this.disks });
    this.members = [...(options.members ?? options.hosts)];
    this.primary = options.primary ?? (this.members[0] as string);
    this.spec = options.spec ?? journalSpec();
    for (const host of options.hosts) this.world.addHost(host, (env) => this.main(env));
  }

  /** Starts every host and lets them come up. */
  async start(): Promise<void> {
    for (const host of this.options.hosts) this.world.host(host).start();
    await this.world.scheduler.run({ untilTime: this.world.now + 10 });
  }

  node(host: string): Node {
    const node = this.nodes.get(host);
    if (node === undefined) throw new Error(`no node ${host}`);
    return node;
  }

  /** Changes the route (and bumps the etcd revision), as the allocator would. */
  setRoute(members: readonly string[], primary: string): void {
    this.members = [...members];
    this.primary = primary;
    this.revision++;
  }

  header(host: string): Header {
    const members = [...this.members].sort();
    return {
      processId: idOf(host),
      route: {
        members: members.map(idOf),
        primary: members.indexOf(this.primary),
        endpoints: members.map((member) => `sim://${member}:${BROKER_PORT}`),
      },
      etcd: { clusterId: 1, memberId: 1, revision: this.revision, raftTerm: 1 },
    };
  }

  resolution(host: string): Resolution {
    const node = this.nodes.get(host);
    const local = this.members.includes(host);
    const resolution: Resolution = {
      status: local ? "OK" : "NOT_JOURNAL_BROKER",
      header: this.header(host),
      spec: this.spec,
      local,
      primary: local && this.primary === host,
    };
    if (node !== undefined) resolution.replica = node.replica;
    return resolution;
  }

  private async main(env: Env): Promise<void> {
    const host = env.host;
    const index = new FakeIndex();
    const persisted: Persisted[] = [];
    const replica = (this.options.brokenVariant === undefined ? createReplica : replicaOf(this.options.brokenVariant))(
      env,
      {
        journal: JOURNAL,
        localId: idOf(host),
        index,
        persist: (fragment, local, _stores, primary) => {
          persisted.push({ fragment, local, primary });
        },
        transport: replicateOverRpc(env, (peer) => `sim://${peer.suffix}:${BROKER_PORT}`, { deadlineMs: 2_000 }),
        storeHealthy: () => this.storeHealthy,
        resolve: async () => this.resolution(host),
        spoolDirectory: `/spools/${JOURNAL}`,
        options: { pulseIntervalMs: 0, callDeadlineMs: 2_000, ...this.options.replicaOptions },
      },
    );
    this.nodes.set(host, { host, env, index, replica, persisted });
    const server = env.rpc.serve(BROKER_PORT);
    serveReplicate(server, async (request) => replica.replicate(request, this.resolution(host)));
    await new Promise<void>((resolve) => env.lifetime.signal.addEventListener("abort", () => resolve()));
  }

  /** Runs `task` on `host`'s node until it settles or `limitMs` of virtual time passed. */
  async on<T>(host: string, task: (node: Node) => Promise<T>, limitMs = 60_000): Promise<TaskOutcome<T>> {
    const outcome = track(task(this.node(host)));
    await runWorldUntil(this.world, this.world.now + limitMs, () => outcome.settled);
    return outcome;
  }

  /** Appends `chunks` through the primary's replica under the current resolution. */
  async append(
    chunks: ChunkScript,
    request: Partial<AppendRequest> = {},
    host = this.primary,
  ): Promise<TaskOutcome<AppendResponse>> {
    return this.on(host, (node) =>
      node.replica.append(
        { journal: JOURNAL, doNotProxy: false, offset: 0, ...request },
        iterate(chunks),
        this.resolution(host),
        new AbortController().signal,
      ),
    );
  }

  /** Lets `ms` of virtual time pass (messages in flight, such as a primary's adoption notice, arrive). */
  async settle(ms = 100): Promise<void> {
    await this.world.scheduler.run({ untilTime: this.world.now + ms });
  }

  /** Crashes a host (its spool files are volatile: they are lost). */
  crash(host: string): void {
    this.world.host(host).crash();
    this.nodes.delete(host);
  }

  /** Restarts a crashed host with a fresh replica. */
  async restart(host: string): Promise<void> {
    this.world.host(host).start();
    await this.world.scheduler.run({ untilTime: this.world.now + 10 });
  }

  /** Problems of the world: violations and uncaught process errors. */
  problems(): string[] {
    return worldProblems(this.world);
  }

  /** How often a probe (a marked rare path) was reached. */
  probe(name: string): number {
    return this.world.probes.get(name) ?? 0;
  }

  /** Whether `peer` is a member of the current route. */
  isMember(peer: ProcessSpecId): boolean {
    return this.members.some((member) => processSpecIdEqual(idOf(member), peer));
  }
}

/**
 * An append's chunks: bytes are yielded, an Error is thrown (a client error), a function is called (a fault at that
 * point).
 */
export type ChunkScript = readonly (Uint8Array | Error | (() => void))[];

async function* iterate(chunks: ChunkScript): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) {
    if (chunk instanceof Error) throw chunk;
    if (typeof chunk === "function") chunk();
    else yield chunk;
  }
}

export const text = (value: string): Uint8Array => new TextEncoder().encode(value);
export const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
