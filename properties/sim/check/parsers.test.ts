/**
 * Unit tests of the reference-data parsers: they read the documented formats,
 * skip lines that are not operations, apply the Jepsen outcome semantics, and
 * reject a malformed operation line with a HistoryParseError naming file and line.
 */
import { describe, expect, it } from "vitest";
import { historyToOperations } from "../../../src/sim/check/operation.ts";
import { HistoryParseError } from "../../../src/sim/check/parsers/history-parse-error.ts";
import { parseJepsenEtcdLog } from "../../../src/sim/check/parsers/jepsen-etcd-log.ts";
import { parseKeyValueHistory } from "../../../src/sim/check/parsers/key-value-history.ts";

const jepsen = (...lines: string[]): string =>
  lines.map((line) => (line.startsWith("INFO") || line === "" ? line : `INFO  jepsen.util - ${line}`)).join("\n");

function parseError(parse: () => unknown): HistoryParseError {
  try {
    parse();
  } catch (error) {
    if (error instanceof HistoryParseError) return error;
    throw error;
  }
  throw new Error("expected a HistoryParseError");
}

describe("parseJepsenEtcdLog", () => {
  it("reads operations, skips other lines, and applies the outcome semantics", () => {
    const text = jepsen(
      "0\t:invoke\t:write\t3",
      "",
      "INFO  jepsen.core - Run complete, writing",
      "INFO  jepsen.util - :nemesis\t:info\t:start\tnil",
      "0\t:ok\t:write\t3",
      "1\t:invoke\t:cas\t[3 4]",
      "1\t:fail\t:cas\t[3 4]",
      "2\t:invoke\t:read\tnil",
      "2\t:fail\t:read\t:timed-out",
      "2   :invoke :read   nil",
      "2   :ok     :read   nil",
      "3\t:invoke\t:write\t1",
      "3\t:info\t:write\t:timed-out",
    );
    const operations = historyToOperations(parseJepsenEtcdLog(text, "example.log"));
    expect(
      operations.map((operation) => [
        operation.process,
        operation.input,
        operation.outcome,
        operation.output,
        operation.callTime,
      ]),
    ).toEqual([
      [0, { f: "write", value: 3 }, "ok", null, 1],
      [1, { f: "cas", value: [3, 4] }, "ok", false, 6],
      [2, { f: "read", value: null }, "unknown", undefined, 8],
      [2, { f: "read", value: null }, "ok", null, 10],
      [3, { f: "write", value: 1 }, "unknown", undefined, 12],
    ]);
  });

  it.each([
    ["a garbled line", ["0\t:invoke\t:write\tthree"], 1, /malformed operation line/],
    ["a garbled process", ["0x\t:invoke\t:read\tnil"], 1, /malformed operation line/],
    ["an unknown function", ["0\t:invoke\t:delete\t3"], 1, /malformed/],
    ["a completion without invoke", ["0\t:ok\t:read\t1"], 1, /no open operation/],
    [
      "a second invoke while open",
      ["0\t:invoke\t:read\tnil", "0\t:invoke\t:read\tnil"],
      2,
      /previous operation is open/,
    ],
    [
      "a process reused after :info",
      ["0\t:invoke\t:read\tnil", "0\t:info\t:read\t:timed-out", "0\t:invoke\t:read\tnil"],
      3,
      /after :info/,
    ],
    ["a completion of another function", ["0\t:invoke\t:read\tnil", "0\t:ok\t:write\t1"], 2, /completes a :read/],
    ["a cas completion with other arguments", ["0\t:invoke\t:cas\t[1 2]", "0\t:fail\t:cas\t[1 3]"], 2, /differs/],
    ["a write invoked with nil", ["0\t:invoke\t:write\tnil"], 1, /integer value/],
  ])("rejects %s with file and line", (_name, lines, line, reason) => {
    const error = parseError(() => parseJepsenEtcdLog(jepsen(...lines), "bad.log"));
    expect(error.file).toBe("bad.log");
    expect(error.line).toBe(line);
    expect(error.reason).toMatch(reason);
    expect(error.message).toMatch(new RegExp(`^bad\\.log:${line}: `));
  });
});

describe("parseKeyValueHistory", () => {
  it("reads EDN maps, skips other lines, and keeps outputs of gets", () => {
    const text = [
      '{:process 0, :type :invoke, :f :append, :key "k", :value "x \\"1\\" y"}',
      "",
      "; a comment",
      '{:process 0, :type :ok, :f :append, :key "k", :value "x \\"1\\" y"}',
      '{:process 1, :type :invoke, :f :get, :key "k", :value nil}',
      '{:process 1, :type :ok, :f :get, :key "k", :value "x \\"1\\" y"}',
      '{:process 2, :type :invoke, :f :put, :key "j", :value "v"}',
      '{:process 2, :type :fail, :f :put, :key "j", :value "v"}',
    ].join("\n");
    const operations = historyToOperations(parseKeyValueHistory(text, "kv.txt"));
    expect(operations.map((operation) => [operation.input, operation.output])).toEqual([
      [{ f: "append", key: "k", value: 'x "1" y' }, null],
      [{ f: "get", key: "k", value: null }, 'x "1" y'],
    ]);
  });

  it.each([
    ["an unterminated string", ['{:process 0, :type :invoke, :f :get, :key "k, :value nil}'], 1, /unterminated string/],
    ["a missing key", ["{:process 0, :type :invoke, :f :get, :value nil}"], 1, /:key must be a string/],
    ["an unknown type", ['{:process 0, :type :begin, :f :get, :key "k", :value nil}'], 1, /:type must be one of/],
    ["text after the map", ['{:process 0, :type :invoke, :f :get, :key "k", :value nil} extra'], 1, /after the map/],
    ["a duplicate key", ['{:process 0, :process 1, :type :invoke, :f :get, :key "k", :value nil}'], 1, /duplicate/],
    [
      "a completion on another key",
      [
        '{:process 0, :type :invoke, :f :get, :key "k", :value nil}',
        '{:process 0, :type :ok, :f :get, :key "j", :value ""}',
      ],
      2,
      /does not match its invoke/,
    ],
  ])("rejects %s with file and line", (_name, lines, line, reason) => {
    const error = parseError(() => parseKeyValueHistory(lines.join("\n"), "bad.txt"));
    expect([error.file, error.line]).toEqual(["bad.txt", line]);
    expect(error.reason).toMatch(reason);
  });
});
