/**
 * The typed error of the history parsers: a line that looks like an operation
 * but cannot be read, or that breaks the history's rules (a completion without
 * an invoke, a process reused after :info, a completion that disagrees with its
 * invoke). It names the file and the line, so the data can be fixed or the
 * parser taught, never silently skipped.
 */
export class HistoryParseError extends Error {
  override readonly name = "HistoryParseError";

  constructor(
    /** The file (or source label) being parsed. */
    readonly file: string,
    /** 1-based line number. */
    readonly line: number,
    /** What is wrong with the line. */
    readonly reason: string,
    /** The offending line's text. */
    readonly text: string,
  ) {
    super(`${file}:${line}: ${reason}: ${JSON.stringify(text)}`);
  }
}
