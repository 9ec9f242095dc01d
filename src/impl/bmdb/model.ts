/**
 * BMDB's schema and queries (the seed's sqlc `model` package), in SQLite's dialect
 * on the replicated SQLite. Every time is a number of milliseconds of the caller's
 * simulated clock, passed in as a parameter: SQL never reads a clock itself.
 *
 * Tables:
 * - sessions: one row per live session; `session_deadline` is when it expires
 *   unless poked again (now + interval);
 * - machines, machine_tags: the machines and the tags that make them eligible for a
 *   process (a provisioning workflow moves a machine along by tagging it);
 * - work: the machine + process pairs being worked on, and by which session
 *   (unique on machine + process: ErrWorkConflict);
 * - work_history: Started, then at most one of Finished, Canceled, Failed (with
 *   its cause), per work item;
 * - work_backoff: a failed machine + process is not eligible before `until`; the
 *   last interval feeds the next (Backoff).
 */
import type { ExecReply, Param, Transaction } from "../dqlite/index.ts";

/** The migrations, in order; each is idempotent (applied at every connect). */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    session_component_name TEXT NOT NULL,
    session_runtime_info TEXT NOT NULL,
    session_created_at INTEGER NOT NULL,
    session_interval_seconds INTEGER NOT NULL,
    session_deadline INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS machines (
    machine_id TEXT PRIMARY KEY,
    machine_created_at INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS machine_tags (
    machine_id TEXT NOT NULL REFERENCES machines (machine_id),
    tag TEXT NOT NULL,
    PRIMARY KEY (machine_id, tag)
  )`,
  `CREATE TABLE IF NOT EXISTS work (
    machine_id TEXT NOT NULL REFERENCES machines (machine_id),
    session_id TEXT NOT NULL REFERENCES sessions (session_id),
    process TEXT NOT NULL,
    PRIMARY KEY (machine_id, process)
  )`,
  `CREATE TABLE IF NOT EXISTS work_history (
    history_id INTEGER PRIMARY KEY AUTOINCREMENT,
    machine_id TEXT NOT NULL,
    process TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('Started', 'Finished', 'Canceled', 'Failed')),
    failed_cause TEXT,
    timestamp INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS work_backoff (
    machine_id TEXT NOT NULL REFERENCES machines (machine_id),
    process TEXT NOT NULL,
    cause TEXT NOT NULL,
    until INTEGER NOT NULL,
    last_interval_seconds INTEGER,
    PRIMARY KEY (machine_id, process)
  )`,
  `CREATE INDEX IF NOT EXISTS work_session ON work (session_id)`,
  `CREATE INDEX IF NOT EXISTS sessions_deadline ON sessions (session_deadline)`,
];

export type WorkHistoryEvent = "Started" | "Finished" | "Canceled" | "Failed";

/** SQLite's primary result code for a constraint violation (the unique one of `work` here). */
export const SQLITE_CONSTRAINT = 19;

export interface WorkBackoffRow {
  readonly cause: string;
  readonly until: number;
  /** Null in rows of an older schema (the seed then starts the sequence afresh). */
  readonly lastIntervalSeconds: number | null;
}

export interface HistoryRow {
  readonly historyId: number;
  readonly machineId: string;
  readonly process: string;
  readonly event: WorkHistoryEvent;
  readonly failedCause: string | null;
  readonly timestamp: number;
}

/** The queries, on one transaction (or any statement runner). */
export class Queries {
  constructor(private readonly tx: Transaction) {}

  private exec(sql: string, params: readonly Param[]): Promise<ExecReply> {
    return this.tx.exec(sql, params);
  }

  async newSession(params: {
    sessionId: string;
    componentName: string;
    runtimeInfo: string;
    intervalSeconds: number;
    now: number;
  }): Promise<void> {
    await this.exec(
      "INSERT INTO sessions (session_id, session_component_name, session_runtime_info, session_created_at, session_interval_seconds, session_deadline) VALUES (?, ?, ?, ?, ?, ?)",
      [
        params.sessionId,
        params.componentName,
        params.runtimeInfo,
        params.now,
        params.intervalSeconds,
        params.now + params.intervalSeconds * 1_000,
      ],
    );
  }

  /** The session if it is still live at `now` (its deadline not passed). */
  async sessionCheck(sessionId: string, now: number): Promise<string[]> {
    const reply = await this.exec("SELECT session_id FROM sessions WHERE session_id = ? AND session_deadline > ?", [
      sessionId,
      now,
    ]);
    return reply.rows.map((row) => String(row[0]));
  }

  /** Moves the session's deadline to `now` + its interval. */
  async sessionPoke(sessionId: string, now: number): Promise<void> {
    await this.exec("UPDATE sessions SET session_deadline = ? + session_interval_seconds * 1000 WHERE session_id = ?", [
      now,
      sessionId,
    ]);
  }

  /**
   * Session garbage collection: deletes every session expired at `now` and the
   * work it held ("if the session expires, so does the work item"). Returns how
   * many sessions went.
   */
  async sessionsCollect(now: number): Promise<number> {
    await this.exec(
      "DELETE FROM work WHERE session_id IN (SELECT session_id FROM sessions WHERE session_deadline <= ?)",
      [now],
    );
    return (await this.exec("DELETE FROM sessions WHERE session_deadline <= ?", [now])).changes;
  }

  async startWork(params: { machineId: string; sessionId: string; process: string }): Promise<void> {
    await this.exec("INSERT INTO work (machine_id, session_id, process) VALUES (?, ?, ?)", [
      params.machineId,
      params.sessionId,
      params.process,
    ]);
  }

  /** Deletes the work row of this session; returns whether it was there. */
  async finishWork(params: { machineId: string; sessionId: string; process: string }): Promise<boolean> {
    const reply = await this.exec("DELETE FROM work WHERE machine_id = ? AND session_id = ? AND process = ?", [
      params.machineId,
      params.sessionId,
      params.process,
    ]);
    return reply.changes > 0;
  }

  async workHistoryInsert(params: {
    machineId: string;
    process: string;
    event: WorkHistoryEvent;
    failedCause?: string;
    now: number;
  }): Promise<void> {
    await this.exec(
      "INSERT INTO work_history (machine_id, process, event, failed_cause, timestamp) VALUES (?, ?, ?, ?, ?)",
      [params.machineId, params.process, params.event, params.failedCause ?? null, params.now],
    );
  }

  async workBackoffOf(params: { machineId: string; process: string }): Promise<WorkBackoffRow[]> {
    const reply = await this.exec(
      "SELECT cause, until, last_interval_seconds FROM work_backoff WHERE machine_id = ? AND process = ?",
      [params.machineId, params.process],
    );
    return reply.rows.map((row) => ({
      cause: String(row[0]),
      until: Number(row[1]),
      lastIntervalSeconds: row[2] === null ? null : Number(row[2]),
    }));
  }

  async workBackoffInsert(params: {
    machineId: string;
    process: string;
    cause: string;
    seconds: number;
    now: number;
  }): Promise<void> {
    await this.exec(
      "INSERT OR REPLACE INTO work_backoff (machine_id, process, cause, until, last_interval_seconds) VALUES (?, ?, ?, ?, ?)",
      [params.machineId, params.process, params.cause, params.now + params.seconds * 1_000, params.seconds],
    );
  }

  async workBackoffDelete(params: { machineId: string; process: string }): Promise<void> {
    await this.exec("DELETE FROM work_backoff WHERE machine_id = ? AND process = ?", [
      params.machineId,
      params.process,
    ]);
  }

  async machineAdd(machineId: string, now: number): Promise<void> {
    await this.exec("INSERT OR IGNORE INTO machines (machine_id, machine_created_at) VALUES (?, ?)", [machineId, now]);
  }

  async machineTag(machineId: string, tag: string): Promise<void> {
    await this.exec("INSERT OR IGNORE INTO machine_tags (machine_id, tag) VALUES (?, ?)", [machineId, tag]);
  }

  async machineTags(machineId: string): Promise<string[]> {
    const reply = await this.exec("SELECT tag FROM machine_tags WHERE machine_id = ? ORDER BY tag", [machineId]);
    return reply.rows.map((row) => String(row[0]));
  }

  /**
   * Machines eligible for `process` at `now`: tagged `requiredTag`, not tagged
   * `doneTag`, not being worked on by `process`, not in a backoff of `process`
   * that lasts past `now` (or past `backoffUntilAfter` when given: a scenario's
   * broken variant passes a far future to ignore backoffs). Oldest first, at most `limit`.
   */
  async machinesEligible(params: {
    process: string;
    requiredTag: string;
    doneTag: string;
    now: number;
    limit: number;
    backoffUntilAfter?: number;
  }): Promise<string[]> {
    const reply = await this.exec(
      `SELECT m.machine_id FROM machines m
       WHERE EXISTS (SELECT 1 FROM machine_tags t WHERE t.machine_id = m.machine_id AND t.tag = ?)
         AND NOT EXISTS (SELECT 1 FROM machine_tags t WHERE t.machine_id = m.machine_id AND t.tag = ?)
         AND NOT EXISTS (SELECT 1 FROM work w WHERE w.machine_id = m.machine_id AND w.process = ?)
         AND NOT EXISTS (SELECT 1 FROM work_backoff b WHERE b.machine_id = m.machine_id AND b.process = ? AND b.until > ?)
       ORDER BY m.machine_created_at, m.machine_id LIMIT ?`,
      [
        params.requiredTag,
        params.doneTag,
        params.process,
        params.process,
        params.backoffUntilAfter ?? params.now,
        params.limit,
      ],
    );
    return reply.rows.map((row) => String(row[0]));
  }

  async history(): Promise<HistoryRow[]> {
    const reply = await this.exec(
      "SELECT history_id, machine_id, process, event, failed_cause, timestamp FROM work_history ORDER BY history_id",
      [],
    );
    return reply.rows.map((row) => ({
      historyId: Number(row[0]),
      machineId: String(row[1]),
      process: String(row[2]),
      event: String(row[3]) as WorkHistoryEvent,
      failedCause: row[4] === null ? null : String(row[4]),
      timestamp: Number(row[5]),
    }));
  }
}
