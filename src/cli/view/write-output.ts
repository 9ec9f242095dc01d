/**
 * Writes a command's output file, turning a failure (no such directory, no
 * permission) into a `UsageError` with one clear line.
 */
import { writeFileSync } from "node:fs";
import { UsageError } from "../input.ts";

export function writeOutputFile(path: string, text: string, what: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(`cannot write ${what} ${path}: ${code}`);
  }
}
