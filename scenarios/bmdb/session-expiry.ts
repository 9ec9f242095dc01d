/**
 * bmdb-sessions' verdict on a live session that expired, from what the clients observed: the statements they
 * sent, and which commits they saw acknowledged.
 *
 * Contract (BMDB, seed 003, as src/impl/bmdb/session.ts has it): a session lives while poked within its interval
 * I. Its heartbeat pokes I/2 after the last poke returned (up to I/10 later at the buggify point
 * "bmdb.heartbeat-delayed"), and the session stops trusting itself LEASE_MARGIN_MS before the deadline its last
 * poke wrote, which runs from when the poke's statement was sent. So a database that commits nothing from when
 * a poke falls due until the lease's end expires a live session, as BMDB designs it: for I = 4 s an outage of
 * 1.1 s that begins as a poke falls due is enough: no leader for 1.85 s (seed 56 with --buggify, at 3e4af2d),
 * or a paused client's open transaction holding the write lock for 2 s (seed 22 with --buggify).
 *
 * Verdict, for a session seen expired at E, on the poke (or creation) whose lease ran out, sent at S and
 * acknowledged at C: its lease ended at L = S + I - LEASE_MARGIN_MS, its next poke was due by D = C + I/2 + I/10.
 * That poke is the last one acknowledged, or the one before when the last was acknowledged only after the
 * lease of the one before had ended (a poke in flight at the expiry may still commit; the heartbeat sends no
 * other after it).
 * - E < L: it ended while its lease ran (a heartbeat that gave up early): not excused.
 * - no transaction of any client acknowledged as committed in [D, L - POKE_ALLOWANCE_MS]: excused, the database
 *   was unavailable through the session's whole last chance to poke (counted and probed by the scenario).
 * - otherwise, and when D is past that end (a poke so slow that the next one fell due after the lease): not excused.
 */
import { LEASE_MARGIN_MS } from "../../src/impl/bmdb/index.ts";
import type { Env, WireValue } from "../../src/sim/env.ts";

/**
 * How long before its lease's end the database must have been unavailable: a poke's round trips and the heartbeat's
 * shortest retry wait (50 ms).
 */
export const POKE_ALLOWANCE_MS = 100;
/** Commit acknowledgements kept; older ones are forgotten, and a window reaching before them is not excused. */
const COMMITS_KEPT_MAX = 10_000;
/** Open transactions a client's watcher tracks at most (a transaction ends in a commit or a rollback). */
const TRANSACTIONS_TRACKED_MAX = 64;

/** A session's last acknowledged poke (or its creation), in true virtual time. */
export interface Poke {
  readonly sentAt: number;
  readonly ackedAt: number;
}

/** What every client observed: each commit acknowledged to any of them, and each session's last acknowledged poke. */
export interface LeaseBook {
  /** Acknowledged commits, oldest first (at most COMMITS_KEPT_MAX). */
  readonly commits: number[];
  /** Commits acknowledged before this were forgotten. */
  forgottenBefore: number;
  /** BMDB session id → its last two acknowledged pokes, oldest first. */
  readonly pokes: Map<string, Poke[]>;
}

export function newLeaseBook(): LeaseBook {
  return { commits: [], forgottenBefore: 0, pokes: new Map() };
}

/** The verdict on an expiry and the figures behind it. */
export interface ExpiryVerdict {
  readonly excused: boolean;
  readonly details: string;
}

/**
 * The client's Env, with its RPC calls watched for `book`: a statement that creates or pokes a session is noted
 * with its send time, and once its transaction's commit is acknowledged, that is the session's last poke; every
 * acknowledged commit is noted. `now` is true virtual time.
 */
export function watchLeases(env: Env, book: LeaseBook, now: () => number): Env {
  // dqlite transaction → the BMDB session its statement poked and when it was sent.
  const pokes = new Map<WireValue | undefined, { readonly session: string; readonly sentAt: number }>();
  const call: Env["rpc"]["call"] = (address, port, method, request, options) => {
    const fields =
      typeof request === "object" && request !== null && !Array.isArray(request)
        ? (request as { readonly [key: string]: WireValue | undefined })
        : {};
    if (method === "dqlite.session.exec") {
      const session = pokedSession(fields.sql, fields.params);
      if (session !== undefined) pokes.set(fields.session, { session, sentAt: now() });
      if (pokes.size > TRANSACTIONS_TRACKED_MAX) pokes.clear();
    }
    const result = env.rpc.call(address, port, method, request, options);
    if (method === "dqlite.commit" || method === "dqlite.rollback") {
      const poke = pokes.get(fields.session);
      pokes.delete(fields.session);
      if (method === "dqlite.commit") {
        result.then(
          () => noteCommit(book, now(), poke),
          () => undefined,
        );
      }
    }
    return result;
  };
  return { ...env, rpc: { ...env.rpc, call } };
}

/** The BMDB session a statement creates or pokes (model.ts: newSession, sessionPoke), if it does. */
function pokedSession(sql: WireValue | undefined, params: WireValue | undefined): string | undefined {
  if (typeof sql !== "string" || !Array.isArray(params)) return undefined;
  const id = sql.startsWith("INSERT INTO sessions ")
    ? params[0]
    : sql.startsWith("UPDATE sessions SET session_deadline")
      ? params[1]
      : undefined;
  return typeof id === "string" ? id : undefined;
}

function noteCommit(
  book: LeaseBook,
  at: number,
  poke: { readonly session: string; readonly sentAt: number } | undefined,
): void {
  book.commits.push(at);
  if (book.commits.length > COMMITS_KEPT_MAX) book.forgottenBefore = book.commits.shift() as number;
  if (poke === undefined) return;
  const pokes = book.pokes.get(poke.session) ?? [];
  book.pokes.set(poke.session, [...pokes.slice(-1), { sentAt: poke.sentAt, ackedAt: at }]);
}

/**
 * The first commit acknowledged in [from, to], if any; `forgotten` when the window reaches before what the book keeps.
 */
function commitIn(book: LeaseBook, from: number, to: number): number | "forgotten" | undefined {
  if (from <= book.forgottenBefore) return "forgotten";
  let first: number | undefined;
  for (let index = book.commits.length - 1; index >= 0; index--) {
    const at = book.commits[index] as number;
    if (at < from) break;
    if (at <= to) first = at;
  }
  return first;
}

/**
 * The poke whose lease ran out by `at`: the last, or the one before if the last came after its lease ended (see the
 * file's comment).
 */
function lapsedPoke(pokes: readonly Poke[], intervalMs: number, at: number): Poke | undefined {
  const [before, last] = pokes.length > 1 ? pokes : [undefined, pokes[0]];
  if (last === undefined || last.sentAt + intervalMs - LEASE_MARGIN_MS <= at) return last;
  const beforeEnd = before === undefined ? undefined : before.sentAt + intervalMs - LEASE_MARGIN_MS;
  return beforeEnd !== undefined && beforeEnd <= at && last.ackedAt >= beforeEnd ? before : last;
}

/** The verdict on `session`'s expiry seen at `at` (see the file's comment). */
export function judgeExpiry(book: LeaseBook, session: string, intervalMs: number, at: number): ExpiryVerdict {
  const poke = lapsedPoke(book.pokes.get(session) ?? [], intervalMs, at);
  if (poke === undefined) return { excused: false, details: "no poke of it was acknowledged" };
  const leaseEnd = poke.sentAt + intervalMs - LEASE_MARGIN_MS;
  const dueBy = poke.ackedAt + intervalMs / 2 + intervalMs / 10;
  const poked = `its poke sent at ${poke.sentAt.toFixed(1)} ms was acknowledged at ${poke.ackedAt.toFixed(1)} ms`;
  if (at < leaseEnd) return { excused: false, details: `${poked}: its lease ran until ${leaseEnd.toFixed(1)} ms` };
  const end = leaseEnd - POKE_ALLOWANCE_MS;
  if (dueBy > end)
    return {
      excused: false,
      details: `${poked}: the next was due by ${dueBy.toFixed(1)} ms, past its lease's end at ${leaseEnd.toFixed(1)} ms`,
    };
  const committed = commitIn(book, dueBy, end);
  const window = `[${dueBy.toFixed(1)}, ${end.toFixed(1)}] ms`;
  if (committed === undefined)
    return {
      excused: true,
      details: `${poked}; no transaction of any client committed in ${window}: the database was unavailable until its lease's end`,
    };
  const seen =
    committed === "forgotten"
      ? "the commits seen then were forgotten"
      : `a transaction committed at ${committed.toFixed(1)} ms`;
  return {
    excused: false,
    details: `${poked}; ${seen}, in ${window} (its next poke due by then, its lease ending at ${leaseEnd.toFixed(1)} ms)`,
  };
}
