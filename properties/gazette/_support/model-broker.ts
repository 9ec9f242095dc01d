/**
 * A model broker: serves the Journal service (protocol/rpc-binding.ts
 * `serveJournal`) from a shared ModelStore, with scripted faults, so that the
 * client package can be tested inside the simulator before real brokers exist.
 *
 * Faults a test can script, per Read call and per Append attempt:
 * - a non-OK status (with the header's current route, as brokers send it);
 * - a slow response (a delay before answering);
 * - a broken stream or call (the handler throws: the client sees an RpcError);
 * - for reads, a response offset below the request (a broker bug the client must reject).
 * Offset jumps come from deleted fragments; route changes from the store's routes
 * (a broker not in the route answers NOT_JOURNAL_BROKER, a non-primary answers
 * appends with NOT_JOURNAL_PRIMARY_BROKER); connection resets from crashing the
 * broker host (its state lives in the shared store, so a restart loses nothing).
 */
import type { Env, RpcContext } from "../../../src/sim/env.ts";
import {
  selectorMatches,
  subtractLabelSet,
  unionLabelSets,
  type LabelSet,
} from "../../../src/impl/gazette/protocol/labels.ts";
import { journalMetaLabels } from "../../../src/impl/gazette/protocol/journal-spec.ts";
import type {
  AppendRequest,
  AppendResponse,
  ApplyRequest,
  ApplyResponse,
  FragmentsRequest,
  FragmentsResponse,
  ListRequest,
  ListResponse,
  ReadRequest,
  ReadResponse,
} from "../../../src/impl/gazette/protocol/messages.ts";
import { fragmentStoreUrl } from "../../../src/impl/gazette/protocol/fragment.ts";
import { emptyRoute, type Header, type Route } from "../../../src/impl/gazette/protocol/route.ts";
import { serveJournal, type JournalHandler } from "../../../src/impl/gazette/protocol/rpc-binding.ts";
import type { Status } from "../../../src/impl/gazette/protocol/status.ts";
import { BROKER_PORT, BROKER_ZONE, type ModelJournal, type ModelStore } from "./model-store.ts";
import { concatenate as concat } from "../../_support/bytes.ts";

export type ReadFault =
  | { kind: "status"; status: Status }
  | { kind: "delay"; ms: number }
  | { kind: "break-after"; bytes: number }
  | { kind: "offset-below"; by: number };

export type AppendFault = { kind: "status"; status: Status } | { kind: "delay"; ms: number } | { kind: "fail" };

export interface BrokerFaults {
  /** The fault of the `call`-th Read call to this store (all brokers), if any. */
  read?: (request: ReadRequest, call: number) => ReadFault | undefined;
  /** The fault of the `attempt`-th Append attempt on `request.journal`, if any. */
  append?: (request: AppendRequest, attempt: number) => AppendFault | undefined;
}

/** Bytes per content response. */
export const MODEL_READ_CHUNK_BYTES = 1024;
/** How often a blocking read polls for new content. */
const BLOCK_POLL_MS = 20;

export class ModelBroker implements JournalHandler {
  constructor(
    private readonly env: Env,
    readonly name: string,
    private readonly store: ModelStore,
    private readonly faults: BrokerFaults = {},
    private readonly counters: { reads: number } = { reads: 0 },
  ) {}

  /** Serves on BROKER_PORT. */
  static serve(env: Env, store: ModelStore, faults: BrokerFaults, counters: { reads: number }): ModelBroker {
    const broker = new ModelBroker(env, env.host, store, faults, counters);
    serveJournal(env.rpc.serve(BROKER_PORT), broker);
    return broker;
  }

  header(route: Route): Header {
    return {
      processId: { zone: BROKER_ZONE, suffix: this.name },
      route,
      etcd: { clusterId: 1, memberId: 1, revision: this.store.revision, raftTerm: 1 },
    };
  }

  private member(route: Route): boolean {
    return route.members.some((member) => member.suffix === this.name);
  }

  private primary(route: Route): boolean {
    return route.primary >= 0 && route.members[route.primary]?.suffix === this.name;
  }

  async read(
    request: ReadRequest,
    send: (response: ReadResponse) => Promise<void>,
    context: RpcContext,
  ): Promise<void> {
    const call = this.counters.reads++;
    const journal = this.store.journals.get(request.journal);
    const fail = (status: Status, route: Route) =>
      send({ status, header: this.header(route), offset: 0, writeHead: journal?.writeHead ?? 0, fragmentUrl: "" });
    if (journal === undefined) return fail("JOURNAL_NOT_FOUND", emptyRoute());
    if (!this.member(journal.route)) return fail("NOT_JOURNAL_BROKER", journal.route);
    const fault = this.faults.read?.(request, call);
    if (fault?.kind === "delay") await this.env.clock.sleep(fault.ms);
    if (fault?.kind === "status") return fail(fault.status, journal.route);
    let offset = request.offset === -1 ? journal.writeHead : request.offset;
    if (fault?.kind === "offset-below") offset = Math.max(0, offset - fault.by);
    await this.serveFrom(journal, request, offset, fault, send, context);
  }

  private async serveFrom(
    journal: ModelJournal,
    request: ReadRequest,
    start: number,
    fault: ReadFault | undefined,
    send: (response: ReadResponse) => Promise<void>,
    context: RpcContext,
  ): Promise<void> {
    let offset = start;
    let first = true;
    let sentBytes = 0;
    for (let rounds = 0; rounds < 100_000 && !context.signal.aborted; rounds++) {
      if (request.endOffset !== 0 && offset >= request.endOffset) return;
      const record = journal.fragmentAt(offset);
      if (record === undefined) {
        if (!request.block) {
          await send({
            status: "OFFSET_NOT_YET_AVAILABLE",
            header: this.header(journal.route),
            offset: 0,
            writeHead: journal.writeHead,
            fragmentUrl: "",
          });
          return;
        }
        await this.env.clock.sleep(BLOCK_POLL_MS);
        continue;
      }
      const fragment = record.fragment;
      if (fragment.begin > offset) offset = fragment.begin; // A deleted span: jump to the next available offset.
      const metadata: ReadResponse = { status: "OK", offset, writeHead: journal.writeHead, fragment, fragmentUrl: "" };
      if (first) metadata.header = this.header(journal.route);
      first = false;
      if (request.doNotProxy && fragment.backingStore !== "") metadata.fragmentUrl = fragmentStoreUrl(fragment);
      await send(metadata);
      if (metadata.fragmentUrl !== "" || request.metadataOnly) return;
      const end = request.endOffset === 0 ? fragment.end : Math.min(fragment.end, request.endOffset);
      for (let at = offset; at < end; at += MODEL_READ_CHUNK_BYTES) {
        const content = record.content.subarray(
          at - fragment.begin,
          Math.min(end, at + MODEL_READ_CHUNK_BYTES) - fragment.begin,
        );
        if (fault?.kind === "break-after" && sentBytes + content.length > fault.bytes)
          throw new Error("injected read stream break");
        sentBytes += content.length;
        await send({ status: "OK", offset: at, writeHead: 0, fragmentUrl: "", content });
      }
      offset = end;
    }
  }

  async append(
    request: AppendRequest,
    chunks: AsyncIterable<Uint8Array>,
    _context: RpcContext,
  ): Promise<AppendResponse> {
    const pieces: Uint8Array[] = [];
    let chunkCount = 0;
    for await (const chunk of chunks) {
      pieces.push(chunk);
      chunkCount++;
    }
    const content = concat(pieces);
    const journal = this.store.journals.get(request.journal);
    const base = { totalChunks: chunkCount, delayedChunks: 0 };
    if (journal === undefined) return { status: "JOURNAL_NOT_FOUND", header: this.header(emptyRoute()), ...base };
    if (!this.primary(journal.route))
      return { status: "NOT_JOURNAL_PRIMARY_BROKER", header: this.header(journal.route), ...base };
    const fault = this.faults.append?.(request, globalAttempt(this.store, request.journal));
    const log = (outcome: string) =>
      this.store.attempts.push({
        journal: request.journal,
        broker: this.name,
        content,
        atMs: this.store.now(),
        outcome,
      });
    if (fault?.kind === "delay") await this.env.clock.sleep(fault.ms);
    if (fault?.kind === "status") {
      log(fault.status);
      const response: AppendResponse = { status: fault.status, header: this.header(journal.route), ...base };
      if (fault.status === "REGISTER_MISMATCH") response.registers = journal.registers;
      return response;
    }
    if (fault?.kind === "fail") {
      log("fail");
      throw new Error("injected append failure");
    }
    if (request.offset !== 0 && request.offset !== journal.writeHead) {
      log("WRONG_APPEND_OFFSET");
      return { status: "WRONG_APPEND_OFFSET", header: this.header(journal.route), ...base };
    }
    if (request.checkRegisters !== undefined && !selectorMatches(request.checkRegisters, journal.registers)) {
      log("REGISTER_MISMATCH");
      return { status: "REGISTER_MISMATCH", header: this.header(journal.route), registers: journal.registers, ...base };
    }
    const commit = journal.append(content, Math.floor(this.store.now() / 1000), this.store.persistNewFragments);
    if (content.length > 0) {
      journal.registers = applyRegisters(journal.registers, request.unionRegisters, request.subtractRegisters);
      this.store.commits.push({
        journal: request.journal,
        begin: commit.begin,
        end: commit.end,
        content,
        atMs: this.store.now(),
      });
    }
    log("OK");
    return { status: "OK", header: this.header(journal.route), commit, registers: journal.registers, ...base };
  }

  async list(request: ListRequest): Promise<ListResponse> {
    const matched = [...this.store.journals.values()]
      .filter((journal) =>
        selectorMatches(request.selector, unionLabelSets(journal.spec.labels, journalMetaLabels(journal.spec.name))),
      )
      .sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1));
    const start = request.pageToken === "" ? 0 : Number(request.pageToken);
    const limit = request.pageLimit === 0 ? matched.length : request.pageLimit;
    const page = matched.slice(start, start + limit);
    const next = start + page.length < matched.length ? String(start + page.length) : "";
    return {
      status: "OK",
      header: this.header(emptyRoute()),
      journals: page.map((journal) => ({ spec: journal.spec, modRevision: journal.modRevision, route: journal.route })),
      nextPageToken: next,
    };
  }

  async apply(request: ApplyRequest): Promise<ApplyResponse> {
    for (const change of request.changes) {
      const name = change.upsert?.name ?? change.delete ?? "";
      const existing = this.store.journals.get(name);
      const revision = existing?.modRevision ?? 0;
      if (change.expectModRevision !== -1 && change.expectModRevision !== revision)
        return { status: "ETCD_TRANSACTION_FAILED", header: this.header(emptyRoute()) };
    }
    this.store.revision++;
    for (const change of request.changes) {
      if (change.upsert !== undefined) {
        const existing = this.store.journals.get(change.upsert.name);
        if (existing === undefined)
          this.store.createJournal(change.upsert, emptyRoute()).modRevision = this.store.revision;
        else {
          existing.spec = change.upsert;
          existing.modRevision = this.store.revision;
        }
      } else if (change.delete !== undefined) this.store.journals.delete(change.delete);
    }
    return { status: "OK", header: this.header(emptyRoute()) };
  }

  async listFragments(request: FragmentsRequest): Promise<FragmentsResponse> {
    const journal = this.store.journals.get(request.journal);
    if (journal === undefined)
      return { status: "JOURNAL_NOT_FOUND", header: this.header(emptyRoute()), fragments: [], nextPageToken: 0 };
    const all = journal.fragments
      .map((record) => record.fragment)
      .filter(
        (fragment) =>
          fragment.modTime >= request.beginModTime &&
          (request.endModTime === 0 || fragment.modTime < request.endModTime),
      );
    const limit = request.pageLimit === 0 ? 1000 : request.pageLimit;
    const page = all.slice(request.nextPageToken, request.nextPageToken + limit);
    const next = request.nextPageToken + page.length < all.length ? request.nextPageToken + page.length : 0;
    return {
      status: "OK",
      header: this.header(journal.route),
      fragments: page.map((spec) => ({ spec, signedUrl: "" })),
      nextPageToken: next,
    };
  }
}

function globalAttempt(store: ModelStore, journal: string): number {
  return store.attempts.filter((attempt) => attempt.journal === journal).length;
}

function applyRegisters(registers: LabelSet, union: LabelSet | undefined, subtract: LabelSet | undefined): LabelSet {
  let out = registers;
  if (union !== undefined) out = unionLabelSets(union, out);
  if (subtract !== undefined) out = subtractLabelSet(out, subtract);
  return out;
}
