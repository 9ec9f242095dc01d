/**
 * Parser for the Jepsen etcd register logs in testdata/histories/jepsen-etcd (see
 * its README). An operation line is
 *   `INFO  jepsen.util - <process> <type> <f> <value>`
 * with the four fields separated by tabs (a few files pad them with spaces
 * instead; both are accepted). A line is a client operation when it starts with
 * `INFO jepsen.util -` and a process number; other lines (blank, other loggers,
 * nemesis operations such as `:nemesis :info :start`) are skipped. An operation
 * line that cannot be read is a `HistoryParseError`.
 *
 * Semantics (README): `:ok` completes an operation. A `:fail` on a cas ran and
 * returned false: recorded as ok with output false (the register did not hold
 * the expected value at its linearization point; nothing changed). A `:fail`
 * whose value is a keyword (`:fail :read :timed-out`) and every `:info` have an
 * unknown outcome; any other `:fail` certainly had no effect. A process number
 * is not reused after `:info`.
 *
 * Positions: the event time is the line number, so the history's order is the
 * file's order.
 */
import { HistoryRecorder } from "../history-recorder.ts";
import type { OperationHandle } from "../history-recorder.ts";
import type { History } from "../history.ts";
import type { RegisterInput, RegisterOutput } from "../models/cas-register.ts";
import { HistoryParseError } from "./history-parse-error.ts";

/** A client operation line: the jepsen.util logger, then a process number. */
const operationLinePrefix = /^INFO\s+jepsen\.util\s+-\s+(?=\d)/;
const operationFields =
  /^(\d+)[ \t]+:(invoke|ok|fail|info)[ \t]+:(read|write|cas)[ \t]+(nil|-?\d+|\[-?\d+ -?\d+\]|:[a-z][a-z-]*)[ \t]*$/;

type JepsenValue = null | number | readonly [number, number] | { readonly keyword: string };

interface ProcessState {
  open?: { readonly handle: OperationHandle; readonly input: RegisterInput };
  retired: boolean;
}

/** Parses one Jepsen etcd log; `file` names it in errors. */
export function parseJepsenEtcdLog(text: string, file: string): History<RegisterInput, RegisterOutput> {
  const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>();
  const processes = new Map<number, ProcessState>();
  const lines = text.split("\n");
  lines.forEach((rawLine, lineIndex) => {
    const line = rawLine.replace(/\r$/, "");
    const prefix = operationLinePrefix.exec(line);
    if (prefix === null) return;
    const fail = (reason: string): never => {
      throw new HistoryParseError(file, lineIndex + 1, reason, line);
    };
    const fields = operationFields.exec(line.slice(prefix[0].length));
    if (fields === null) return fail("malformed operation line (expected `<process> :<type> :<f> <value>`)");
    const [, processText, type, f, valueText] = fields as unknown as [
      string,
      string,
      string,
      RegisterInput["f"],
      string,
    ];
    const process = Number(processText);
    const value = parseValue(valueText);
    let state = processes.get(process);
    if (state === undefined) processes.set(process, (state = { retired: false }));
    const time = lineIndex + 1;
    if (type === "invoke") {
      if (state.retired) return fail(`process ${process} invokes again after :info`);
      if (state.open !== undefined) return fail(`process ${process} invokes while its previous operation is open`);
      const input = invocationInput(f, value, fail);
      state.open = { handle: recorder.invoke(process, input, time), input };
      return;
    }
    const open = state.open;
    if (open === undefined) return fail(`:${type} for process ${process}, which has no open operation`);
    if (open.input.f !== f) return fail(`:${type} :${f} completes a :${open.input.f}`);
    state.open = undefined;
    complete(recorder, open, type as "ok" | "fail" | "info", value, time, fail);
    if (type === "info") state.retired = true;
  });
  return recorder.history();
}

function parseValue(text: string): JepsenValue {
  if (text === "nil") return null;
  if (text.startsWith(":")) return { keyword: text.slice(1) };
  if (text.startsWith("[")) {
    const [expected, next] = text.slice(1, -1).split(" ").map(Number) as [number, number];
    return [expected, next];
  }
  return Number(text);
}

function invocationInput(f: RegisterInput["f"], value: JepsenValue, fail: (reason: string) => never): RegisterInput {
  switch (f) {
    case "read":
      return value === null ? { f, value: null } : fail(":invoke :read must have value nil");
    case "write":
      return typeof value === "number" ? { f, value } : fail(":invoke :write must have an integer value");
    case "cas":
      return Array.isArray(value)
        ? { f, value: [value[0], value[1]] }
        : fail(":invoke :cas must have a value [expected new]");
  }
}

function complete(
  recorder: HistoryRecorder<RegisterInput, RegisterOutput>,
  open: { readonly handle: OperationHandle; readonly input: RegisterInput },
  type: "ok" | "fail" | "info",
  value: JepsenValue,
  time: number,
  fail: (reason: string) => never,
): void {
  const { handle, input } = open;
  if (value !== null && typeof value === "object" && "keyword" in value) {
    if (type === "ok") fail(`:ok with keyword value :${value.keyword}`);
    recorder.info(handle, time, value.keyword);
    return;
  }
  if (type === "info") {
    recorder.info(handle, time);
    return;
  }
  switch (input.f) {
    case "read":
      if (Array.isArray(value)) fail(`:${type} :read with a pair value`);
      if (type === "ok") recorder.ok(handle, value as number | null, time);
      else recorder.fail(handle, time);
      return;
    case "write":
      if (value !== input.value) fail(`:${type} :write value differs from the invoked ${input.value}`);
      if (type === "ok") recorder.ok(handle, null, time);
      else recorder.fail(handle, time);
      return;
    case "cas":
      if (!Array.isArray(value) || value[0] !== input.value[0] || value[1] !== input.value[1]) {
        fail(`:${type} :cas value differs from the invoked [${input.value[0]} ${input.value[1]}]`);
      }
      // A failed cas ran and returned false: it constrains the state and changed nothing.
      recorder.ok(handle, type === "ok", time);
      return;
  }
}
