/**
 * Runs a string of one or more SQL statements on a connection: prepare, bind,
 * step, finalize, one statement after the other, stopping at the first error.
 * The caller holds the engine's lock (one call into the module at a time).
 */
import { assert } from "../../../sim/assert.ts";
import type { SqliteBinding, SqlValue } from "./binding.ts";
import { SQLITE_DONE, SQLITE_OK, SQLITE_RANGE, SQLITE_ROW, SQLITE_TOOBIG, SqliteError } from "./sqlite-error.ts";

/** Parameters: positional (`?`, `?NNN`, or named ones in order) or by name (with or without the `:`/`@`/`$` prefix). */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

/** What `exec` returns. */
export interface ExecResult {
  /** Column names of the last statement that has columns (a query), else empty. */
  readonly columns: readonly string[];
  /** Rows of that same statement (empty if it returned none). */
  readonly rows: readonly (readonly SqlValue[])[];
  /** Rows changed by the last INSERT, UPDATE or DELETE that completed on the connection (sqlite3_changes). */
  readonly changes: number;
  /** The connection's last inserted rowid (sqlite3_last_insert_rowid). */
  readonly lastInsertRowId: number | bigint;
}

/** Rows one call may return at most; more fails with SQLITE_TOOBIG (a limit on every buffer). */
export const EXEC_ROWS_MAX = 100_000;

interface StatementResult {
  readonly columns: readonly string[];
  readonly rows: SqlValue[][];
}

/**
 * `SELECT last_insert_rowid()` prepared once for a connection, stepped and reset
 * after each `runSql` instead of prepared and finalized every time. The owner
 * finalizes it before closing the connection (sqlite3_close refuses while a
 * statement is left). It reads no table, so it never reaches the VFS.
 */
export class LastInsertRowIdQuery {
  private statement = 0;

  constructor(
    private readonly binding: SqliteBinding,
    private readonly db: number,
  ) {}

  async read(): Promise<number | bigint> {
    if (this.statement === 0) this.statement = await prepareText(this.binding, this.db, "SELECT last_insert_rowid()");
    try {
      const code = await this.binding.step(this.statement);
      if (code !== SQLITE_ROW) throw failure(this.binding, this.db, code);
      const value = this.binding.column(this.statement, 0);
      assert(typeof value === "number" || typeof value === "bigint", "last_insert_rowid() returned no integer");
      return value;
    } finally {
      await this.binding.reset(this.statement);
    }
  }

  /** Finalizes the statement (idempotent). */
  async finalize(): Promise<void> {
    if (this.statement === 0) return;
    const statement = this.statement;
    this.statement = 0;
    await this.binding.finalize(statement);
  }
}

/**
 * Runs every statement of `sql`, each bound with `params`. Throws SqliteError on
 * the first failure. `rowId` reads the last rowid (a one-off statement without it).
 */
export async function runSql(
  binding: SqliteBinding,
  db: number,
  sql: string,
  params?: SqlParams,
  rowId?: LastInsertRowIdQuery,
): Promise<ExecResult> {
  const text = binding.copyIn(sql);
  const end = text.pointer + text.length;
  let next = text.pointer;
  let last: StatementResult = { columns: [], rows: [] };
  try {
    while (next < end) {
      const prepared = await binding.prepare(db, next);
      if (prepared.code !== SQLITE_OK) throw failure(binding, db, prepared.code);
      assert(prepared.tail > next && prepared.tail <= end, "sqlite3_prepare_v2 made no progress through the SQL text");
      next = prepared.tail;
      // An empty statement (";", a comment) prepares to nothing.
      if (prepared.statement === 0) continue;
      const result = await runStatement(binding, db, prepared.statement, params);
      if (result.columns.length > 0) last = result;
    }
  } finally {
    binding.free(text.pointer);
  }
  const changes = binding.changes(db);
  const lastInsertRowId =
    rowId !== undefined
      ? await rowId.read()
      : (await runStatementText(binding, db, "SELECT last_insert_rowid()")).rows[0]?.[0];
  assert(
    typeof lastInsertRowId === "number" || typeof lastInsertRowId === "bigint",
    "last_insert_rowid() returned no integer",
  );
  return { columns: last.columns, rows: last.rows, changes, lastInsertRowId };
}

/** Steps a prepared statement to its end and finalizes it, whatever happens. */
async function runStatement(
  binding: SqliteBinding,
  db: number,
  statement: number,
  params: SqlParams | undefined,
): Promise<StatementResult> {
  let result: StatementResult;
  try {
    result = await stepToEnd(binding, db, statement, params);
  } catch (error) {
    // After a failed step, finalize repeats that step's error: already reported.
    await binding.finalize(statement);
    throw error;
  }
  const code = await binding.finalize(statement);
  if (code !== SQLITE_OK) throw failure(binding, db, code);
  return result;
}

async function stepToEnd(
  binding: SqliteBinding,
  db: number,
  statement: number,
  params: SqlParams | undefined,
): Promise<StatementResult> {
  bindParameters(binding, statement, params);
  const columns = Array.from({ length: binding.columnCount(statement) }, (_, index) =>
    binding.columnName(statement, index),
  );
  const rows: SqlValue[][] = [];
  while (true) {
    const code = await binding.step(statement);
    if (code === SQLITE_DONE) return { columns, rows };
    if (code !== SQLITE_ROW) throw failure(binding, db, code);
    if (rows.length >= EXEC_ROWS_MAX)
      throw new SqliteError(SQLITE_TOOBIG, `a statement returned more than ${EXEC_ROWS_MAX} rows`);
    rows.push(Array.from({ length: columns.length }, (_, index) => binding.column(statement, index)));
  }
}

/** Runs one statement given as text (no parameters). */
async function runStatementText(binding: SqliteBinding, db: number, sql: string): Promise<StatementResult> {
  return runStatement(binding, db, await prepareText(binding, db, sql), undefined);
}

/** Prepares one statement given as text; throws SqliteError if it fails or is empty. */
async function prepareText(binding: SqliteBinding, db: number, sql: string): Promise<number> {
  const text = binding.copyIn(sql);
  try {
    const prepared = await binding.prepare(db, text.pointer);
    if (prepared.code !== SQLITE_OK) throw failure(binding, db, prepared.code);
    assert(prepared.statement !== 0, `"${sql}" prepared to no statement`);
    return prepared.statement;
  } finally {
    binding.free(text.pointer);
  }
}

function bindParameters(binding: SqliteBinding, statement: number, params: SqlParams | undefined): void {
  const count = binding.parameterCount(statement);
  for (let index = 1; index <= count; index++) {
    const name = binding.parameterName(statement, index);
    const value = parameterValue(params, index, name);
    if (value === undefined) throw new SqliteError(SQLITE_RANGE, `no value for parameter ${name ?? `?${index}`}`);
    assert(isSqlValue(value), `parameter ${name ?? `?${index}`} is not an SQL value: ${typeof value}`);
    const code = binding.bind(statement, index, value);
    if (code !== SQLITE_OK) throw new SqliteError(code, `binding parameter ${name ?? `?${index}`} failed`);
  }
}

function parameterValue(params: SqlParams | undefined, index: number, name: string | null): SqlValue | undefined {
  if (params === undefined) return undefined;
  if (isPositional(params)) return params[index - 1];
  if (name === null) return undefined;
  if (Object.hasOwn(params, name)) return params[name];
  const bare = name.slice(1);
  return Object.hasOwn(params, bare) ? params[bare] : undefined;
}

function isPositional(params: SqlParams): params is readonly SqlValue[] {
  return Array.isArray(params);
}

function isSqlValue(value: unknown): value is SqlValue {
  return value === null || value instanceof Uint8Array || ["number", "bigint", "string"].includes(typeof value);
}

/** The SqliteError for a failed call, with the connection's message. */
export function failure(binding: SqliteBinding, db: number, code: number): SqliteError {
  return new SqliteError(code, binding.errorMessage(db));
}
