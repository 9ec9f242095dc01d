/**
 * Runs a Raft core transcript (src/impl/raft/testing/transcript-file.ts): every
 * command in order on one TranscriptEnv, each output collected; an error a command
 * throws (a bad argument, a core assertion) is printed as its output, and the
 * transcript goes on.
 */
import {
  parseCommand,
  parseTranscript,
  renderTranscript,
  transcriptBlocks,
  type TranscriptBlock,
} from "../../../src/impl/raft/testing/transcript-file.ts";
import { runCommand } from "./transcript-commands.ts";
import { TranscriptEnv, type TranscriptEnvOptions } from "./transcript-env.ts";

export interface TranscriptRun {
  readonly blocks: readonly TranscriptBlock[];
  /** The output of each block's command, in order. */
  readonly outputs: readonly string[];
  /** Safety violations seen, as printed. */
  readonly violations: readonly string[];
  /** The file with every expected output replaced by the actual one. */
  readonly rendered: string;
}

export function runTranscript(text: string, options: TranscriptEnvOptions = {}): TranscriptRun {
  const transcript = parseTranscript(text);
  const blocks = transcriptBlocks(transcript);
  const env = new TranscriptEnv(options);
  const outputs = blocks.map((block) => {
    env.begin();
    try {
      runCommand(env, parseCommand(block.command));
    } catch (error) {
      env.writeAlways(`error: ${error instanceof Error ? error.message : String(error)}`);
    }
    return env.end();
  });
  return { blocks, outputs, violations: env.violations, rendered: renderTranscript(transcript, outputs) };
}

/** The first block whose output differs from the expected one, if any. */
export function firstMismatch(run: TranscriptRun): { block: TranscriptBlock; actual: string } | undefined {
  const position = run.blocks.findIndex((block, index) => block.expected !== run.outputs[index]);
  if (position < 0) return undefined;
  return { block: run.blocks[position] as TranscriptBlock, actual: run.outputs[position] as string };
}
