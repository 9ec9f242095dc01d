/**
 * Random SQL workloads on one small table `kv(k INTEGER PRIMARY KEY, v)`, and the
 * model of what the table holds after the transactions that succeeded.
 *
 * A workload is a list of transactions; each transaction is a list of operations
 * run as one `BEGIN; ...; COMMIT` (or in autocommit mode when it has a single
 * operation). Bulk inserts of large values make SQLite spill pages before the
 * commit when the cache is small; `now` and `random` operations read SQLite's
 * clock and PRNG, which must come from the host's inputs.
 */
import fc from "fast-check";
import { SqliteError, type SqliteConnection, type SqlValue } from "../../../../src/impl/dqlite/sqlite/engine.ts";

export type Operation =
  | { readonly kind: "insert"; readonly key: number; readonly size: number }
  | { readonly kind: "update"; readonly key: number; readonly size: number }
  | { readonly kind: "delete"; readonly key: number }
  | { readonly kind: "bulk"; readonly firstKey: number; readonly count: number; readonly size: number }
  | { readonly kind: "now"; readonly key: number }
  | { readonly kind: "random"; readonly key: number };

export type Transaction = readonly Operation[];

export interface Workload {
  /** PRAGMA cache_size of the connection, in pages. */
  readonly cacheSizePages: number;
  readonly transactions: readonly Transaction[];
}

const KEYS_MAX = 40;

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      key: fc.integer({ min: 1, max: KEYS_MAX }),
      size: fc.integer({ min: 0, max: 3000 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("update" as const),
      key: fc.integer({ min: 1, max: KEYS_MAX }),
      size: fc.integer({ min: 0, max: 3000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 1, max: KEYS_MAX }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("bulk" as const),
      firstKey: fc.integer({ min: 100, max: 1000 }),
      count: fc.integer({ min: 10, max: 80 }),
      size: fc.integer({ min: 500, max: 2000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("now" as const), key: fc.integer({ min: 1, max: KEYS_MAX }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("random" as const), key: fc.integer({ min: 1, max: KEYS_MAX }) }),
  },
);

/** Workloads of up to `transactionsMax` transactions, with caches from tiny (spills) to SQLite-sized. */
export function workloadArbitrary(transactionsMax = 8): fc.Arbitrary<Workload> {
  return fc.record({
    cacheSizePages: fc.constantFrom(5, 10, 50, 2000),
    transactions: fc.array(fc.array(operation, { minLength: 1, maxLength: 5 }), {
      minLength: 1,
      maxLength: transactionsMax,
    }),
  });
}

/** SQL and parameters of one operation (upserts, so that any order of keys is valid). */
function statementOf(operation: Operation): { readonly sql: string; readonly params: SqlValue[] } {
  switch (operation.kind) {
    case "insert":
    case "update":
      return {
        sql: "INSERT INTO kv(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
        params: [operation.key, valueOf(operation.key, operation.size)],
      };
    case "delete":
      return { sql: "DELETE FROM kv WHERE k = ?", params: [operation.key] };
    case "bulk":
      return {
        sql: "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) INSERT INTO kv(k, v) SELECT ? + i, printf('%.*c', ?, 'b') FROM n WHERE true ON CONFLICT(k) DO UPDATE SET v = excluded.v",
        params: [operation.count, operation.firstKey, operation.size],
      };
    case "now":
      return {
        sql: "INSERT INTO kv(k, v) VALUES (?, julianday('now')) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
        params: [operation.key],
      };
    case "random":
      return {
        sql: "INSERT INTO kv(k, v) VALUES (?, randomblob(16)) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
        params: [operation.key],
      };
  }
}

function valueOf(key: number, size: number): string {
  return `${key}:`.padEnd(size, String.fromCharCode(97 + (key % 26)));
}

/** Creates the table (one transaction of its own). */
export async function createTable(connection: SqliteConnection): Promise<void> {
  await connection.exec("CREATE TABLE kv(k INTEGER PRIMARY KEY, v)");
}

/** How a transaction ended: committed, or failed with a SqliteError (and rolled back if SQLite left it open). */
export type TransactionOutcome =
  | { readonly committed: true }
  | { readonly committed: false; readonly error: SqliteError };

/** Runs one transaction. Errors other than SqliteError reject. */
export async function runTransaction(
  connection: SqliteConnection,
  transaction: Transaction,
): Promise<TransactionOutcome> {
  const explicit = transaction.length > 1;
  try {
    if (explicit) await connection.exec("BEGIN");
    for (const each of transaction) {
      const { sql, params } = statementOf(each);
      await connection.exec(sql, params);
    }
    if (explicit) await connection.exec("COMMIT");
    return { committed: true };
  } catch (error) {
    if (!(error instanceof SqliteError)) throw error;
    if (!connection.autocommit()) await connection.exec("ROLLBACK");
    return { committed: false, error };
  }
}

/**
 * The keys the table holds after `committed` transactions, with which kind of value (values of now/random are not
 * modelled).
 */
export function modelKeys(committed: readonly Transaction[]): Map<number, string | "clock" | "random" | "bulk"> {
  const model = new Map<number, string | "clock" | "random" | "bulk">();
  for (const transaction of committed) {
    for (const each of transaction) {
      switch (each.kind) {
        case "insert":
        case "update":
          model.set(each.key, valueOf(each.key, each.size));
          break;
        case "delete":
          model.delete(each.key);
          break;
        case "bulk":
          for (let index = 0; index < each.count; index++) model.set(each.firstKey + index, "bulk");
          break;
        case "now":
          model.set(each.key, "clock");
          break;
        case "random":
          model.set(each.key, "random");
          break;
      }
    }
  }
  return model;
}

/** The table's keys with the same abstraction of values as `modelKeys`. */
export async function tableKeys(
  connection: SqliteConnection,
): Promise<Map<number, string | "clock" | "random" | "bulk">> {
  const result = await connection.exec("SELECT k, v FROM kv ORDER BY k");
  const table = new Map<number, string | "clock" | "random" | "bulk">();
  for (const [key, value] of result.rows) {
    const abstract =
      typeof value === "number"
        ? "clock"
        : value instanceof Uint8Array
          ? "random"
          : typeof value === "string" && value.startsWith("b")
            ? "bulk"
            : String(value);
    table.set(Number(key), abstract);
  }
  return table;
}
