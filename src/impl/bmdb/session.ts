/**
 * BMDB's Connection, Session and Work (seed 003), on the replicated SQLite.
 *
 * - `Connection.connect` applies the migrations (model.ts), retrying while the
 *   database has no leader. `startSession` inserts a session row and starts its
 *   heartbeat.
 * - A Session is alive while its row's deadline (set to now + interval at each
 *   poke) has not passed. Its heartbeat pokes every interval/2; a poke that fails
 *   transiently is retried after interval/5 (sooner when the lease is about to
 *   run out) until the interval's deadline, and only then given up (the seed's
 *   condition is inverted: it gives up at once while the deadline is still ahead;
 *   and its retry falls through to the success path without `continue`). Once given up, or once a transaction finds
 *   the row gone, the session is expired for good: every later call fails with
 *   ErrSessionExpired and the caller must start a new session.
 * - Leases: the session also expires locally once LEASE_MARGIN_MS before the
 *   deadline its last successful poke wrote, measured from when that poke began
 *   (the monotonic clock). The row may be collected by others as soon as the
 *   deadline passes on their clocks, so a session that stops hearing from the
 *   database must stop believing it holds work before that. The seed leaves this
 *   to the interval/2 heartbeat; without it a cut-off holder keeps working for up
 *   to the poke's latency past its deadline. The margin covers clock offsets
 *   between hosts up to LEASE_MARGIN_MS (CockroachDB's default maximum offset).
 * - `transact(fn)` runs `fn` in one SQL transaction that first checks the session
 *   (the seed's Transact), retrying a transaction that certainly did not commit
 *   (no leader, aborted by a leadership change, SQLITE_BUSY) with a bounded,
 *   jittered backoff: the role CockroachDB's retry loop plays in the seed. A
 *   transaction whose commit outcome is unknown is not retried (it may have
 *   applied): ErrTransactionFailed with outcomeUnknown. `fn` may run several times.
 * - `work(process, retrieve)`: one transaction collects expired sessions (and so
 *   releases their work), retrieves eligible machines, locks the first for the
 *   process (ErrWorkConflict on the unique violation), records Started, and reads
 *   the existing backoff. `Work.cancel`, `finish(fn)` and `fail(backoff, cause)`
 *   release it with their history event (and for fail a backoff row).
 *
 * Time: every SQL time is the caller's simulated wall clock (`env.clock.now()`),
 * passed as a parameter; leases use its monotonic clock.
 *
 * Buggify points (buggify-points.ts): "bmdb.heartbeat-delayed" starts a poke up to
 * interval/10 late; "bmdb.transaction-backoff-at-bound" waits a retry's longest backoff.
 *
 * Seam for testing: ConnectionOptions.rules (SessionRules, DEFAULT_SESSION_RULES by
 * default) holds the decisions above that keep sessions and work safe; the broken
 * variants of scenarios/bmdb/variants.ts bend one of them.
 */
import type { Env } from "../../sim/env.ts";
import { DqliteClient, DqliteError, ErrSqlite, type DqliteClientOptions } from "../dqlite/index.ts";
import { nextBackoffSeconds, type Backoff, type ExistingBackoff } from "./backoff.ts";
import {
  BmdbError,
  ErrNothingToDo,
  ErrSessionExpired,
  ErrTransactionFailed,
  ErrWorkAlreadyDone,
  ErrWorkConflict,
} from "./errors.ts";
import { BmdbMetrics, type ProcessorRecorder, type ProcessRecorder } from "./metrics.ts";
import { MIGRATIONS, Queries, SQLITE_CONSTRAINT } from "./model.ts";

/** The seed's session interval. */
export const SESSION_INTERVAL_SECONDS_DEFAULT = 5;
/** How long before its deadline a session stops trusting its lease locally. */
export const LEASE_MARGIN_MS = 500;
/** The seed's "one second seems about right for a 5 second interval": interval / 5. */
const HEARTBEAT_RETRY_FRACTION = 5;
/** At the buggify point a poke starts up to interval / HEARTBEAT_DELAY_FRACTION late. */
const HEARTBEAT_DELAY_FRACTION = 10;
/** The shortest wait before a failed poke is retried. */
const HEARTBEAT_RETRY_MS_MIN = 50;
/** Attempts of one transaction at most (the first included). */
export const TRANSACT_ATTEMPTS_MAX = 10;
const TRANSACT_BACKOFF_MS_MIN = 20;
const TRANSACT_BACKOFF_MS_MAX = 1_000;
/** Attempts at applying the migrations at connect, at most. */
const MIGRATE_ATTEMPTS_MAX = 50;
const MIGRATE_RETRY_MS = 100;
/** SQLite's SQLITE_BUSY: another statement holds the database; retryable. */
const SQLITE_BUSY = 5;

/** The decisions that keep BMDB's sessions and work safe (see the file's comment); a seam for testing. */
export interface SessionRules {
  /** Whether each transaction of a session first checks that the session's row is still there (the seed's Transact). */
  readonly checkSessionInTransaction: boolean;
  /** Whether a session expires locally LEASE_MARGIN_MS before the deadline its last good poke wrote (its lease). */
  readonly expireAtLeaseEnd: boolean;
  /** Whether Work first collects expired sessions, releasing their work. */
  readonly collectExpiredSessions: boolean;
  /**
   * Whether Cancel, Finish and Fail record their history event only when they deleted the work row (else it was gone
   * already: an earlier attempt of unknown outcome committed).
   */
  readonly historyOnlyWithWorkRow: boolean;
  /** After a failed poke at monotonic `nowMs`: whether the heartbeat gives up, its deadline being `deadlineMs`. */
  heartbeatGivesUp(nowMs: number, deadlineMs: number): boolean;
}

/** BMDB's rules: every safeguard on, and a heartbeat that retries until the interval's deadline. */
export const DEFAULT_SESSION_RULES: SessionRules = {
  checkSessionInTransaction: true,
  expireAtLeaseEnd: true,
  collectExpiredSessions: true,
  historyOnlyWithWorkRow: true,
  heartbeatGivesUp: (nowMs, deadlineMs) => nowMs >= deadlineMs,
};

export interface ConnectionOptions {
  /** The dqlite servers. */
  readonly servers: readonly string[];
  /** The database name. Default "bmdb". */
  readonly database?: string;
  /** Who uses the BMDB (the seed's BMDB.ComponentName). */
  readonly componentName: string;
  readonly runtimeInfo?: string;
  /** Client timeouts (defaults suit a 5 s session interval). */
  readonly client?: Partial<Omit<DqliteClientOptions, "servers" | "database">>;
  readonly metrics?: BmdbMetrics;
  /** Seam for testing: the rules that keep sessions and work safe. Default DEFAULT_SESSION_RULES. */
  readonly rules?: SessionRules;
}

export interface SessionOptions {
  /** The metrics processor (component) label. */
  readonly processor?: string;
  /** Default SESSION_INTERVAL_SECONDS_DEFAULT. */
  readonly intervalSeconds?: number;
}

/** A function run inside a BMDB transaction: the queries, and the caller's clock reading for SQL. */
export type TransactFn<T> = (q: Queries, now: number) => Promise<T>;

/** A connection to the BMDB: a dqlite client, with the schema applied. */
export class Connection {
  readonly metrics: BmdbMetrics;
  readonly rules: SessionRules;

  private constructor(
    readonly env: Env,
    readonly client: DqliteClient,
    readonly options: ConnectionOptions,
  ) {
    this.metrics = options.metrics ?? new BmdbMetrics();
    this.rules = options.rules ?? DEFAULT_SESSION_RULES;
  }

  /** Connects and applies the migrations (retrying while the database cannot take them). */
  static async connect(env: Env, options: ConnectionOptions): Promise<Connection> {
    const client = new DqliteClient(env, {
      operationTimeoutMs: 2_000,
      callDeadlineMs: 700,
      attemptsMax: 20,
      ...options.client,
      servers: options.servers,
      database: options.database ?? "bmdb",
    });
    const connection = new Connection(env, client, options);
    let last: unknown;
    for (let attempt = 0; attempt < MIGRATE_ATTEMPTS_MAX; attempt++) {
      try {
        for (const migration of MIGRATIONS) await client.exec(migration);
        return connection;
      } catch (error) {
        if (!(error instanceof DqliteError)) throw error;
        last = error;
      }
      await env.clock.sleep(MIGRATE_RETRY_MS);
    }
    throw new ErrTransactionFailed(
      `could not apply the migrations: ${String(last)}`,
      MIGRATE_ATTEMPTS_MAX,
      false,
      last,
    );
  }

  /** Creates a session and starts its heartbeat (the seed's StartSession). */
  async startSession(options: SessionOptions = {}): Promise<Session> {
    const intervalSeconds = options.intervalSeconds ?? SESSION_INTERVAL_SECONDS_DEFAULT;
    const sessionId = uuid(this.env);
    const recorder = this.metrics.recorder(options.processor);
    // The lease runs from the attempt that committed (the row's deadline is that attempt's clock reading + interval),
    // not from the first.
    let started = this.env.clock.monotonic();
    await runTransaction(this, recorder, undefined, async (q, now) => {
      started = this.env.clock.monotonic();
      await q.newSession({
        sessionId,
        componentName: this.options.componentName,
        runtimeInfo: this.options.runtimeInfo ?? "",
        intervalSeconds,
        now,
      });
    });
    const session = new Session(this, sessionId, intervalSeconds, recorder, started);
    recorder.onSessionStarted();
    this.env.log.info("bmdb: started session", { session: sessionId });
    session.startHeartbeat();
    return session;
  }
}

/** A live session (see the file's comment). */
export class Session {
  private canceled = false;
  /** Monotonic time after which this session no longer trusts itself. */
  private leaseUntil: number;
  private heartbeat: Promise<void> | undefined;

  constructor(
    readonly connection: Connection,
    readonly id: string,
    readonly intervalSeconds: number,
    readonly metrics: ProcessorRecorder,
    createdAt: number,
  ) {
    this.leaseUntil = createdAt + this.intervalMs - LEASE_MARGIN_MS;
  }

  private get env(): Env {
    return this.connection.env;
  }

  private get intervalMs(): number {
    return this.intervalSeconds * 1_000;
  }

  private get rules(): SessionRules {
    return this.connection.rules;
  }

  /** True once this session is expired: every later call fails with ErrSessionExpired. */
  expired(): boolean {
    if (this.canceled) return true;
    if (this.rules.expireAtLeaseEnd && this.env.clock.monotonic() >= this.leaseUntil) this.expire("its lease ran out");
    return this.canceled;
  }

  /** Ends the session locally (the seed's context cancel); the row expires on its own. */
  cancel(): void {
    this.expire("canceled");
  }

  private expire(reason: string): ErrSessionExpired {
    if (!this.canceled) {
      this.canceled = true;
      // Marks expiry the session did not ask for: its lease ran out or its heartbeat gave up (runTransaction marks a
      // row found gone).
      if (reason !== "canceled") this.env.probe("bmdb.session-expired");
      this.env.log.info("bmdb: session expired", { session: this.id, reason });
      this.env.trace("bmdb.session-expired", { session: this.id, reason });
    }
    return new ErrSessionExpired(this.id);
  }

  /** Resolves when the heartbeat loop has exited (after expiry). */
  heartbeatDone(): Promise<void> {
    return this.heartbeat ?? Promise.resolve();
  }

  /** @internal */
  startHeartbeat(): void {
    this.heartbeat = this.maintainHeartbeat();
  }

  /**
   * Pokes every interval/2; gives up when a poke finds the session gone, or when pokes kept failing until the deadline.
   */
  private async maintainHeartbeat(): Promise<void> {
    let deadline = this.env.clock.monotonic() + this.intervalMs;
    for (;;) {
      if (this.expired()) return;
      let pokeStarted = this.env.clock.monotonic();
      let failure: unknown;
      try {
        await this.transact(async (q, now) => {
          // As for startSession: the deadline is this attempt's reading + interval.
          pokeStarted = this.env.clock.monotonic();
          await q.sessionPoke(this.id, now);
        });
      } catch (error) {
        if (!(error instanceof BmdbError)) throw error;
        failure = error;
      }
      if (failure !== undefined) {
        const now = this.env.clock.monotonic();
        if (failure instanceof ErrSessionExpired || this.rules.heartbeatGivesUp(now, deadline)) {
          this.expire(`heartbeat gave up: ${String(failure)}`);
          return;
        }
        this.env.log.warn("bmdb: session poke failed, retrying", { session: this.id, error: String(failure) });
        // The seed waits a fixed second ("about right for a 5 second interval", with a TODO to derive it
        // from the interval): interval/5 here, but never so long that the lease runs out before the retry.
        const leaseLeft = this.leaseUntil - this.env.clock.monotonic();
        await this.env.clock.sleep(
          Math.max(HEARTBEAT_RETRY_MS_MIN, Math.min(this.intervalMs / HEARTBEAT_RETRY_FRACTION, leaseLeft / 2)),
        );
        continue;
      }
      this.leaseUntil = Math.max(this.leaseUntil, pokeStarted + this.intervalMs - LEASE_MARGIN_MS);
      deadline = this.env.clock.monotonic() + this.intervalMs;
      // Buggify: the next poke starts late (a slow scheduler), with less of the lease left for its retries.
      const lateMs = this.env.buggify("bmdb.heartbeat-delayed")
        ? this.env.random.float(0, this.intervalMs / HEARTBEAT_DELAY_FRACTION)
        : 0;
      await this.env.clock.sleep(this.intervalMs / 2 + lateMs);
    }
  }

  /**
   * Runs `fn` in a transaction that first checks this session (the seed's
   * Transact); see the file's comment for retries. Throws ErrSessionExpired once
   * the session is expired, fn's own BmdbErrors as they are, and
   * ErrTransactionFailed otherwise.
   */
  transact<T>(fn: TransactFn<T>): Promise<T> {
    return runTransaction(this.connection, this.metrics, this, fn);
  }

  /**
   * The seed's Work: see the file's comment. If it fails with an unknown outcome
   * (ErrTransactionFailed.outcomeUnknown) the machine may be locked by this
   * session without the caller knowing which: cancel the session, and session
   * collection releases it once the session's deadline passes.
   */
  async work(process: string, retrieve: TransactFn<readonly string[]>): Promise<Work> {
    const recorder = this.metrics;
    const found = await this.transact(async (q, now) => {
      if (this.rules.collectExpiredSessions) {
        const collected = await q.sessionsCollect(now);
        if (collected > 0) this.env.probe("bmdb.expired-sessions-collected");
        recorder.onSessionsCollected(collected);
      }
      const machines = await retrieve(q, now);
      const machineId = machines[0];
      if (machineId === undefined) throw new ErrNothingToDo(process);
      try {
        await q.startWork({ machineId, sessionId: this.id, process });
      } catch (error) {
        if (error instanceof ErrSqlite && error.sqliteCode === SQLITE_CONSTRAINT)
          throw new ErrWorkConflict(machineId, process);
        throw error;
      }
      await q.workHistoryInsert({ machineId, process, event: "Started", now });
      const backoffs = await q.workBackoffOf({ machineId, process });
      const last = backoffs[0]?.lastIntervalSeconds;
      // A backoff row without an interval (an older schema) is ignored: the sequence starts afresh.
      const existing: ExistingBackoff | undefined =
        last === null || last === undefined ? undefined : { lastIntervalSeconds: last };
      return { machineId, existing };
    });
    const work = new Work(this, found.machineId, process, found.existing, recorder.withProcess(process));
    work.metrics.onWorkStarted();
    this.env.log.info("bmdb: started work", { process, machine: found.machineId, session: this.id });
    return work;
  }
}

/** Work being performed on a machine (the seed's Work). Not safe for concurrent use. */
export class Work {
  private done = false;

  constructor(
    readonly session: Session,
    readonly machineId: string,
    readonly process: string,
    /** The backoff the machine had for this process when the work started. */
    readonly backoff: ExistingBackoff | undefined,
    readonly metrics: ProcessRecorder,
  ) {}

  /** True once finished, failed or canceled. */
  isDone(): boolean {
    return this.done;
  }

  /**
   * Releases the machine with a Canceled event; a no-op when already done. Errors
   * are logged, not thrown (the seed's); resolves to whether the release surely
   * committed (if not, the machine stays locked until the session expires: a
   * caller that must free it cancels the session).
   */
  async cancel(): Promise<boolean> {
    if (this.done) return true;
    this.done = true;
    this.metrics.onWorkFinished("canceled");
    try {
      await this.session.transact(async (q, now) => {
        // Gone already (an earlier Finish or Fail of unknown outcome did commit): nothing to record.
        const released = await q.finishWork(this.key());
        if (released || !this.session.connection.rules.historyOnlyWithWorkRow)
          await q.workHistoryInsert({ machineId: this.machineId, process: this.process, event: "Canceled", now });
      });
      return true;
    } catch (error) {
      if (!(error instanceof BmdbError)) throw error;
      this.session.connection.env.log.warn("bmdb: failed to cancel work", {
        process: this.process,
        machine: this.machineId,
        error: String(error),
      });
      return false;
    }
  }

  /**
   * Releases the machine with a Finished event, clears its backoff, and runs `fn`
   * in the same transaction. Once it succeeded, never again (ErrWorkAlreadyDone).
   * If it fails the work is still held: call it again, or `cancel` (the seed marks
   * the work done before trying, so a failed Finish left the machine locked for
   * as long as the session lived, with no way to release it).
   */
  async finish(fn: TransactFn<void> = async () => undefined): Promise<void> {
    if (this.done) throw new ErrWorkAlreadyDone(this.machineId, this.process);
    await this.session.transact(async (q, now) => {
      await this.release(q);
      await q.workBackoffDelete({ machineId: this.machineId, process: this.process });
      await q.workHistoryInsert({ machineId: this.machineId, process: this.process, event: "Finished", now });
      await fn(q, now);
    });
    this.done = true;
    this.metrics.onWorkFinished("finished");
  }

  /**
   * Releases the machine with a Failed event and puts it in backoff for
   * `nextBackoffSeconds(backoff, this.backoff)` (undefined: one second, or the
   * last interval), which it returns. Once it succeeded, never again; if it fails
   * the work is still held (as for `finish`).
   */
  async fail(backoff: Backoff | undefined, cause: string): Promise<number> {
    if (this.done) throw new ErrWorkAlreadyDone(this.machineId, this.process);
    const seconds = nextBackoffSeconds(backoff, this.backoff);
    await this.session.transact(async (q, now) => {
      await this.release(q);
      await q.workHistoryInsert({
        machineId: this.machineId,
        process: this.process,
        event: "Failed",
        failedCause: cause,
        now,
      });
      await q.workBackoffInsert({ machineId: this.machineId, process: this.process, cause, seconds, now });
    });
    this.done = true;
    this.metrics.onWorkFinished("failed");
    return seconds;
  }

  /**
   * Deletes this work's row; if it is gone (an earlier attempt of unknown outcome committed), the transaction must not
   * record anything.
   */
  private async release(q: Queries): Promise<void> {
    const released = await q.finishWork(this.key());
    if (!released && this.session.connection.rules.historyOnlyWithWorkRow)
      throw new ErrWorkAlreadyDone(this.machineId, this.process);
  }

  private key(): { machineId: string; sessionId: string; process: string } {
    return { machineId: this.machineId, sessionId: this.session.id, process: this.process };
  }
}

/** True for errors after which the transaction certainly did not commit and may run again. */
function retryable(error: unknown): boolean {
  if (!(error instanceof DqliteError) || error.outcomeUnknown) return false;
  if (error instanceof ErrSqlite) return error.sqliteCode === SQLITE_BUSY;
  return error.name === "ErrNoLeader" || error.name === "ErrTransactionAborted";
}

/** The transaction loop of transact (and of startSession, which has no session to check yet). */
async function runTransaction<T>(
  connection: Connection,
  recorder: ProcessorRecorder,
  session: Session | undefined,
  fn: TransactFn<T>,
): Promise<T> {
  const env = connection.env;
  for (let attempt = 1; ; attempt++) {
    if (session?.expired()) {
      recorder.onTransactionFailed();
      throw new ErrSessionExpired(session.id);
    }
    recorder.onTransactionStarted(attempt);
    try {
      return await connection.client.transaction(async (tx) => {
        const q = new Queries(tx);
        const now = env.clock.now();
        if (session !== undefined && connection.rules.checkSessionInTransaction) {
          const live = await q.sessionCheck(session.id, now);
          if (live.length < 1) {
            env.probe("bmdb.session-expired");
            session.cancel();
            throw new ErrSessionExpired(session.id);
          }
        }
        return fn(q, now);
      });
    } catch (error) {
      if (error instanceof BmdbError) {
        recorder.onTransactionFailed();
        throw error;
      }
      if (!(error instanceof DqliteError)) throw error;
      if (!retryable(error) || attempt >= TRANSACT_ATTEMPTS_MAX) {
        recorder.onTransactionFailed();
        throw new ErrTransactionFailed(
          `transaction failed after ${attempt} attempt(s): ${error.message}`,
          attempt,
          error.outcomeUnknown,
          error,
        );
      }
    }
    const ceiling = Math.min(TRANSACT_BACKOFF_MS_MAX, TRANSACT_BACKOFF_MS_MIN * 2 ** (attempt - 1));
    // Buggify: the longest wait this attempt allows.
    await env.clock.sleep(
      env.buggify("bmdb.transaction-backoff-at-bound") ? ceiling : env.random.int(TRANSACT_BACKOFF_MS_MIN, ceiling),
    );
  }
}

/** A version-4 UUID from the host's random stream. */
function uuid(env: Env): string {
  const hex = Array.from({ length: 32 }, () => env.random.int(0, 15).toString(16));
  hex[12] = "4";
  hex[16] = (8 + env.random.int(0, 3)).toString(16);
  const text = hex.join("");
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}
