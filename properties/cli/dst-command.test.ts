/**
 * Invariants of the `dst` command: bad input ends with one clear line on stderr and
 * exit code 2; a clean run exits 0 and prints its fingerprint; a run with
 * violations exits 1 and writes a counterexample that `dst replay` reproduces
 * exactly (same fingerprint).
 */
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dst } from "./_support/dst-in-process.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-cli-"));
const file = (name: string, text: string) => {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
};

describe("dst: bad input exits 2 with one line", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["unknown scenario", ["run", "no-such-scenario", "--seed", "1"], /unknown scenario "no-such-scenario"/],
    ["malformed seed", ["run", "counter-quorum", "--seed", "12x"], /malformed seed "12x"/],
    ["negative seed", ["run", "counter-quorum", "--seed", "-3"], /malformed seed|option/],
    ["unknown option", ["run", "counter-quorum", "--seed", "1", "--frobnicate"], /unknown option/],
    ["unknown command", ["frobnicate"], /unknown command/],
    ["malformed range", ["sweep", "counter-quorum", "--seeds", "5..2"], /empty seed range/],
    ["range syntax", ["sweep", "counter-quorum", "--seeds", "1-9"], /malformed seed range/],
    ["missing file", ["replay", join(scratch, "absent.json")], /cannot read counterexample .*ENOENT/],
    ["malformed JSON", ["replay", file("bad.json", "{ not json")], /not valid JSON/],
    ["not a counterexample", ["replay", file("other.json", '{"hello": 1}')], /not a counterexample/],
    [
      "malformed plan",
      [
        "run",
        "counter-quorum",
        "--seed",
        "1",
        "--faults",
        file("plan.json", '{"version":1,"faults":[{"atMs":1,"kind":"meteor"}]}'),
      ],
      /unknown kind "meteor"/,
    ],
    ["unknown variant", ["run", "counter-quorum", "--seed", "1", "--variant", "nope"], /no variant "nope"/],
  ];
  for (const [name, argv, message] of cases) {
    it(name, async () => {
      const { code, err } = await dst(...argv);
      expect(code).toBe(2);
      expect(err.length).toBe(1);
      expect(err[0]).toMatch(/^dst: /);
      expect(err[0]).toMatch(message);
    });
  }
});

describe("dst run and replay", () => {
  it("list names every scenario with a description", async () => {
    const { code, out } = await dst("list");
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/^counter-quorum\s+\S/m);
  });

  it("a clean run exits 0 with the same fingerprint every time", async () => {
    const first = await dst("run", "counter-quorum", "--seed", "2", "--json");
    const second = await dst("run", "counter-quorum", "--seed", "2", "--json");
    expect(first.code).toBe(0);
    const fingerprint = JSON.parse(first.out[0] as string).fingerprint as string;
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.parse(second.out[0] as string).fingerprint).toBe(fingerprint);
  });

  it("a failing run exits 1, writes a counterexample, and replay reproduces it exactly", async () => {
    const directory = mkdtempSync(join(scratch, "run-"));
    const run = await dst("run", "counter-quorum", "--seed", "3", "--variant", "ack-before-fsync", "--out", directory);
    expect(run.code).toBe(1);
    expect(run.out.join("\n")).toMatch(/VIOLATION safety counter\./);
    const [written] = readdirSync(directory);
    expect(written).toMatch(/\.counterexample\.json$/);
    const replay = await dst("replay", join(directory, written as string));
    expect(replay.out.join("\n")).toMatch(/reproduced exactly/);
    expect(replay.code).toBe(1);
  });
});
