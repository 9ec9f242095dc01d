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

/** Statements a connection keeps prepared (the ones it ran last), each for one SQL text. */
export const STATEMENT_CACHE_MAX = 16;

/**
 * The prepared statements of the last single-statement SQL texts a connection ran,
 * reset (not finalized) after each run, so that running the same text again skips
 * SQLite's parse, as a client that prepares once and executes many times does. A
 * statement whose run failed is finalized, never kept; past STATEMENT_CACHE_MAX the
 * least recently used one is finalized. The owner finalizes them all (`finalizeAll`)
 * before closing the connection (sqlite3_close refuses while a statement is left).
 * The caller holds the engine's lock, as for every call into the module.
 */
export class StatementCache {
  /** SQL text to statement, least recently used first. */
  private readonly statements = new Map<string, number>();

  constructor(
    private readonly binding: SqliteBinding,
    private readonly sizeMax = STATEMENT_CACHE_MAX,
  ) {
    assert(Number.isSafeInteger(sizeMax) && sizeMax >= 1, `statement cache size must be positive, got ${sizeMax}`);
  }

  /** Takes the statement kept for `sql` out of the cache (0 when none): the caller then keeps or finalizes it. */
  take(sql: string): number {
    const statement = this.statements.get(sql) ?? 0;
    if (statement !== 0) this.statements.delete(sql);
    return statement;
  }

  /** Keeps `statement` (already reset) for `sql`, finalizing the least recently used one past the limit. */
  async keep(sql: string, statement: number): Promise<void> {
    assert(!this.statements.has(sql), `a statement is already kept for ${JSON.stringify(sql)}`);
    this.statements.set(sql, statement);
    if (this.statements.size <= this.sizeMax) return;
    const [oldestSql, oldest] = this.statements.entries().next().value as [string, number];
    this.statements.delete(oldestSql);
    await this.binding.finalize(oldest);
  }

  /** Finalizes every kept statement (idempotent). */
  async finalizeAll(): Promise<void> {
    const statements = [...this.statements.values()];
    this.statements.clear();
    for (const statement of statements) await this.binding.finalize(statement);
  }
}

/**
 * Runs every statement of `sql`, each bound with `params`. Throws SqliteError on
 * the first failure. `rowId` reads the last rowid (a one-off statement without it).
 * With a `cache`, a text that is one statement runs on the statement kept for it,
 * or is kept once it ran (see StatementCache).
 */
export async function runSql(
  binding: SqliteBinding,
  db: number,
  sql: string,
  params?: SqlParams,
  rowId?: LastInsertRowIdQuery,
  cache?: StatementCache,
): Promise<ExecResult> {
  const kept = cache?.take(sql) ?? 0;
  const last =
    kept !== 0 && cache !== undefined
      ? await runStatement(binding, db, kept, params, { cache, sql })
      : await runText(binding, db, sql, params, cache);
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

/** Prepares and runs the statements of `sql` one after the other; a text of one statement goes to `cache`. */
async function runText(
  binding: SqliteBinding,
  db: number,
  sql: string,
  params: SqlParams | undefined,
  cache: StatementCache | undefined,
): Promise<StatementResult> {
  const text = binding.copyIn(sql);
  const end = text.pointer + text.length;
  let next = text.pointer;
  let last: StatementResult = { columns: [], rows: [] };
  try {
    while (next < end) {
      const prepared = await binding.prepare(db, next);
      if (prepared.code !== SQLITE_OK) throw failure(binding, db, prepared.code);
      assert(prepared.tail > next && prepared.tail <= end, "sqlite3_prepare_v2 made no progress through the SQL text");
      const whole = next === text.pointer && prepared.tail === end;
      next = prepared.tail;
      // An empty statement (";", a comment) prepares to nothing.
      if (prepared.statement === 0) continue;
      const keep = whole && cache !== undefined ? { cache, sql } : undefined;
      const result = await runStatement(binding, db, prepared.statement, params, keep);
      if (result.columns.length > 0) last = result;
    }
  } finally {
    binding.free(text.pointer);
  }
  return last;
}

/**
 * Steps a prepared statement to its end, then finalizes it, or with `keep` resets it
 * and keeps it in the cache; a statement whose run failed is always finalized.
 */
async function runStatement(
  binding: SqliteBinding,
  db: number,
  statement: number,
  params: SqlParams | undefined,
  keep?: { readonly cache: StatementCache; readonly sql: string },
): Promise<StatementResult> {
  let result: StatementResult;
  try {
    result = await stepToEnd(binding, db, statement, params);
  } catch (error) {
    // After a failed step, finalize repeats that step's error: already reported.
    await binding.finalize(statement);
    throw error;
  }
  if (keep !== undefined) {
    const code = await binding.reset(statement);
    if (code === SQLITE_OK) {
      await keep.cache.keep(keep.sql, statement);
      return result;
    }
    await binding.finalize(statement);
    throw failure(binding, db, code);
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
  let columns: string[] | undefined;
  const rows: SqlValue[][] = [];
  while (true) {
    const code = await binding.step(statement);
    if (code !== SQLITE_DONE && code !== SQLITE_ROW) throw failure(binding, db, code);
    // Named after the first step: there SQLite re-prepares a kept statement the schema changed under.
    columns ??= Array.from({ length: binding.columnCount(statement) }, (_, index) =>
      binding.columnName(statement, index),
    );
    if (code === SQLITE_DONE) return { columns, rows };
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
