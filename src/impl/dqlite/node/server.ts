/**
 * The client protocol of a dqlite node, as RPC methods on the node's port:
 *
 * - `dqlite.exec` {db, sql, params}: runs statements in autocommit mode on the
 *   leader; a write returns only once its frames are committed and applied through
 *   Raft. `dqlite.query` is the same after confirming leadership with a quorum (a
 *   linearizable read).
 * - `dqlite.begin` {db} -> stream {session}, `dqlite.session.exec` {session, sql,
 *   params}, `dqlite.commit` {session}, `dqlite.rollback` {session}: an interactive
 *   transaction. It holds its database (one statement or transaction at a time per
 *   database: the leader's single connection runs in EXCLUSIVE locking mode). Begin
 *   is a server stream: its one message names the session, and it stays open while
 *   the transaction lives. The transaction is rolled back when its caller leaves
 *   that stream (cancels it, lets its deadline pass, or its connection breaks: a
 *   crashed or cut-off client), as dqlite rolls back the transaction of a client
 *   connection that closes; so a begin answered just as its caller gave up cannot
 *   hold the database. It is also rolled back after SESSION_IDLE_MS without a
 *   request (a paused client), or when leadership is lost.
 *
 * A call whose caller gave up (deadline, cancel, broken connection) while it waited
 * for its database does not run: otherwise abandoned begins, each holding the
 * database until it idles out, could starve every live client.
 * - `dqlite.leader` {} -> {leader}: who this node thinks leads.
 *
 * Refusals are typed (errors.ts): redirects to the leader, "retry" when nothing
 * committed, "outcome-unknown" when a commit was in flight as leadership was lost.
 *
 * Limits: SESSIONS_MAX open transactions; SQL_BYTES_MAX per statement text,
 * PARAMS_MAX parameters; DATABASE_NAME pattern for names.
 *
 * Seams for testing: the protected decisions isAbandoned and followCaller, which
 * the broken servers of scenarios/dqlite/variants.ts override (runDqliteServer
 * builds the server through DqliteNodeParts.createServer).
 */
import { RpcError, type Env, type RpcContext, type Timer, type WireValue } from "../../../sim/env.ts";
import { LockQueueFull } from "../../common/async-lock.ts";
import { RaftError } from "../../raft/index.ts";
import { refusal } from "../errors.ts";
import type { ReplicationFailure } from "../leader/methods.ts";
import { SqliteError, type SqliteConnection, type SqlValue } from "../sqlite/engine.ts";
import { DQLITE_PORT, type DqliteNode } from "./dqlite-node.ts";

export const SESSIONS_MAX = 64;
export const SESSION_IDLE_MS = 2_000;
export const SQL_BYTES_MAX = 64 * 1024;
export const PARAMS_MAX = 256;
const DATABASE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** What a statement returns over the wire. */
export interface ExecReply {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly WireValue[])[];
  readonly changes: number;
  readonly lastInsertRowId: number;
}

interface Session {
  readonly id: string;
  readonly db: string;
  readonly release: () => void;
  timer: Timer | undefined;
  busy: boolean;
  /** Its caller left the begin stream during a step: roll back once the step is over. */
  dropped: boolean;
  /** Called once, when the session ends (committed, rolled back, expired). */
  ended: () => void;
}

/** Serves the client protocol of one node (see the file's comment). */
export class DqliteServer {
  private readonly sessions = new Map<string, Session>();
  private nextSession = 1;

  constructor(
    private readonly env: Env,
    private readonly node: DqliteNode,
  ) {}

  /** A new server of `node`'s client protocol, serving on `port`. */
  static serve(env: Env, node: DqliteNode, port = DQLITE_PORT): DqliteServer {
    return new DqliteServer(env, node).listen(port);
  }

  /** Serves the client protocol on `port` (once per server); returns this server. */
  listen(port = DQLITE_PORT): this {
    const rpc = this.env.rpc.serve(port);
    rpc.unary("dqlite.exec", (request, context) => this.exec(request, false, context.signal));
    rpc.unary("dqlite.query", (request, context) => this.exec(request, true, context.signal));
    rpc.serverStream("dqlite.begin", (request, send, context) => this.begin(request, send, context));
    rpc.unary("dqlite.session.exec", (request) => this.sessionExec(request));
    rpc.unary("dqlite.commit", (request) => this.finish(request, "COMMIT"));
    rpc.unary("dqlite.rollback", (request) => this.finish(request, "ROLLBACK"));
    rpc.unary("dqlite.leader", async () => ({ leader: this.node.raft.leader() ?? null }));
    this.node.raft.observeLeadership((event) => {
      if (!event.isLeader) void this.abortSessions();
    });
    return this;
  }

  private async exec(request: WireValue, read: boolean, signal: AbortSignal): Promise<WireValue> {
    const { db, sql, params } = parseStatement(request);
    this.requireReadyLeader();
    await this.guard(() => this.node.ensureDatabase(db));
    if (read) await this.guard(() => this.node.raft.verifyLeader());
    const release = await this.acquire(db, signal);
    try {
      this.requireReadyLeader();
      const connection = await this.node.connection(db);
      const reply = await this.statement(db, connection, sql, params);
      if (!connection.autocommit()) {
        await this.statement(db, connection, "ROLLBACK", []);
        throw refusal("invalid", "exec may not leave a transaction open: use an interactive transaction");
      }
      await this.node.maybeCheckpoint(db);
      return reply as unknown as WireValue;
    } finally {
      release();
    }
  }

  /**
   * Begins a transaction, sends its session, and holds the stream open until the session ends (see the file's comment).
   */
  private async begin(
    request: WireValue,
    send: (message: WireValue) => Promise<void>,
    context: RpcContext,
  ): Promise<void> {
    const db = parseDatabase(field(request, "db"));
    this.requireReadyLeader();
    if (this.sessions.size >= SESSIONS_MAX) throw refusal("retry", `more than ${SESSIONS_MAX} open transactions`);
    await this.guard(() => this.node.ensureDatabase(db));
    const release = await this.acquire(db, context.signal);
    try {
      this.requireReadyLeader();
      const connection = await this.node.connection(db);
      await this.statement(db, connection, "BEGIN", []);
    } catch (error) {
      release();
      throw error;
    }
    let ended = (): void => undefined;
    const over = new Promise<void>((resolve) => (ended = resolve));
    const session: Session = {
      id: `${this.env.host}/${this.env.lifetime.incarnation}/${this.nextSession++}`,
      db,
      release,
      timer: undefined,
      busy: false,
      dropped: false,
      ended,
    };
    this.sessions.set(session.id, session);
    if (this.isAbandoned(context.signal)) {
      // The caller gave up while the transaction began: nobody will ever use (or end) it.
      this.env.probe("dqlite.server.abandoned-session-rolled-back");
      await this.rollback(session);
      throw refusal("retry", "the caller gave up before the transaction began");
    }
    this.touch(session);
    this.followCaller(session, context.signal);
    try {
      await send({ session: session.id });
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      // The caller left before the session reached it (the abort listener drops it); nothing more to send.
      return;
    }
    await over;
  }

  /**
   * Seam for testing: whether a call is abandoned, its caller gone (`signal`
   * aborted: its deadline passed, it cancelled, its connection broke). An abandoned
   * call does not run, and an abandoned begin does not keep its transaction.
   */
  protected isAbandoned(signal: AbortSignal): boolean {
    return signal.aborted;
  }

  /** Seam for testing: ties a session to its caller, whose leaving the begin stream (`signal`) drops it. */
  protected followCaller(session: Session, signal: AbortSignal): void {
    signal.addEventListener("abort", () => void this.drop(session), { once: true });
  }

  /** The caller left the session's begin stream: roll it back now, or after the step in progress. */
  private async drop(session: Session): Promise<void> {
    if (!this.sessions.has(session.id)) return;
    this.env.probe("dqlite.server.session-dropped-with-its-caller");
    if (session.busy) session.dropped = true;
    else await this.rollback(session);
  }

  private async sessionExec(request: WireValue): Promise<WireValue> {
    const session = this.session(field(request, "session"));
    const { sql, params } = parseStatement({ ...(request as Record<string, WireValue>), db: session.db });
    return this.inSession(session, async (connection) => {
      const reply = await this.statement(session.db, connection, sql, params);
      if (connection.autocommit())
        throw refusal(
          "session-unknown",
          "the transaction ended inside the session (COMMIT or ROLLBACK belong to dqlite.commit / dqlite.rollback)",
        );
      return reply as unknown as WireValue;
    });
  }

  private async finish(request: WireValue, statement: "COMMIT" | "ROLLBACK"): Promise<WireValue> {
    const session = this.session(field(request, "session"));
    try {
      return await this.inSession(session, async (connection) => {
        const reply = await this.statement(session.db, connection, statement, []);
        await this.node.maybeCheckpoint(session.db);
        return reply as unknown as WireValue;
      });
    } finally {
      // Still registered: the step ended without ending the transaction (refused before it ran, e.g. this
      // node stopped being a ready leader, or the statement failed and left it open). SQLite's transaction is
      // still open on the leader's connection, the capture still holds its unreplicated frames: roll it back
      // before the session goes, or nobody ever will (abortSessions no longer sees it) and the next use of
      // the database's files (another connection, a reopen) runs into it.
      if (this.sessions.has(session.id)) {
        if (session.busy) this.close(session);
        else await this.rollback(session);
      }
    }
  }

  /** Runs one step of a session; a failure that ended the transaction closes the session. */
  private async inSession(
    session: Session,
    step: (connection: SqliteConnection) => Promise<WireValue>,
  ): Promise<WireValue> {
    if (session.busy) throw refusal("invalid", "one request at a time per transaction");
    session.busy = true;
    session.timer?.cancel();
    try {
      this.requireReadyLeader();
      const connection = await this.node.connection(session.db);
      try {
        return await step(connection);
      } finally {
        if (connection.autocommit()) this.close(session);
      }
    } catch (error) {
      if (!this.sessions.has(session.id)) throw error;
      throw error;
    } finally {
      session.busy = false;
      if (this.sessions.has(session.id)) {
        if (session.dropped) await this.rollback(session);
        else this.touch(session);
      }
    }
  }

  /** Runs SQL, then lets the leader's hooks see how the transaction ended, and turns failures into refusals. */
  private async statement(
    db: string,
    connection: SqliteConnection,
    sql: string,
    params: readonly SqlValue[],
  ): Promise<ExecReply> {
    let reply: ExecReply | undefined;
    let failed: SqliteError | undefined;
    try {
      const result = await connection.exec(sql, params);
      reply = {
        columns: result.columns,
        rows: result.rows.map((row) => row.map(toWire)),
        changes: result.changes,
        lastInsertRowId: Number(result.lastInsertRowId),
      };
    } catch (error) {
      if (!(error instanceof SqliteError)) throw error;
      failed = error;
    }
    await this.node.methods.statementEnded(db, connection.autocommit());
    const failure = this.node.methods.takeFailure(db);
    if (failure !== undefined) throw this.refusalFor(failure);
    if (failed !== undefined) throw refusal("sqlite", failed.message, { sqliteCode: failed.code });
    if (reply === undefined) throw new Error("unreachable: a statement with neither a reply nor an error");
    return reply;
  }

  private refusalFor(failure: ReplicationFailure): RpcError {
    switch (failure.kind) {
      case "not-leader":
        return refusal("not-leader", failure.reason, { leader: this.leaderHint() });
      case "aborted":
        return refusal("retry", `transaction aborted: ${failure.reason}`);
      case "outcome-unknown":
        return refusal("outcome-unknown", failure.reason, { txid: failure.txid });
      case "fatal":
        return failure.txid === undefined
          ? refusal("retry", failure.reason)
          : refusal("outcome-unknown", failure.reason, { txid: failure.txid });
    }
  }

  private requireReadyLeader(): void {
    if (!this.node.isReadyLeader())
      throw refusal("not-leader", "this node is not a ready leader", { leader: this.leaderHint() });
  }

  private leaderHint(): string | null {
    const leader = this.node.raft.leader();
    return leader === undefined || leader === this.env.host ? null : leader;
  }

  /** Raft refusals of leader-only calls (Open, verifyLeader) as client refusals. */
  private async guard(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
      throw refusal(error.code === "not-leader" ? "not-leader" : "retry", error.message, { leader: this.leaderHint() });
    }
  }

  /**
   * The database's lock. A caller that gave up while waiting (its deadline passed,
   * it cancelled) does not get it: the lock goes straight to the next waiter, so
   * abandoned calls cannot hold a database one after another.
   */
  private async acquire(db: string, signal: AbortSignal): Promise<() => void> {
    let release: () => void;
    try {
      release = await this.node.lock(db).acquire();
    } catch (error) {
      if (error instanceof LockQueueFull) throw refusal("retry", `database ${db} is busy: ${error.message}`);
      throw error;
    }
    if (this.isAbandoned(signal)) {
      release();
      this.env.probe("dqlite.server.abandoned-call-skipped");
      throw refusal("retry", `the caller gave up while waiting for database ${db}`);
    }
    return release;
  }

  private session(id: WireValue | undefined): Session {
    const session = typeof id === "string" ? this.sessions.get(id) : undefined;
    if (session === undefined)
      throw refusal("session-unknown", `no transaction ${String(id)} on this node (expired, or leadership moved)`);
    return session;
  }

  private touch(session: Session): void {
    session.timer?.cancel();
    session.timer = this.env.clock.setTimer(SESSION_IDLE_MS, () => void this.expire(session));
  }

  private async expire(session: Session): Promise<void> {
    if (!this.sessions.has(session.id) || session.busy) return;
    this.env.probe("dqlite.server.session-expired");
    await this.rollback(session);
  }

  private async abortSessions(): Promise<void> {
    for (const session of [...this.sessions.values()]) if (!session.busy) await this.rollback(session);
  }

  private async rollback(session: Session): Promise<void> {
    this.sessions.delete(session.id);
    session.timer?.cancel();
    session.ended();
    try {
      const connection = await this.node.connection(session.db);
      if (!connection.autocommit()) await this.statement(session.db, connection, "ROLLBACK", []);
    } catch (error) {
      if (!(error instanceof RpcError) && !(error instanceof SqliteError)) throw error;
    } finally {
      session.release();
    }
  }

  private close(session: Session): void {
    if (!this.sessions.delete(session.id)) return;
    session.timer?.cancel();
    session.ended();
    session.release();
  }
}

function field(request: WireValue, name: string): WireValue | undefined {
  if (typeof request !== "object" || request === null || Array.isArray(request) || request instanceof Uint8Array)
    throw refusal("invalid", "the request is not an object");
  return (request as Record<string, WireValue | undefined>)[name];
}

function parseDatabase(value: WireValue | undefined): string {
  if (typeof value !== "string" || !DATABASE_NAME.test(value))
    throw refusal("invalid", `bad database name ${JSON.stringify(value)}`);
  return value;
}

function parseStatement(request: WireValue): { db: string; sql: string; params: SqlValue[] } {
  const db = parseDatabase(field(request, "db"));
  const sql = field(request, "sql");
  if (typeof sql !== "string" || sql.length === 0 || sql.length > SQL_BYTES_MAX)
    throw refusal("invalid", "sql must be a non-empty string of bounded length");
  const raw = field(request, "params") ?? [];
  if (!Array.isArray(raw) || raw.length > PARAMS_MAX)
    throw refusal("invalid", `params must be an array of at most ${PARAMS_MAX} values`);
  const params = (raw as readonly WireValue[]).map((value): SqlValue => {
    if (value === null || typeof value === "number" || typeof value === "string" || value instanceof Uint8Array)
      return value;
    throw refusal("invalid", "a parameter must be null, a number, a string or bytes");
  });
  return { db, sql, params };
}

function toWire(value: SqlValue | bigint): WireValue {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}
