/**
 * The files and directories commands write. Each is checked before the work that
 * produces it starts (a sweep or a shrink can take minutes, and a run's counterexample
 * is the point of the run), and each write that fails anyway is a `UsageError`: one
 * `dst:` line and exit code 2, never a stack trace that reads as "violations".
 */
import {
  accessSync,
  appendFileSync,
  constants,
  createWriteStream,
  mkdirSync,
  statSync,
  writeFileSync,
  type Stats,
} from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "./input.ts";

/** The error code of a failed file system call ("error" when it has none). */
function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? "error";
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if (codeOf(error) === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Throws a `UsageError` unless `path` can be created or overwritten as a file: it is no
 * directory, its directory exists, and this process may write there.
 */
export function checkOutputFile(path: string, what: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`cannot write ${what} ${path}: ${why}`);
  };
  try {
    const existing = statOrUndefined(path);
    if (existing?.isDirectory()) fail("it is a directory");
    if (existing !== undefined) {
      accessSync(path, constants.W_OK);
      return;
    }
    const directory = dirname(resolve(path));
    const parent = statOrUndefined(directory);
    if (parent === undefined) fail(`directory ${directory} does not exist`);
    if (!(parent as Stats).isDirectory()) fail(`${directory} is not a directory`);
    accessSync(directory, constants.W_OK | constants.X_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    fail(codeOf(error));
  }
}

/** Throws a `UsageError` unless `path` is a directory this process may create files in. */
export function checkOutputDirectory(path: string, what: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`cannot write ${what} to ${path}: ${why}`);
  };
  try {
    const stats = statOrUndefined(path);
    if (stats === undefined) fail("no such directory");
    if (!(stats as Stats).isDirectory()) fail("not a directory");
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    fail(codeOf(error));
  }
}

/** Creates `path` (and its parents) if needed, then checks it as `checkOutputDirectory` does. */
export function ensureOutputDirectory(path: string, what: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new UsageError(`cannot create the directory for ${what} ${path}: ${codeOf(error)}`);
  }
  checkOutputDirectory(path, what);
}

/** Writes a command's output file; a failure (no such directory, no permission) is a `UsageError`. */
export function writeOutputFile(path: string, text: string, what: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new UsageError(`cannot write ${what} ${path}: ${codeOf(error)}`);
  }
}

/**
 * Appends to a command's output file at once (synchronously, so what was appended
 * survives the process dying right after); a failure is a `UsageError`.
 */
export function appendOutputFile(path: string, text: string, what: string): void {
  try {
    appendFileSync(path, text);
  } catch (error) {
    throw new UsageError(`cannot write ${what} ${path}: ${codeOf(error)}`);
  }
}

/** A file written line by line while a run or sweep goes on. */
export interface OutputLines {
  write(line: string): void;
  /** Flushes and closes the file; rejects with a `UsageError` if any write failed. */
  close(): Promise<void>;
}

/**
 * Opens `path` for writing lines, after `checkOutputFile`. A stream reports its errors
 * as events, later: the first one is kept (so it cannot crash the process) and `close`
 * turns it into a `UsageError`.
 */
export function openOutputLines(path: string, what: string): OutputLines {
  checkOutputFile(path, what);
  const stream = createWriteStream(path);
  let failure: unknown;
  stream.on("error", (error) => {
    failure ??= error;
  });
  return {
    write: (line) => {
      if (failure === undefined) stream.write(`${line}\n`);
    },
    close: async () => {
      // 'close' follows both a finished stream and a failed one (fs streams destroy themselves on error).
      if (!stream.closed)
        await new Promise<void>((resolvePromise) => stream.once("close", () => resolvePromise()).end());
      if (failure !== undefined) throw new UsageError(`cannot write ${what} ${path}: ${codeOf(failure)}`);
    },
  };
}
