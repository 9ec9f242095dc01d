/**
 * Golden transcripts of the Raft core (etcd raft's interaction tests): each file in
 * testdata/ drives a cluster of cores with a small command language
 * (_support/transcript-commands.ts) and holds, under every command, what it showed:
 * messages, Readies, state changes, safety violations. The property: the core
 * produces exactly the recorded output, and no safety invariant breaks at any command.
 *
 * `REWRITE=1 npx vitest run properties/raft/core-transcripts.test.ts` rewrites the
 * expected outputs from the core; review the change as a diff.
 *
 * Each transcript about a bug is shown to fail on it: on a broken variant of the
 * core, its output differs from the recorded one (and, for a safety bug, the checker
 * reports the violation).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { withVariant, type BrokenVariant } from "../../scenarios/raft-kv/variants.ts";
import { silentOnHeartbeat } from "./_fixtures/broken-progress.ts";
import type { CoreTuning } from "./_support/core-cluster.ts";
import {
  parseCommand,
  parseTranscript,
  renderTranscript,
  transcriptBlocks,
  type TranscriptBlock,
} from "../../src/impl/raft/testing/transcript-file.ts";
import { firstMismatch, runTranscript, type TranscriptRun } from "./_support/transcripts.ts";

const DIRECTORY = new URL("./testdata/", import.meta.url);
const REWRITE = process.env.REWRITE === "1";
const FILES = readdirSync(DIRECTORY)
  .filter((name) => name.endsWith(".txt"))
  .sort();

const read = (file: string) => readFileSync(new URL(file, DIRECTORY), "utf8");

describe("golden transcripts of the Raft core", () => {
  it("finds the transcripts", () => {
    expect(FILES.length).toBeGreaterThan(0);
  });

  for (const file of FILES) {
    it(file, () => {
      const text = read(file);
      const run = runTranscript(text);
      if (REWRITE && run.rendered !== text) writeFileSync(new URL(file, DIRECTORY), run.rendered);
      expect(run.violations, `${file}: safety violations`).toEqual([]);
      if (REWRITE) return;
      const mismatch = firstMismatch(run);
      if (mismatch !== undefined) {
        const where = `testdata/${file}:${mismatch.block.line} \`${mismatch.block.command}\` (REWRITE=1 to accept the new output)`;
        expect(mismatch.actual, where).toBe(mismatch.block.expected);
      }
    });
  }
});

describe("the transcript file format", () => {
  it("reads every transcript and writes it back unchanged", () => {
    for (const file of FILES) {
      const text = read(file);
      const transcript = parseTranscript(text);
      expect(
        renderTranscript(
          transcript,
          transcriptBlocks(transcript).map((block) => block.expected),
        ),
        file,
      ).toBe(text);
    }
  });

  it("reads a command's arguments: words, lists, keys", () => {
    expect(parseCommand("deliver-msgs 2 type=heartbeat drop=(1,4) (5,6)")).toEqual({
      name: "deliver-msgs",
      arguments: [
        { key: undefined, values: ["2"] },
        { key: "type", values: ["heartbeat"] },
        { key: "drop", values: ["1", "4"] },
        { key: undefined, values: ["5", "6"] },
      ],
    });
  });

  it("refuses a command without its separator, a bad list, and an output with a blank line", () => {
    expect(() => parseTranscript("propose 1 v1\nok\n")).toThrow(
      /line 1: command "propose 1 v1" is not followed by ----/,
    );
    expect(() => parseCommand("partition (1,2")).toThrow(/must end with/);
    expect(() => renderTranscript(parseTranscript("tick 1\n----\nok\n"), ["a\n\nb"])).toThrow(/blank line/);
  });
});

type Variant = BrokenVariant | "SilentOnHeartbeatProgress";

/**
 * The one place that knows how a broken variant enters the cores: the core's
 * `rules` seam (withVariant), or the Progress fixture through `createProgress`.
 */
function variantCore(variant: Variant): CoreTuning {
  if (variant === "SilentOnHeartbeatProgress") return { createProgress: silentOnHeartbeat };
  return withVariant({}, variant);
}

interface VariantCase {
  readonly file: string;
  readonly variant: Variant;
  /** A command whose (last) output must differ: where the bug shows, not only where the output first moves. */
  readonly witness: string;
  /** The safety invariant the variant breaks in this transcript, if it is a safety bug. */
  readonly invariant?: string;
}

const VARIANT_CASES: readonly VariantCase[] = [
  // Node 1 counts v1 (3/2) committed once node 3 holds it; node 2 then overwrites it.
  {
    file: "figure-8.txt",
    variant: "commit-previous-term-by-counting",
    witness: "status 1",
    invariant: "leader-completeness",
  },
  // Node 1, a candidate of term 3, counts node 3's grant of term 2 and leads term 3 beside node 2.
  {
    file: "stale-vote.txt",
    variant: "count-stale-term-votes",
    witness: "deliver-msgs 1 from=3 type=request-vote-response",
    invariant: "election-safety",
  },
  // The leader probes after 5/3 for ever: node 1 keeps its divergent tail.
  { file: "divergent-tail.txt", variant: "no-next-index-backtracking", witness: "raft-log 1" },
  // Node 2's heartbeat answer elicits nothing: it still lacks v1 and v2 after the exchange.
  { file: "lost-append.txt", variant: "SilentOnHeartbeatProgress", witness: "raft-log 2" },
];

/** The output of the last block running `command`. */
function lastOutput(run: TranscriptRun, command: string): { expected: string; actual: string } {
  const position = run.blocks.map((block) => block.command).lastIndexOf(command);
  expect(position, `no command \`${command}\``).toBeGreaterThanOrEqual(0);
  return { expected: (run.blocks[position] as TranscriptBlock).expected, actual: run.outputs[position] as string };
}

describe("the transcripts fail on broken variants", () => {
  for (const testCase of VARIANT_CASES) {
    it(`${testCase.file} differs on ${testCase.variant} at \`${testCase.witness}\``, () => {
      const run = runTranscript(read(testCase.file), { coreOverrides: variantCore(testCase.variant) });
      const witness = lastOutput(run, testCase.witness);
      expect(witness.actual, `${testCase.file} gives the recorded output on ${testCase.variant}`).not.toBe(
        witness.expected,
      );
      if (testCase.invariant !== undefined) expect(run.violations.join("\n")).toContain(`${testCase.invariant}:`);
    });
  }
});
