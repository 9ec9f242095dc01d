/**
 * Text from hostile input (a binary file's bytes inside a parser's message, a file
 * name, an argument) made safe for a terminal line: control characters (which can
 * move the cursor, clear the screen or recolour the terminal), format characters
 * (bidirectional overrides that reorder what is shown), private-use and lone
 * surrogate code points, and U+FFFD (what undecodable bytes became) are written as
 * escapes, `\x1b` or `\u202e`, so the line shows what the input held.
 */

/** Every character `printable` escapes; `\n` is in it, and `printableLines` keeps it. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029\ufffd]/gu;

function escape(character: string): string {
  const code = character.codePointAt(0) as number;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, "0")}`;
  return `\\u{${code.toString(16)}}`;
}

/** `text` as one line of printable characters (newlines escaped too). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escape);
}

/** `text` with every unprintable character escaped but its line breaks kept (help text, multi-line reports). */
export function printableLines(text: string): string {
  return text.split("\n").map(printable).join("\n");
}
