/**
 * Parser for the key-value histories in testdata/histories/kv (see its README):
 * one EDN map per line,
 *   `{:process P, :type :invoke|:ok|:fail|:info, :f :get|:put|:append, :key "K", :value "V"}`.
 * A line whose first non-blank character is `{` is an operation and must parse;
 * other lines (blank, comments, log output) are skipped. Errors are
 * `HistoryParseError`s naming the file and line.
 *
 * Semantics: `:ok` completes an operation (a get's value is what it read); a
 * `:fail` certainly had no effect; an `:info` has an unknown outcome and retires
 * its process. An invoke of a get has value nil; a completion must repeat its
 * invoke's f and key (and, for put and append, the value).
 *
 * Positions: the event time is the line number.
 */
import { HistoryRecorder } from "../history-recorder.ts";
import type { OperationHandle } from "../history-recorder.ts";
import type { History } from "../history.ts";
import type { KeyValueInput, KeyValueOutput } from "../models/key-value.ts";
import { readEdnMap } from "./edn-map.ts";
import type { EdnValue } from "./edn-map.ts";
import { HistoryParseError } from "./history-parse-error.ts";

interface KeyValueLine {
  readonly process: number;
  readonly type: "invoke" | "ok" | "fail" | "info";
  readonly f: KeyValueInput["f"];
  readonly key: string;
  readonly value: string | null;
}

interface ProcessState {
  open?: { readonly handle: OperationHandle; readonly input: KeyValueInput };
  retired: boolean;
}

/** Parses one key-value history; `file` names it in errors. */
export function parseKeyValueHistory(text: string, file: string): History<KeyValueInput, KeyValueOutput> {
  const recorder = new HistoryRecorder<KeyValueInput, KeyValueOutput>();
  const processes = new Map<number, ProcessState>();
  text.split("\n").forEach((rawLine, lineIndex) => {
    const line = rawLine.replace(/\r$/, "");
    if (!line.trimStart().startsWith("{")) return;
    const fail = (reason: string): never => {
      throw new HistoryParseError(file, lineIndex + 1, reason, line);
    };
    const parsed = readLine(line, fail);
    let state = processes.get(parsed.process);
    if (state === undefined) processes.set(parsed.process, (state = { retired: false }));
    const time = lineIndex + 1;
    if (parsed.type === "invoke") {
      if (state.retired) fail(`process ${parsed.process} invokes again after :info`);
      if (state.open !== undefined) fail(`process ${parsed.process} invokes while its previous operation is open`);
      const input = invocationInput(parsed, fail);
      state.open = { handle: recorder.invoke(parsed.process, input, time), input };
      return;
    }
    const open = state.open ?? fail(`:${parsed.type} for process ${parsed.process}, which has no open operation`);
    if (open.input.f !== parsed.f || open.input.key !== parsed.key)
      fail(`:${parsed.type} does not match its invoke (:${open.input.f} ${JSON.stringify(open.input.key)})`);
    state.open = undefined;
    if (parsed.type === "info") {
      state.retired = true;
      recorder.info(open.handle, time);
    } else if (parsed.type === "fail") {
      recorder.fail(open.handle, time);
    } else {
      recorder.ok(open.handle, completionOutput(open.input, parsed, fail), time);
    }
  });
  return recorder.history();
}

function readLine(line: string, fail: (reason: string) => never): KeyValueLine {
  const map = readEdnMap(line);
  if (typeof map === "string") return fail(`malformed operation line: ${map}`);
  const process = map.get("process");
  if (typeof process !== "number") return fail(":process must be an integer");
  const type = keywordField(map, "type", ["invoke", "ok", "fail", "info"], fail);
  const f = keywordField(map, "f", ["get", "put", "append"], fail);
  const key = map.get("key");
  if (typeof key !== "string") return fail(":key must be a string");
  const value = map.get("value");
  if (value === undefined) return fail(":value is missing");
  if (value !== null && typeof value !== "string") return fail(":value must be a string or nil");
  return { process, type, f, key, value };
}

function keywordField<Name extends string>(
  map: Map<string, EdnValue>,
  field: string,
  allowed: readonly Name[],
  fail: (reason: string) => never,
): Name {
  const value = map.get(field);
  if (typeof value !== "object" || value === null || !allowed.includes(value.keyword as Name)) {
    return fail(`:${field} must be one of ${allowed.map((name) => `:${name}`).join(" ")}`);
  }
  return value.keyword as Name;
}

function invocationInput(parsed: KeyValueLine, fail: (reason: string) => never): KeyValueInput {
  if (parsed.f === "get")
    return parsed.value === null
      ? { f: "get", key: parsed.key, value: null }
      : fail(":invoke :get must have value nil");
  return parsed.value === null
    ? fail(`:invoke :${parsed.f} must have a string value`)
    : { f: parsed.f, key: parsed.key, value: parsed.value };
}

function completionOutput(input: KeyValueInput, parsed: KeyValueLine, fail: (reason: string) => never): KeyValueOutput {
  if (input.f === "get") return parsed.value ?? fail(":ok :get must have a string value");
  if (parsed.value !== input.value)
    fail(`:ok :${input.f} value differs from the invoked ${JSON.stringify(input.value)}`);
  return null;
}
