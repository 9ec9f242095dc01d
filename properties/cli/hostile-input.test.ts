/**
 * Invariants, one sentence each:
 * - Every error line the CLI writes is one line of printable characters, whatever the
 *   input held (a binary file, invalid UTF-8, terminal escapes or bidirectional
 *   overrides in a file name or an argument): those are shown as escapes.
 * - A counterexample's expected fingerprint must be 16 lowercase hex digits, as a run
 *   writes it; anything else is refused (exit 2), not replayed as a divergence.
 * Seeds: a fixed 512-byte binary file (bytes 0..255 twice); counter-quorum seed 1.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dst } from "./_support/dst-in-process.ts";

const scratch = mkdtempSync(join(tmpdir(), "dst-hostile-"));
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029\ufffd]/u;

function file(name: string, content: string | Uint8Array): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

function expectOnePrintableLine(result: { code: number; err: string[] }, message: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.err).toHaveLength(1);
  const line = result.err[0] as string;
  expect(line).toMatch(/^dst: /);
  expect(line).not.toMatch(UNPRINTABLE);
  expect(line).not.toContain("\n");
  expect(line).toMatch(message);
}

const binary = file(
  "binary.json",
  Uint8Array.from({ length: 512 }, (_, index) => index % 256),
);
/** Valid bytes up to an invalid UTF-8 sequence, no control bytes: JSON.parse quotes what it found. */
const invalidUtf8 = file("latin1.json", Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xfe, 0x7d]));

describe("dst: error lines never carry raw control or binary bytes", () => {
  for (const command of [
    ["replay"],
    ["shrink"],
    ["view", "-o", join(scratch, "page.html")],
    ["export", "--format", "chrome", "-o", join(scratch, "out.json")],
  ]) {
    it(`${command[0]} of a binary file`, async () => {
      expectOnePrintableLine(await dst(command[0] as string, binary, ...command.slice(1)), /binary|neither a trace/);
    });
  }

  it("run --faults with a binary plan", async () => {
    expectOnePrintableLine(
      await dst("run", "counter-quorum", "--seed", "1", "--faults", binary),
      /is not JSON: it holds binary data \(byte 0x00 at character 0\)/,
    );
  });

  it("replay of a file that is not UTF-8", async () => {
    expectOnePrintableLine(await dst("replay", invalidUtf8), /not valid JSON/);
  });

  it("a scenario name with a terminal escape, shown escaped", async () => {
    expectOnePrintableLine(await dst("run", "\u001b[2Jevil", "--seed", "1"), /unknown scenario "\\x1b\[2Jevil"/);
  });

  it("a missing file whose name holds a bidirectional override and a newline", async () => {
    expectOnePrintableLine(
      await dst("replay", join(scratch, "a\u202egnp.json\nx")),
      /cannot read counterexample .*a\\u202egnp\.json\\x0ax: ENOENT/,
    );
  });

  it("an unknown option with control characters", async () => {
    expectOnePrintableLine(await dst("list", "--\u0007bell"), /unknown option '--\\x07bell'/);
  });
});

describe("dst: a counterexample's fingerprint is 16 lowercase hex digits", () => {
  const counterexample = (fingerprint: unknown) => ({
    format: "dst-counterexample",
    version: 1,
    scenario: "counter-quorum",
    seed: 1,
    buggify: false,
    faultPlan: { version: 1, faults: [] },
    expected: { fingerprint, violations: [] },
  });
  for (const fingerprint of ["0", "0123456789ABCDEF", "0123456789abcdef0", "0123456789abcdeg", " 0123456789abcdef"]) {
    it(`refuses ${JSON.stringify(fingerprint)}`, async () => {
      const path = file(
        `fingerprint-${fingerprint.trim() || "blank"}.json`,
        JSON.stringify(counterexample(fingerprint)),
      );
      expectOnePrintableLine(await dst("replay", path), /'expected\.fingerprint' must be 16 lowercase hex digits/);
    });
  }
});
