/**
 * DqliteClient: a cluster-aware client of dqlite nodes.
 *
 * It finds the leader as go-dqlite's connector does: while it knows none, or lost
 * the one it knew, it asks every server at once who leads ("dqlite.leader", the
 * protocol's REQUEST_LEADER) and goes to the first that says it leads; it follows
 * redirects from followers and backs off between attempts (common/leader-caller.ts)
 * and exposes `exec(sql, params)`, `query(sql, params)` and `transaction(fn)` on
 * named databases. Errors are typed (errors.ts):
 * - ErrOutcomeUnknown: the write may have committed (its commit was in flight when
 *   leadership was lost, or the reply never came). Never reported as failed, never
 *   retried by the client.
 * - ErrSqlite: SQLite refused the statement; nothing committed.
 * - ErrTransactionAborted: an interactive transaction was rolled back by the server
 *   (expired, leadership moved, its frames could not be replicated); nothing of it
 *   committed: the caller may run it again.
 * - ErrNoLeader: no leader answered within the operation's time or attempts;
 *   nothing committed.
 *
 * An interactive transaction sticks to the leader that began it; each of its
 * statements is one RPC. Its begin is a stream that the client holds open until the
 * transaction ends (go-dqlite holds a connection): an attempt that gets no session
 * within its call deadline leaves the stream, and the server rolls back whatever it
 * began for it. Queries are linearizable (the leader confirms its
 * leadership with a quorum first) and may be retried freely.
 */
import { RpcError, type Env, type WireValue } from "../../../sim/env.ts";
import { LeaderCaller, type CallOutcome, type LeaderCallerOptions, type Refusal } from "../../common/leader-caller.ts";
import {
  ErrInvalidRequest,
  ErrNoLeader,
  ErrOutcomeUnknown,
  ErrSqlite,
  ErrTransactionAborted,
  refusalOf,
  type DqliteError,
} from "../errors.ts";
import { DQLITE_PORT } from "../node/dqlite-node.ts";
import type { ExecReply } from "../node/server.ts";

export type { ExecReply } from "../node/server.ts";

/** The longest an interactive transaction may live, begin to commit (the deadline of its begin stream). */
export const TRANSACTION_MS_MAX = 60_000;

/** A value bound to a statement parameter. */
export type Param = number | string | Uint8Array | null;

export interface DqliteClientOptions extends Omit<LeaderCallerOptions, "port"> {
  readonly port?: number;
  /** The database of calls that name none. Default "db". */
  readonly database?: string;
}

/** Statements of an interactive transaction. */
export interface Transaction {
  exec(sql: string, params?: readonly Param[]): Promise<ExecReply>;
  query(sql: string, params?: readonly Param[]): Promise<ExecReply>;
}

/** A client of a dqlite cluster (see the file's comment). */
export class DqliteClient {
  private readonly caller: LeaderCaller;
  private readonly port: number;
  private readonly callDeadlineMs: number;
  readonly database: string;

  constructor(
    private readonly env: Env,
    options: DqliteClientOptions,
  ) {
    this.port = options.port ?? DQLITE_PORT;
    this.callDeadlineMs = options.callDeadlineMs ?? 300;
    this.database = options.database ?? "db";
    this.caller = new LeaderCaller(
      env,
      { probe: { method: "dqlite.leader" }, ...options, port: this.port },
      readRefusal,
    );
  }

  /** The leader this client last heard of. */
  get leader(): string | undefined {
    return this.caller.leader;
  }

  /** Runs statements in autocommit mode; resolves once committed through Raft. */
  async exec(sql: string, params: readonly Param[] = [], db = this.database): Promise<ExecReply> {
    return replyOf(await this.caller.call("dqlite.exec", { db, sql, params: [...params] }, false));
  }

  /** A linearizable read (also fine for statements that write nothing). */
  async query(sql: string, params: readonly Param[] = [], db = this.database): Promise<ExecReply> {
    return replyOf(await this.caller.call("dqlite.query", { db, sql, params: [...params] }, true));
  }

  /**
   * Runs `fn` in an interactive transaction and commits; rolls back if `fn` throws.
   * Resolves with what `fn` returned once the commit is applied through Raft.
   */
  async transaction<T>(fn: (transaction: Transaction) => Promise<T>, db = this.database): Promise<T> {
    let stream: AsyncIterator<WireValue> | undefined;
    try {
      const began = await this.caller.call("dqlite.begin", { db }, true, {}, async (target, deadlineMs) => {
        const opened = await this.openTransaction(target, db, deadlineMs);
        stream = opened.stream;
        return opened.reply;
      });
      const { session } = replyOf(began) as unknown as { session: string };
      if (began.type !== "ok") throw new Error("unreachable: replyOf returned for a failed call");
      const server = began.server;
      const step = (sql: string, params: readonly Param[] = []) =>
        this.sessionCall(server, "dqlite.session.exec", { session, sql, params: [...params] }, false);
      let result: T;
      try {
        result = await fn({ exec: step, query: step });
      } catch (error) {
        await this.sessionCall(server, "dqlite.rollback", { session }, false).catch(() => undefined);
        throw error;
      }
      await this.sessionCall(server, "dqlite.commit", { session }, true);
      return result;
    } finally {
      // The transaction is over (or never began): leave its stream; the server ends it already when the session ends.
      void stream?.return?.();
    }
  }

  /**
   * Opens a begin stream on `target` and waits for its session within `deadlineMs`
   * (the call deadline of one attempt). Giving up leaves the stream, so the server
   * rolls back a transaction it began for this attempt after all.
   */
  private async openTransaction(
    target: string,
    db: string,
    deadlineMs: number,
  ): Promise<{ reply: WireValue; stream: AsyncIterator<WireValue> }> {
    const stream = this.env.rpc
      .serverStream(
        target,
        this.port,
        "dqlite.begin",
        { db },
        { deadlineMs: TRANSACTION_MS_MAX, dialTimeoutMs: deadlineMs },
      )
      [Symbol.asyncIterator]();
    let timedOut = false;
    const timer = this.env.clock.setTimer(deadlineMs, () => {
      timedOut = true;
      void stream.return?.();
    });
    try {
      const first = await stream.next();
      if (timedOut)
        throw new RpcError("DEADLINE_EXCEEDED", `dqlite.begin at ${target}: no session within ${deadlineMs} ms`);
      if (first.done === true)
        throw new RpcError("UNAVAILABLE", `dqlite.begin at ${target}: the stream ended without a session`);
      return { reply: first.value, stream };
    } catch (error) {
      void stream.return?.();
      throw error;
    } finally {
      timer.cancel();
    }
  }

  private async sessionCall(server: string, method: string, request: WireValue, commit: boolean): Promise<ExecReply> {
    try {
      return (await this.env.rpc.call(server, this.port, method, request, {
        deadlineMs: this.callDeadlineMs,
      })) as unknown as ExecReply;
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      const refused = refusalOf(error);
      if (refused?.code === "outcome-unknown") throw new ErrOutcomeUnknown(error.message, refused.txid ?? undefined);
      if (refused?.code === "sqlite") throw new ErrSqlite(error.message, refused.sqliteCode ?? 0);
      if (refused?.code === "invalid") throw new ErrInvalidRequest(error.message);
      if (commit && refused === undefined && (error.outcomeUnknown || error.code === "INTERNAL"))
        throw new ErrOutcomeUnknown(error.message, undefined);
      throw new ErrTransactionAborted(error.message);
    }
  }
}

function readRefusal(error: RpcError): Refusal | undefined {
  const refused = refusalOf(error);
  if (refused === undefined) return undefined;
  switch (refused.code) {
    case "not-leader":
      return { kind: "redirect", leader: refused.leader };
    case "retry":
      return { kind: "retry" };
    case "outcome-unknown":
      return { kind: "unknown" };
    case "sqlite":
    case "invalid":
    case "session-unknown":
      return { kind: "fail" };
  }
}

function replyOf(outcome: CallOutcome): ExecReply {
  if (outcome.type === "ok") return outcome.value as unknown as ExecReply;
  throw errorOf(outcome);
}

function errorOf(outcome: Exclude<CallOutcome, { type: "ok" }>): DqliteError {
  const refused = outcome.error === undefined ? undefined : refusalOf(outcome.error);
  if (outcome.type === "info") return new ErrOutcomeUnknown(outcome.reason, refused?.txid ?? undefined);
  if (refused?.code === "sqlite") return new ErrSqlite(outcome.reason, refused.sqliteCode ?? 0);
  if (refused?.code === "invalid") return new ErrInvalidRequest(outcome.reason);
  if (refused?.code === "session-unknown") return new ErrTransactionAborted(outcome.reason);
  return new ErrNoLeader(outcome.reason);
}
