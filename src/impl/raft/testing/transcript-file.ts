/**
 * Transcript files: etcd raft's data-driven test format (cockroachdb/datadriven),
 * read and written back. A file is a list of blocks; each block is a command line,
 * a `----` line, and the expected output, which ends at the first blank line:
 *
 *     # comments and blank lines between blocks are kept as they are
 *     propose 1 v1
 *     ----
 *     proposed at 3/2
 *
 * Contract: `renderTranscript(parseTranscript(text), outputs)` with each block's
 * own expected output gives back `text` (apart from a missing final newline); with
 * other outputs it gives the file a rewrite would produce. An output never holds
 * a blank line (it would end the block) and is never empty ("ok" stands for none).
 *
 * Deviation from datadriven: no `----\n----` blocks for outputs with blank lines,
 * no multi-line command input; command arguments are `word`, `(a,b)`, `key=word`
 * or `key=(a,b)`.
 */
import { assert } from "../../../sim/assert.ts";

/** One command and its expected output. */
export interface TranscriptBlock {
  /** Line of the command in the file, from 1. */
  readonly line: number;
  readonly command: string;
  /** The expected output, its lines joined with "\n". */
  readonly expected: string;
}

/** The parts of a file in order: lines kept verbatim (comments, blank lines), and blocks. */
export type TranscriptPart =
  | { readonly kind: "text"; readonly text: string }
  | ({ readonly kind: "block" } & TranscriptBlock);

export interface Transcript {
  readonly parts: readonly TranscriptPart[];
}

/** One argument of a command: `3` and `(1,3)` have no key; `type=heartbeat` and `drop=(2,3)` have one. */
export interface CommandArgument {
  readonly key: string | undefined;
  readonly values: readonly string[];
}

export interface ParsedCommand {
  readonly name: string;
  readonly arguments: readonly CommandArgument[];
}

/** The separator between a command and its output. */
export const OUTPUT_SEPARATOR = "----";

export function parseTranscript(text: string): Transcript {
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  const parts: TranscriptPart[] = [];
  let position = 0;
  while (position < lines.length) {
    const line = lines[position] as string;
    if (line.trim() === "" || line.startsWith("#")) {
      parts.push({ kind: "text", text: line });
      position++;
      continue;
    }
    if (lines[position + 1] !== OUTPUT_SEPARATOR) {
      throw new Error(`line ${position + 1}: command "${line}" is not followed by ${OUTPUT_SEPARATOR}`);
    }
    let end = position + 2;
    while (end < lines.length && (lines[end] as string).trim() !== "") end++;
    parts.push({
      kind: "block",
      line: position + 1,
      command: line,
      expected: lines.slice(position + 2, end).join("\n"),
    });
    position = end;
  }
  return { parts };
}

/** The blocks of a transcript, in order. */
export function transcriptBlocks(transcript: Transcript): TranscriptBlock[] {
  return transcript.parts.filter((part): part is { kind: "block" } & TranscriptBlock => part.kind === "block");
}

/** The file text with each block's output replaced by `outputs[i]` (one per block, in order). */
export function renderTranscript(transcript: Transcript, outputs: readonly string[]): string {
  const lines: string[] = [];
  let block = 0;
  for (const part of transcript.parts) {
    if (part.kind === "text") {
      lines.push(part.text);
      continue;
    }
    const output = outputs[block++];
    assert(output !== undefined, `no output for the command at line ${part.line}`);
    assert(output.trim() !== "", `empty output for the command at line ${part.line}`);
    assert(
      !output.split("\n").some((line) => line.trim() === ""),
      `a blank line in the output of the command at line ${part.line}`,
    );
    lines.push(part.command, OUTPUT_SEPARATOR, output);
  }
  assert(block === outputs.length, `${outputs.length} outputs for ${block} commands`);
  return `${lines.join("\n")}\n`;
}

/** Splits `name arg (a,b) key=value key=(a,b)`; throws on an argument it cannot read. */
export function parseCommand(line: string): ParsedCommand {
  const [name, ...words] = line.trim().split(/\s+/);
  assert(name !== undefined && name !== "", "an empty command");
  return { name, arguments: words.map(parseArgument) };
}

function parseArgument(word: string): CommandArgument {
  const equals = word.indexOf("=");
  const key = equals > 0 ? word.slice(0, equals) : undefined;
  const value = equals > 0 ? word.slice(equals + 1) : word;
  if (value.startsWith("(")) {
    if (!value.endsWith(")")) throw new Error(`argument ${word}: a list must end with ")"`);
    const inner = value.slice(1, -1).trim();
    return { key, values: inner === "" ? [] : inner.split(",").map((item) => item.trim()) };
  }
  if (value === "") throw new Error(`argument ${word}: an empty value`);
  return { key, values: [value] };
}
