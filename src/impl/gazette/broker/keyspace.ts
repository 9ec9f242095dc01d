/**
 * KeySpace: the broker's mirror of its key space in etcd (Gazette's
 * keyspace.KeySpace with the allocator's decoders), and the key layout and
 * value codecs the allocator and List/Apply share.
 *
 *   <root>/items/<journal>                      → JournalSpec
 *   <root>/members/<zone>#<suffix>              → BrokerSpec (bound to the member's lease)
 *   <root>/assign/<journal>#<zone>#<suffix>     → { slot } (slot 0: the primary; bound to the member's lease)
 *
 * Values are JSON (readable in traces). Decoding is strict: a value that does not
 * parse, fails its validate* (validateJournalSpec, validateProcessSpecId,
 * validateEndpoint, ...), or disagrees with its key is skipped with a warning,
 * probe "gazette.keyspace.malformed-value" and a count, never a crash; as in
 * Gazette, a malformed update of a key leaves its previous value in place (so a
 * later correction applies), and a delete always applies. Neither journal names
 * nor tokens may hold '#', so keys split on it.
 *
 * Mirroring: `load()` reads the whole prefix (a linearizable range: the state at
 * the response's revision), then `watch()` applies the watch's events from the
 * next revision. The etcd client's watch resumes across member failures without
 * skipping or repeating a revision; when the next revision was compacted away
 * (ErrCompacted) the KeySpace loads again ("gazette.keyspace.reloaded"). The
 * KeySpace's revision is the last revision it has applied (Gazette: the header
 * of the last watch response that changed it), so `waitForRevision(r)` means
 * "every change of the prefix up to r is visible here".
 */
import type { Env, WireValue } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import { bytesToString } from "../../etcd/bytes.ts";
import type { EtcdClient } from "../../etcd/client/client.ts";
import { ErrCompacted, EtcdError } from "../../etcd/errors.ts";
import type { KeyValue, ResponseHeader, WatchResponse } from "../../etcd/types.ts";
import { validateJournal, validateJournalSpec, type Journal, type JournalSpec } from "../protocol/journal-spec.ts";
import {
  processSpecIdLess,
  validateEndpoint,
  validateProcessSpecId,
  type Header,
  type ProcessSpecId,
  type Route,
} from "../protocol/route.ts";
import { ValidationError, withContext } from "../protocol/validation.ts";
import { readJournalSpec } from "../protocol/wire.ts";
import type { AssignmentRecord, BrokerSpec, EtcdState, ItemRecord, MemberRecord } from "./types.ts";

/** Gazette's default key space root. */
export const KEYSPACE_ROOT_DEFAULT = "/gazette/cluster";
/** Highest slot an assignment value may name (a bound on what a peer may write). */
export const ASSIGNMENT_SLOT_MAX = 1024;
/** Most journals a BrokerSpec may ask for. */
export const BROKER_JOURNAL_LIMIT_MAX = 1 << 20;

export type ParsedKey =
  | { readonly kind: "item"; readonly journal: Journal }
  | { readonly kind: "member"; readonly id: ProcessSpecId }
  | { readonly kind: "assignment"; readonly journal: Journal; readonly member: ProcessSpecId };

/** Checks that `root` is a clean absolute path without a trailing '/' (Gazette's NewKeySpace panics otherwise). */
export function validateRoot(root: string): void {
  if (!root.startsWith("/") || root.endsWith("/") || root.includes("//") || root.includes("#")) {
    throw new ValidationError(`key space root must be a clean absolute path (${root})`);
  }
}

export const itemsPrefix = (root: string): string => `${root}/items/`;
export const membersPrefix = (root: string): string => `${root}/members/`;
export const assignmentsPrefix = (root: string): string => `${root}/assign/`;

/** "<zone>#<suffix>": a member's id as a map key and a key part. */
export function memberIdKey(id: ProcessSpecId): string {
  return `${id.zone}#${id.suffix}`;
}

export function itemKey(root: string, journal: Journal): string {
  return `${itemsPrefix(root)}${journal}`;
}

export function memberKey(root: string, id: ProcessSpecId): string {
  return `${membersPrefix(root)}${memberIdKey(id)}`;
}

export function assignmentKey(root: string, journal: Journal, member: ProcessSpecId): string {
  return `${assignmentsPrefix(root)}${journal}#${memberIdKey(member)}`;
}

/** Every assignment key of `journal` begins with this. */
export function journalAssignmentsPrefix(root: string, journal: Journal): string {
  return `${assignmentsPrefix(root)}${journal}#`;
}

function parseMemberId(text: string): ProcessSpecId {
  const parts = text.split("#");
  if (parts.length !== 2) throw new ValidationError(`expected <zone>#<suffix> (${text})`);
  const id = { zone: parts[0] as string, suffix: parts[1] as string };
  validateProcessSpecId(id);
  return id;
}

/**
 * What a key under `root` names; undefined for keys outside the three
 * directories (left alone). A key inside them with a malformed name is a ValidationError.
 */
export function parseKey(root: string, key: string): ParsedKey | undefined {
  if (key.startsWith(itemsPrefix(root))) {
    const journal = key.slice(itemsPrefix(root).length);
    withContext("item key", () => validateJournal(journal));
    return { kind: "item", journal };
  }
  if (key.startsWith(membersPrefix(root))) {
    return {
      kind: "member",
      id: withContext("member key", () => parseMemberId(key.slice(membersPrefix(root).length))),
    };
  }
  if (key.startsWith(assignmentsPrefix(root))) {
    const rest = key.slice(assignmentsPrefix(root).length);
    const hash = rest.indexOf("#");
    if (hash === -1) throw new ValidationError(`assignment key: expected <journal>#<zone>#<suffix> (${rest})`);
    const journal = rest.slice(0, hash);
    withContext("assignment key", () => validateJournal(journal));
    return {
      kind: "assignment",
      journal,
      member: withContext("assignment key", () => parseMemberId(rest.slice(hash + 1))),
    };
  }
  return undefined;
}

function parseJson(bytes: Uint8Array): WireValue {
  try {
    return JSON.parse(bytesToString(bytes)) as WireValue;
  } catch {
    throw new ValidationError("value is not JSON");
  }
}

function asRecord(value: WireValue): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array)
    throw new ValidationError("expected an object");
  return value as Record<string, unknown>;
}

export function encodeJournalSpec(spec: JournalSpec): string {
  return JSON.stringify(spec);
}

/** A JournalSpec value, validated (ValidationError otherwise). */
export function decodeJournalSpec(bytes: Uint8Array, validate = true): JournalSpec {
  return withContext("JournalSpec", () => {
    const spec = readJournalSpec(parseJson(bytes));
    if (validate) validateJournalSpec(spec);
    return spec;
  });
}

/** BrokerSpec.Validate. */
export function validateBrokerSpec(spec: BrokerSpec): void {
  withContext("Id", () => validateProcessSpecId(spec.id));
  withContext("Endpoint", () => validateEndpoint(spec.endpoint));
  if (
    !Number.isSafeInteger(spec.journalLimit) ||
    spec.journalLimit < 0 ||
    spec.journalLimit > BROKER_JOURNAL_LIMIT_MAX
  ) {
    throw new ValidationError(
      `invalid JournalLimit (${spec.journalLimit}; expected 0 <= limit <= ${BROKER_JOURNAL_LIMIT_MAX})`,
    );
  }
}

export function encodeBrokerSpec(spec: BrokerSpec): string {
  return JSON.stringify({
    id: { zone: spec.id.zone, suffix: spec.id.suffix },
    endpoint: spec.endpoint,
    journalLimit: spec.journalLimit,
  });
}

/** A BrokerSpec value, validated. */
export function decodeBrokerSpec(bytes: Uint8Array, validate = true): BrokerSpec {
  return withContext("BrokerSpec", () => {
    const record = asRecord(parseJson(bytes));
    const id = asRecord((record.id ?? null) as WireValue);
    const spec: BrokerSpec = {
      id: { zone: stringOf(id.zone, "Id.Zone"), suffix: stringOf(id.suffix, "Id.Suffix") },
      endpoint: stringOf(record.endpoint, "Endpoint"),
      journalLimit: integerOf(record.journalLimit ?? 0, "JournalLimit"),
    };
    if (validate) validateBrokerSpec(spec);
    return spec;
  });
}

export function encodeAssignment(slot: number): string {
  return JSON.stringify({ slot });
}

/** An assignment value's slot, validated (0 <= slot <= ASSIGNMENT_SLOT_MAX). */
export function decodeAssignment(bytes: Uint8Array): number {
  return withContext("Assignment", () => {
    const slot = integerOf(asRecord(parseJson(bytes)).slot, "Slot");
    if (slot < 0 || slot > ASSIGNMENT_SLOT_MAX)
      throw new ValidationError(`invalid Slot (${slot}; expected 0 <= slot <= ${ASSIGNMENT_SLOT_MAX})`);
    return slot;
  });
}

function stringOf(value: unknown, context: string): string {
  if (typeof value !== "string") throw new ValidationError("expected a string").extend(context);
  return value;
}

function integerOf(value: unknown, context: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value))
    throw new ValidationError("expected an integer").extend(context);
  return value;
}

// ---------------------------------------------------------------------------
// The mirror

/** Probes of the key space (env.probe: a rare path was reached). */
export const KEYSPACE_PROBES = {
  "gazette.keyspace.malformed-value":
    "a key under the root held a value (or name) that failed to decode or validate: skipped, counted",
  "gazette.keyspace.reloaded":
    "the watch's next revision was compacted away (ErrCompacted): the key space was loaded again",
  "gazette.keyspace.watch-restarted":
    "the watch gave up (no member reachable for its attempt limit) and was started again after a backoff",
} as const;

/** Callers waiting in waitForRevision at most (beyond: answered "not reached" at once). */
export const KEYSPACE_WAITERS_MAX = 65_536;
/** Backoff between failed loads or watches: first, and ceiling (ms). */
export const KEYSPACE_RETRY_MS = 100;
export const KEYSPACE_RETRY_MAX_MS = 2_000;

export interface KeySpaceOptions {
  /** Default KEYSPACE_ROOT_DEFAULT. */
  readonly root?: string;
}

interface Waiter {
  readonly revision: number;
  readonly settle: (reached: boolean) => void;
}

function compareIds(first: ProcessSpecId, second: ProcessSpecId): number {
  if (processSpecIdLess(first, second)) return -1;
  return processSpecIdLess(second, first) ? 1 : 0;
}

function compareStrings(first: string, second: string): number {
  return first < second ? -1 : first > second ? 1 : 0;
}

/** Assignments in (slot, member) order. */
export function compareAssignments(first: AssignmentRecord, second: AssignmentRecord): number {
  return first.slot - second.slot || compareIds(first.member, second.member);
}

/** A broker's mirror of the key space (see the file's comment). */
export class KeySpace {
  readonly root: string;
  /** The etcd revision the mirror reflects. */
  protected revisionValue = 0;
  private lastHeader: ResponseHeader | undefined;
  private readonly itemsByName = new Map<Journal, ItemRecord>();
  private readonly membersById = new Map<string, MemberRecord>();
  private readonly assignmentsByJournal = new Map<Journal, Map<string, AssignmentRecord>>();
  private readonly assignmentsByMember = new Map<string, Map<Journal, AssignmentRecord>>();
  private readonly listeners = new Set<() => void>();
  private readonly waiters = new Set<Waiter>();
  private sortedItems: ItemRecord[] | undefined;
  private sortedMembers: MemberRecord[] | undefined;
  private malformedCount = 0;

  constructor(
    readonly env: Env,
    readonly etcd: EtcdClient,
    private readonly options: KeySpaceOptions = {},
  ) {
    this.root = options.root ?? KEYSPACE_ROOT_DEFAULT;
    validateRoot(this.root);
  }

  /** The last revision applied (0 before the first load). */
  get revision(): number {
    return this.revisionValue;
  }

  get loaded(): boolean {
    return this.lastHeader !== undefined;
  }

  /** Values skipped as malformed so far. */
  get malformed(): number {
    return this.malformedCount;
  }

  /** The etcd state this key space reflects (its revision, and the cluster, member and term last heard from). */
  etcdState(): EtcdState {
    const header = this.lastHeader;
    assert(header !== undefined, "the key space must be loaded before its etcd state is read");
    return {
      clusterId: header.clusterId,
      memberId: header.memberId,
      revision: this.revisionValue,
      raftTerm: header.raftTerm,
    };
  }

  /** A Header from `processId` with `route`, at this key space's etcd state. */
  header(processId: ProcessSpecId, route: Route): Header {
    return { processId: { zone: processId.zone, suffix: processId.suffix }, route, etcd: this.etcdState() };
  }

  /** Journal specs, by name. */
  items(): ItemRecord[] {
    this.sortedItems ??= [...this.itemsByName.values()].sort((first, second) =>
      compareStrings(first.spec.name, second.spec.name),
    );
    return this.sortedItems;
  }

  item(journal: Journal): ItemRecord | undefined {
    return this.itemsByName.get(journal);
  }

  /** Live members (their keys exist: their leases live), in (zone, suffix) order. */
  members(): MemberRecord[] {
    this.sortedMembers ??= [...this.membersById.values()].sort((first, second) =>
      compareIds(first.spec.id, second.spec.id),
    );
    return this.sortedMembers;
  }

  member(id: ProcessSpecId): MemberRecord | undefined {
    return this.membersById.get(memberIdKey(id));
  }

  /** The journal's assignments, in (slot, member) order. */
  assignments(journal: Journal): AssignmentRecord[] {
    return [...(this.assignmentsByJournal.get(journal)?.values() ?? [])].sort(compareAssignments);
  }

  /** The member's assignments, by journal. */
  assignmentsOf(memberId: ProcessSpecId): AssignmentRecord[] {
    return [...(this.assignmentsByMember.get(memberIdKey(memberId))?.values() ?? [])].sort((first, second) =>
      compareStrings(first.journal, second.journal),
    );
  }

  /** Every assignment, in (journal, slot, member) order. */
  allAssignments(): AssignmentRecord[] {
    const journals = [...this.assignmentsByJournal.keys()].sort(compareStrings);
    return journals.flatMap((journal) => this.assignments(journal));
  }

  /**
   * The journal's Route (route_extensions.go Init + AttachEndpoints): its
   * assigned members in (zone, suffix) order, the index of the slot-0 assignee
   * (-1 when none), and each member's endpoint ("" when its member key is gone).
   */
  route(journal: Journal): Route {
    const assignments = this.assignments(journal);
    const members = assignments
      .map((assignment) => ({ zone: assignment.member.zone, suffix: assignment.member.suffix }))
      .sort(compareIds);
    const primaryAssignment = assignments.find((assignment) => assignment.slot === 0);
    const primary =
      primaryAssignment === undefined ? -1 : members.findIndex((id) => compareIds(id, primaryAssignment.member) === 0);
    return { members, primary, endpoints: members.map((id) => this.member(id)?.spec.endpoint ?? "") };
  }

  /** Calls `listener` after every change (load or applied watch response). Returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves true once the revision is at least `revision`, false if `signal` aborts first. */
  waitForRevision(revision: number, signal?: AbortSignal): Promise<boolean> {
    if (this.revisionValue >= revision) return Promise.resolve(true);
    if (signal?.aborted === true) return Promise.resolve(false);
    if (this.waiters.size >= KEYSPACE_WAITERS_MAX) {
      this.env.log.warn("key space: too many waiters", { revision });
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const onAbort = () => waiter.settle(false);
      const waiter: Waiter = {
        revision,
        settle: (reached) => {
          this.waiters.delete(waiter);
          signal?.removeEventListener("abort", onAbort);
          resolve(reached);
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** One load of the whole prefix (Gazette's Load at the current revision). Throws the etcd client's typed errors. */
  async load(): Promise<void> {
    const response = await this.etcd.get(`${this.root}/`, { prefix: true });
    if (response.header.revision < this.revisionValue) {
      // A linearizable read never goes back; refuse rather than move the mirror backwards.
      throw new ValidationError(
        `load at revision ${response.header.revision} is behind the key space (${this.revisionValue})`,
      );
    }
    this.reset(response.kvs, response.header);
  }

  /** Replaces the mirror with `kvs`, the whole prefix at `header.revision` (exported for tests, as Gazette's Load). */
  reset(kvs: readonly KeyValue[], header: ResponseHeader): void {
    this.itemsByName.clear();
    this.membersById.clear();
    this.assignmentsByJournal.clear();
    this.assignmentsByMember.clear();
    for (const kv of kvs) this.put(kv);
    this.lastHeader = header;
    this.revisionValue = header.revision;
    this.changed();
  }

  /**
   * Applies one watch response (exported for tests, as Gazette's Apply). Events at or below the revision are replays:
   * ignored.
   */
  apply(response: WatchResponse): void {
    let last = this.revisionValue;
    for (const event of response.events) {
      if (event.kv.modRevision <= this.revisionValue) {
        this.env.log.warn("key space: ignored a replayed watch event", {
          revision: event.kv.modRevision,
          at: this.revisionValue,
        });
        continue;
      }
      if (event.type === "PUT") this.put(event.kv);
      else this.remove(event.kv);
      last = Math.max(last, event.kv.modRevision);
    }
    if (last === this.revisionValue) return;
    this.lastHeader = response.header;
    this.revisionValue = last;
    this.changed();
  }

  /**
   * Loads (retrying until it succeeds, with backoff), then watches in the
   * background until `signal` aborts. Resolves true once loaded, false if
   * `signal` aborted first.
   */
  async start(signal: AbortSignal): Promise<boolean> {
    if (!(await this.loadUntilDone(signal))) return false;
    this.watch(signal).catch((error: unknown) =>
      this.env.log.error("key space watch failed", { error: String(error) }),
    );
    return true;
  }

  /** Applies the watch's responses from the next revision until `signal` aborts (see the file's comment). */
  async watch(signal: AbortSignal): Promise<void> {
    assert(this.loaded, "the key space must be loaded before it is watched");
    let failures = 0;
    while (!signal.aborted) {
      try {
        for await (const response of this.etcd.watch(`${this.root}/`, {
          prefix: true,
          startRevision: this.revisionValue + 1,
          signal,
        })) {
          this.apply(response);
          failures = 0;
        }
        continue;
      } catch (error) {
        if (!(error instanceof EtcdError)) throw error;
        if (error instanceof ErrCompacted) {
          await this.compacted(error, signal);
          continue;
        }
        failures++;
        this.env.probe("gazette.keyspace.watch-restarted");
        this.env.log.warn("key space watch failed (will retry)", { error: error.message, failures });
      }
      await sleep(this.env, retryDelayMs(this.env, failures), signal);
    }
  }

  /**
   * Seam: the watch's next revision was compacted away: the mirror loads again (every change in between is in the
   * load).
   */
  protected async compacted(_error: ErrCompacted, signal: AbortSignal): Promise<void> {
    this.env.probe("gazette.keyspace.reloaded");
    await this.loadUntilDone(signal);
  }

  private async loadUntilDone(signal: AbortSignal): Promise<boolean> {
    for (let failures = 0; !signal.aborted; failures++) {
      try {
        await this.load();
        return true;
      } catch (error) {
        if (!(error instanceof EtcdError) && !(error instanceof ValidationError)) throw error;
        this.env.log.warn("key space load failed (will retry)", { error: error.message, failures });
      }
      await sleep(this.env, retryDelayMs(this.env, failures + 1), signal);
    }
    return false;
  }

  private changed(): void {
    this.sortedItems = undefined;
    this.sortedMembers = undefined;
    for (const listener of [...this.listeners]) listener();
    for (const waiter of [...this.waiters]) if (waiter.revision <= this.revisionValue) waiter.settle(true);
  }

  /** Seam: a JournalSpec value, decoded and validated (ValidationError: skipped as malformed). */
  protected decodeJournalSpec(value: Uint8Array): JournalSpec {
    return decodeJournalSpec(value);
  }

  /** Seam: a BrokerSpec value, decoded and validated (ValidationError: skipped as malformed). */
  protected decodeBrokerSpec(value: Uint8Array): BrokerSpec {
    return decodeBrokerSpec(value);
  }

  private malformedValue(key: string, error: ValidationError): void {
    this.malformedCount++;
    this.env.probe("gazette.keyspace.malformed-value");
    this.env.log.warn("key space: skipped a malformed value", { key, error: error.message });
  }

  private put(kv: KeyValue): void {
    const key = bytesToString(kv.key);
    try {
      const parsed = parseKey(this.root, key);
      if (parsed === undefined) return;
      const revisions = { key, createRevision: kv.createRevision, modRevision: kv.modRevision };
      if (parsed.kind === "item") {
        const spec = this.decodeJournalSpec(kv.value);
        if (spec.name !== parsed.journal)
          throw new ValidationError(`JournalSpec.Name ${spec.name} does not match its key`);
        this.itemsByName.set(parsed.journal, { spec, ...revisions });
      } else if (parsed.kind === "member") {
        const spec = this.decodeBrokerSpec(kv.value);
        if (memberIdKey(spec.id) !== memberIdKey(parsed.id))
          throw new ValidationError(`BrokerSpec.Id ${memberIdKey(spec.id)} does not match its key`);
        this.membersById.set(memberIdKey(parsed.id), { spec, lease: kv.lease, ...revisions });
      } else {
        const slot = decodeAssignment(kv.value);
        this.setAssignment({ journal: parsed.journal, member: parsed.member, slot, ...revisions });
      }
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.malformedValue(key, error);
    }
  }

  private remove(kv: KeyValue): void {
    let parsed: ParsedKey | undefined;
    try {
      parsed = parseKey(this.root, bytesToString(kv.key));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return; // A malformed name was never mirrored.
    }
    if (parsed === undefined) return;
    if (parsed.kind === "item") this.itemsByName.delete(parsed.journal);
    else if (parsed.kind === "member") this.membersById.delete(memberIdKey(parsed.id));
    else {
      this.assignmentsByJournal.get(parsed.journal)?.delete(memberIdKey(parsed.member));
      if (this.assignmentsByJournal.get(parsed.journal)?.size === 0) this.assignmentsByJournal.delete(parsed.journal);
      this.assignmentsByMember.get(memberIdKey(parsed.member))?.delete(parsed.journal);
      if (this.assignmentsByMember.get(memberIdKey(parsed.member))?.size === 0)
        this.assignmentsByMember.delete(memberIdKey(parsed.member));
    }
  }

  private setAssignment(record: AssignmentRecord): void {
    const member = memberIdKey(record.member);
    let byJournal = this.assignmentsByJournal.get(record.journal);
    if (byJournal === undefined) this.assignmentsByJournal.set(record.journal, (byJournal = new Map()));
    byJournal.set(member, record);
    let byMember = this.assignmentsByMember.get(member);
    if (byMember === undefined) this.assignmentsByMember.set(member, (byMember = new Map()));
    byMember.set(record.journal, record);
  }
}

/** Exponential backoff with jitter: KEYSPACE_RETRY_MS doubling to KEYSPACE_RETRY_MAX_MS. */
function retryDelayMs(env: Env, failures: number): number {
  const ceiling = Math.min(KEYSPACE_RETRY_MAX_MS, KEYSPACE_RETRY_MS * 2 ** Math.min(failures, 10));
  return ceiling / 2 + env.random.float(0, ceiling / 2);
}

/** Sleeps `durationMs` of host-local time, or less if `signal` aborts. */
export function sleep(env: Env, durationMs: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      timer.cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = env.clock.setTimer(durationMs, done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
