/**
 * `dst view` and `dst export` on good and bad input (src/cli/commands/view.ts,
 * export.ts, src/cli/view/load-run.ts, trace-lines.ts, page-html.ts).
 *
 * Invariants, one sentence each:
 * - Bad input (missing, unreadable, empty or malformed file, a counterexample that cannot run, an unknown format, an
 *   unwritable output) is a `UsageError` with one clear line.
 * - A counterexample is replayed: its page shows the same records as the trace file of the same run.
 * - The page is self-contained: it references nothing outside itself, and its data is the run's.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportCommand } from "../../../src/cli/commands/export.ts";
import { viewCommand } from "../../../src/cli/commands/view.ts";
import { UsageError } from "../../../src/cli/input.ts";
import { main } from "../../../src/cli/main.ts";
import { pageData } from "./_support/page-data.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-view-"));
const file = (name: string, text: string) => {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
};
const quiet = { out: () => {}, err: () => {} };
const RECORD = '{"index":0,"time":0,"host":"a","kind":"process.start"}';

async function usageErrorOf(action: () => Promise<unknown>): Promise<UsageError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

describe("bad input is a UsageError with one line", () => {
  mkdirSync(join(scratch, "a-directory"), { recursive: true });
  const cases: Array<[string, () => string, RegExp]> = [
    ["missing file", () => join(scratch, "absent.jsonl"), /cannot read input .*absent\.jsonl: ENOENT/],
    ["a directory", () => join(scratch, "a-directory"), /cannot read input .*: EISDIR/],
    ["empty file", () => file("empty.jsonl", "\n  \n"), /is empty/],
    ["not JSON at all", () => file("text.jsonl", "hello world\n"), /neither a trace .* nor a counterexample/],
    ["malformed line", () => file("broken.jsonl", `${RECORD}\n{"index":1,"time":1,\n`), /line 2 is not valid JSON/],
    [
      "record without a kind",
      () => file("kindless.jsonl", `${RECORD}\n${RECORD}\n{"index":2,"time":1}\n`),
      /line 3: 'kind' must be a non-empty string/,
    ],
    [
      "record with a bad time",
      () => file("timeless.jsonl", `${RECORD}\n{"index":1,"time":"soon","kind":"x"}\n`),
      /line 2: 'time' must be a finite number/,
    ],
    [
      "record with bad fields",
      () => file("fields.jsonl", `${RECORD}\n{"index":1,"time":1,"kind":"x","fields":[1]}\n`),
      /line 2: 'fields' must be an object/,
    ],
    ["JSON that is neither", () => file("other.json", '{"hello": 1}'), /neither a trace .* nor a counterexample/],
    [
      "counterexample of another version",
      () => file("version.json", '{"format":"dst-counterexample","version":9}'),
      /unsupported counterexample version 9/,
    ],
    [
      "counterexample of an unknown scenario",
      () =>
        file(
          "scenario.json",
          JSON.stringify({
            format: "dst-counterexample",
            version: 1,
            scenario: "nope",
            seed: 1,
            faultPlan: { version: 1, faults: [] },
            expected: { fingerprint: "0000000000000000", violations: [] },
          }),
        ),
      /unknown scenario "nope"/,
    ],
    [
      "counterexample of an unknown variant",
      () =>
        file(
          "variant.json",
          JSON.stringify({
            format: "dst-counterexample",
            version: 1,
            scenario: "counter-quorum",
            seed: 1,
            variant: "nope",
            faultPlan: { version: 1, faults: [] },
            expected: { fingerprint: "0000000000000000", violations: [] },
          }),
        ),
      /no variant "nope"/,
    ],
  ];
  for (const [name, input, message] of cases) {
    it(`view: ${name}`, async () => {
      const error = await usageErrorOf(() => viewCommand(input(), { output: join(scratch, "out.html") }, quiet));
      expect(error.message).toMatch(message);
      expect(error.message).not.toMatch(/\n/);
    });
    it(`export: ${name}`, async () => {
      const error = await usageErrorOf(() =>
        exportCommand(input(), { format: "chrome", output: join(scratch, "out.json") }, quiet),
      );
      expect(error.message).toMatch(message);
    });
  }

  it("export: unknown format", async () => {
    const error = await usageErrorOf(() =>
      exportCommand(file("good.jsonl", `${RECORD}\n`), { format: "svg", output: join(scratch, "out.svg") }, quiet),
    );
    expect(error.message).toBe('unknown export format "svg" (formats: chrome)');
  });

  it("view: unwritable output", async () => {
    const error = await usageErrorOf(() =>
      viewCommand(file("good.jsonl", `${RECORD}\n`), { output: join(scratch, "no-such-directory", "run.html") }, quiet),
    );
    expect(error.message).toMatch(/cannot write page .*run\.html: directory .*no-such-directory does not exist/);
  });
});

describe("dst view", () => {
  const tracePath = join(scratch, "failing.jsonl");
  let counterexamplePath = "";

  it("writes a self-contained page from a trace file, and the same from its counterexample", async () => {
    const runOutput: string[] = [];
    const code = await main(
      ["run", "counter-quorum", "--seed", "3", "--variant", "ack-before-fsync", "--trace", tracePath, "--out", scratch],
      { out: (text) => runOutput.push(text), err: () => {} },
    );
    expect(code).toBe(1);
    counterexamplePath = /npx dst replay (\S+)/.exec(runOutput.join("\n"))?.[1] ?? "";
    const fromTrace = join(scratch, "from-trace.html");
    const fromCounterexample = join(scratch, "from-counterexample.html");
    const out: string[] = [];
    const output = { out: (text: string) => out.push(text), err: (text: string) => out.push(`error: ${text}`) };
    expect(await viewCommand(tracePath, { output: fromTrace }, output)).toBe(0);
    expect(await viewCommand(counterexamplePath, { output: fromCounterexample }, output)).toBe(0);
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(
      /wrote .*from-counterexample\.html: \d+ records, 4 hosts, \d+ messages, \d+ operations, 1 violation\(s\)/,
    );
    const traceHtml = readFileSync(fromTrace, "utf8");
    const counterexampleHtml = readFileSync(fromCounterexample, "utf8");
    const traceData = pageData(traceHtml);
    const counterexampleData = pageData(counterexampleHtml);
    expect(counterexampleData.title).toBe("counter-quorum seed 3 variant ack-before-fsync");
    expect({ ...counterexampleData, title: "" }).toEqual({ ...traceData, title: "" });
    expect(traceData.lanes.map((lane) => lane.name)).toEqual(["(world)", "n1", "n2", "n3", "client"]);
    expect(traceData.violations.map((violation) => violation.invariant)).toEqual(["counter.acknowledged-write-lost"]);
    expect(traceData.events.time.length).toBe(readFileSync(tracePath, "utf8").trim().split("\n").length);
  });

  it("the page loads nothing from outside itself", () => {
    const html = readFileSync(join(scratch, "from-trace.html"), "utf8");
    expect(html).not.toMatch(/<(link|img|iframe)\b/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/\b(fetch|XMLHttpRequest|WebSocket|importScripts)\b/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
  });

  it("escapes what the trace says (a host or kind is data, never markup)", async () => {
    const input = file(
      "hostile.jsonl",
      `{"index":0,"time":0,"host":"a","kind":"app.</script><b>x","fields":{"note":"</script><script>alert(1)</script>"}}\n`,
    );
    const output = join(scratch, "hostile.html");
    await viewCommand(input, { output }, quiet);
    const html = readFileSync(output, "utf8");
    expect(html.match(/<\/script>/g)?.length).toBe(2);
    expect(pageData(html).kinds).toEqual(["app.</script><b>x"]);
  });
});
