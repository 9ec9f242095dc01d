/**
 * The broker's parts and the contracts between them (Gazette's broker package,
 * in TypeScript idiom). Each part lives in its own module; this file holds the
 * shapes they share so that they can be built, tested and read separately.
 *
 * Architecture (one broker process per host; see broker.ts):
 *
 *   etcd ──watch──▶ KeySpace (keyspace.ts): journal specs, members, assignments
 *                      │            ▲
 *                      │            └── Allocator (allocator.ts), run by the
 *                      │                oldest member: assigns each journal to
 *                      │                `replication` live members, slot 0 primary
 *                      ▼
 *   Resolver (resolver.ts): journal → Resolution (spec, route, header, local replica)
 *                      │
 *   Replica (replica.ts), one per journal assigned here:
 *     Spool (fragment/spool.ts) the fragment being written, on this host's disk
 *     FragmentIndex (fragment/index.ts) local spools + the store's listing
 *     Persister (fragment/persister.ts) uploads completed spools to the store
 *                      │
 *   Journal service (service.ts): Read (read.ts), Append (append.ts: the
 *   append FSM over a Pipeline of Replicate calls to peers, pipeline.ts),
 *   List / Apply (list-apply.ts), ListFragments.
 *
 *   Fragment store (fragment/store.ts): a separate host serving put / get /
 *   list / delete of fragment files on its own disk, addressed by URLs
 *   `sim://<host>:<port>/<path>/`.
 *
 * Faithful names and numbers: statuses, Header/Route, the Replicate protocol
 * (proposal, content, content delta, acknowledge), offsetJumpAgeThreshold (6 h),
 * the fragment index's blocking semantics, spool roll rules (length, flush
 * interval, codec change), INDEX_HAS_GREATER_OFFSET and explicit-offset roll.
 */
import type { Fragment } from "../protocol/fragment.ts";
import type { Journal, JournalSpec } from "../protocol/journal-spec.ts";
import type { LabelSet } from "../protocol/labels.ts";
import type { Header, ProcessSpecId } from "../protocol/route.ts";
import type { Status } from "../protocol/status.ts";

/** The port brokers serve the Journal service (and Replicate) on. */
export const BROKER_PORT = 8080;
/** Gazette's offsetJumpAgeThreshold: a gap in the index older than this is skipped. */
export const OFFSET_JUMP_AGE_THRESHOLD_MS = 6 * 60 * 60 * 1000;

/** A broker's advertised spec (BrokerSpec). */
export interface BrokerSpec {
  id: ProcessSpecId;
  /** "sim://<host>:<port>" (Gazette: "http://host:port"). */
  endpoint: string;
  /** Most journals this broker will take; 0 uses the default (1024). */
  journalLimit: number;
}

export const BROKER_JOURNAL_LIMIT_DEFAULT = 1024;

/** The KeySpace's view of one journal spec. */
export interface ItemRecord {
  spec: JournalSpec;
  key: string;
  createRevision: number;
  modRevision: number;
}

/** The KeySpace's view of one live member (its key is bound to its lease). */
export interface MemberRecord {
  spec: BrokerSpec;
  key: string;
  createRevision: number;
  modRevision: number;
  lease: number;
}

/** One assignment of a journal to a member; slot 0 is the primary. */
export interface AssignmentRecord {
  journal: Journal;
  member: ProcessSpecId;
  slot: number;
  key: string;
  createRevision: number;
  modRevision: number;
}

/** Etcd state a broker serves under (its KeySpace's revision). */
export interface EtcdState {
  clusterId: number;
  memberId: number;
  revision: number;
  raftTerm: number;
}

/**
 * How a broker resolves a journal (Gazette's resolver): at the KeySpace's
 * current revision, or after waiting for `minEtcdRevision`.
 */
export interface Resolution {
  status: Status;
  header: Header;
  /** The journal's spec, when it exists. */
  spec?: JournalSpec;
  /** Whether this broker is a member of the route, and whether it is the primary. */
  local: boolean;
  primary: boolean;
  /**
   * When not served locally and proxying is allowed: the member to proxy to (the primary for appends, else a member,
   * same zone first).
   */
  proxyTo?: { id: ProcessSpecId; endpoint: string };
  /** The local replica, when `local`. */
  replica?: Replica;
}

export interface ResolveArgs {
  journal: Journal;
  /** The request mutates (append): the primary is needed. */
  requirePrimary: boolean;
  /** The request may be proxied to a peer (else NOT_JOURNAL_BROKER / NOT_JOURNAL_PRIMARY_BROKER). */
  mayProxy: boolean;
  /** The request's Header (a proxied or replicated request): wait for its etcd revision. */
  proxyHeader?: Header;
  signal?: AbortSignal;
}

/** The committed content of a local fragment (a spool, current or completed), by journal offset. */
export interface LocalContent {
  /** Bytes [offset, offset + length) of the journal; every byte must be within the fragment. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A fragment the index knows, with local content when a spool on this host holds it. */
export interface IndexedFragment {
  fragment: Fragment;
  local?: LocalContent;
}

/** The answer of FragmentIndex.query (Gazette's index.Query). */
export type IndexQueryResult =
  | { status: "OK"; offset: number; writeHead: number; fragment: IndexedFragment; jumped: boolean }
  | { status: "OFFSET_NOT_YET_AVAILABLE"; writeHead: number };

/** Registers of a journal: a LabelSet. */
export type Registers = LabelSet;

/** Replicate: one message of Gazette's Replicate stream, carried as one unary call here. */
export interface ReplicateRequest {
  /** First request of a pipeline: the route and etcd revision the primary resolved. */
  header?: Header;
  journal: Journal;
  /**
   * Names the pipeline this message belongs to (primary id, incarnation, counter).
   * A peer's spool belongs to one pipeline at a time: a sync (with header) from a
   * new pipeline takes it over, and messages of any other pipeline are refused
   * (Gazette gets this from the Replicate stream itself).
   */
  pipeline: string;
  /** A proposed current fragment: commit, rollback, or roll (see fragment/spool.ts). */
  proposal?: Fragment;
  registers?: Registers;
  /** Content to append to the spool's uncommitted tail, at `contentDelta` bytes into it. */
  content?: Uint8Array;
  contentDelta: number;
  /** The peer must answer (sync and commit); content is acknowledged too here (one call per message). */
  acknowledge: boolean;
}

export interface ReplicateResponse {
  status: Status;
  header?: Header;
  /** On PROPOSAL_MISMATCH: the peer's current fragment and registers. */
  fragment?: Fragment;
  registers?: Registers;
}

import type { AppendRequest, AppendResponse } from "../protocol/messages.ts";

/** The fragment index of one journal (fragment/index.ts implements it). */
export interface FragmentIndexApi {
  /** A local spool's committed fragment (new or extended): Gazette's SpoolCommit. */
  spoolCommit(fragment: Fragment, local: LocalContent): void;
  /**
   * Gazette's index.Query: the fragment covering `offset` (the longest one), or
   * per the jump rules the next fragment (offset below the first fragment: jump
   * once that fragment was persisted long enough for content in flight before
   * it to reach the store; inside a gap: jump only when the next fragment's
   * ModTime is older than OFFSET_JUMP_AGE_THRESHOLD_MS; else wait /
   * OFFSET_NOT_YET_AVAILABLE; see fragment/index.ts).
   * `offset` -1 means the write head. A blocking query waits for the index to
   * change (spool commit or refresh) until `signal` aborts (then it rejects).
   */
  query(offset: number, options: { block: boolean; signal?: AbortSignal }): Promise<IndexQueryResult>;
  /** [begin, end) of the indexed fragments; `dirty` if any is local only (not yet persisted). */
  offsetRange(): { begin: number; end: number; dirty: boolean };
  /** Resolves once the stores were listed once (or there are none). */
  firstRefresh(): Promise<void>;
  /** Every indexed fragment in offset order (ListFragments). */
  fragments(): IndexedFragment[];
}

/**
 * One journal replicated on this broker (replica.ts). It owns the spool (one
 * pipeline at a time uses it), the fragment index with its refresh loop, and
 * hands completed spools to the persister.
 */
export interface Replica {
  readonly journal: Journal;
  readonly index: FragmentIndexApi;
  /** Peer side of Replicate. */
  replicate(request: ReplicateRequest, resolution: Resolution): Promise<ReplicateResponse>;
  /** Primary side: runs one append transaction through a synchronized pipeline. */
  append(
    request: AppendRequest,
    chunks: AsyncIterable<Uint8Array>,
    resolution: Resolution,
    signal: AbortSignal,
  ): Promise<AppendResponse>;
  /** Unassigned or shutting down: rolls the spool, hands it to the persister, stops the refresh loop. */
  close(): Promise<void>;
}
