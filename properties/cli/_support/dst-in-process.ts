/**
 * The `dst` command run in the test's own process (`main` with its output captured):
 * its exit code and the lines it wrote to stdout and stderr.
 */
import { main } from "../../../src/cli/main.ts";

export interface DstOutcome {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

export async function dst(...argv: string[]): Promise<DstOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out, err };
}
