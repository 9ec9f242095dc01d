/**
 * Validation of Gazette protocol values (broker/protocol/validator.go).
 *
 * Every protocol message has a `validate*` function that returns nothing or
 * throws a ValidationError naming the offending field by its context path
 * ("ReadResponse.Fragment.Journal: invalid length ..."), as Gazette's
 * ExtendContext does. A malformed message from a peer is therefore a typed error,
 * never a crash.
 *
 * Tokens and path components draw from Gazette's restricted alphabets: Unicode
 * letters and numbers plus the symbols `-_+/.` (tokens), and `=` too (paths).
 */

/** A protocol value is malformed. `context` locates the field, outermost first. */
export class ValidationError extends Error {
  override readonly name = "ValidationError";
  readonly context: string[];
  readonly detail: string;

  constructor(detail: string, context: readonly string[] = []) {
    super(describe(context, detail));
    this.detail = detail;
    this.context = [...context];
  }

  /** Prepends a context element (Gazette's ExtendContext) and refreshes the message. */
  extend(context: string): this {
    this.context.unshift(context);
    this.message = describe(this.context, this.detail);
    return this;
  }
}

function describe(context: readonly string[], detail: string): string {
  return context.length === 0 ? detail : `${context.join(".")}: ${detail}`;
}

/** Runs `check`; a ValidationError it throws gets `context` prepended. Other errors pass unchanged. */
export function withContext<T>(context: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ValidationError) throw error.extend(context);
    throw error;
  }
}

/** Symbols allowed in tokens besides letters and numbers (validator.go tokenSymbols). */
export const TOKEN_SYMBOLS = "-_+/.";
/** Symbols allowed in path components (tokens plus '='). */
export const PATH_SYMBOLS = `${TOKEN_SYMBOLS}=`;

/** One pattern per symbol set: the whole value is letters, numbers and those symbols. */
const ALPHABETS = new Map<string, RegExp>();

function alphabetPattern(symbols: string): RegExp {
  let pattern = ALPHABETS.get(symbols);
  if (pattern === undefined) {
    const escaped = symbols.replace(/[-\\\]^[]/g, "\\$&");
    pattern = new RegExp(`^[\\p{L}\\p{N}${escaped}]*$`, "u");
    ALPHABETS.set(symbols, pattern);
  }
  return pattern;
}

/**
 * Checks that `value` is `min` to `max` bytes long (Go's len counts UTF-8 bytes)
 * and holds only letters, numbers and the given symbols.
 */
export function validateAlphabet(value: string, symbols: string, min: number, max: number): void {
  const length = utf8Length(value);
  if (length < min || length > max) {
    throw new ValidationError(`invalid length (${length}; expected ${min} <= length <= ${max})`);
  }
  if (!alphabetPattern(symbols).test(value)) throw new ValidationError(`not a valid token (${value})`);
}

/** ValidateToken: a token of length [min, max]. */
export function validateToken(value: string, min: number, max: number): void {
  validateAlphabet(value, TOKEN_SYMBOLS, min, max);
}

/**
 * ValidatePathComponent: a token (with '=') that is a clean path (as Go's
 * path.Clean leaves it) and does not begin with '/'.
 */
export function validatePathComponent(value: string, min: number, max: number): void {
  validateAlphabet(value, PATH_SYMBOLS, min, max);
  if (value !== "" && cleanPath(value) !== value) throw new ValidationError(`must be a clean path (${value})`);
  if (value.startsWith("/")) throw new ValidationError(`cannot begin with '/' (${value})`);
}

/** Go's path.Clean: the shortest equivalent path (no '//', '.', 'x/..', trailing '/'). */
export function cleanPath(path: string): string {
  if (path === "") return ".";
  if (!UNCLEAN_PATH.test(path)) return path;
  const rooted = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!rooted) parts.push("..");
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** A path that is not already clean: an empty, '.' or '..' component, or a trailing '/' (the root alone is clean). */
const UNCLEAN_PATH = /\/\/|(^|\/)\.\.?(\/|$)|.\/$/;
const PRINTABLE_ASCII = /^[ -~]*$/;

/** Bytes of the UTF-8 encoding of `value`. */
export function utf8Length(value: string): number {
  if (PRINTABLE_ASCII.test(value)) return value.length;
  let length = 0;
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    length += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return length;
}

/** Throws unless `value` is a safe integer within [min, max]. */
export function validateInteger(name: string, value: number, min: number, max: number = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(`invalid ${name} (${value}; expected ${min} <= ${name} <= ${max})`);
  }
}
