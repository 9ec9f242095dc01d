/**
 * Names of fragments in a simulated fragment store.
 *
 * A store is the URL `sim://<host>:<port>/<prefix>` with a prefix that is empty
 * or ends in '/' (the form validateFragmentStore describes). A fragment persisted to it
 * lives at the store path `<prefix><journal>/<pathPostfix>/<content name>`, and
 * its URL is the store followed by its content path (fragmentStoreUrl).
 *
 * parseFragmentFromRelativePath is Gazette's ParseFragmentFromRelativePath: the
 * inverse of ContentName under a journal's directory, with the codec taken from
 * the extension (CompressionCodecFromExtension).
 */
import { fragmentContentPath, validateFragment, type Fragment } from "../../protocol/fragment.ts";
import { type CompressionCodec, type FragmentStore, type Journal } from "../../protocol/journal-spec.ts";
import { cleanPath, ValidationError, withContext } from "../../protocol/validation.ts";

/** The port a fragment store host serves on unless its URL names another. */
export const FRAGMENT_STORE_PORT = 8700;
/** The URL scheme of simulated fragment stores. */
export const FRAGMENT_STORE_SCHEME = "sim";
/** Longest store path (prefix, journal, postfix and content name) accepted. */
export const STORE_PATH_LENGTH_MAX = 4000;

export interface StoreAddress {
  host: string;
  port: number;
  /** "" or a clean relative path ending in '/'. */
  prefix: string;
}

const HOST = /^[a-z0-9][a-z0-9-]*$/;
const STORE_URL = /^sim:\/\/([^/:]*)(?::([0-9]+))?(\/.*)$/;

/** Parses a `sim://host:port/prefix/` store URL; throws ValidationError on anything else. */
export function parseStoreUrl(store: FragmentStore): StoreAddress {
  if (typeof store !== "string") throw new ValidationError("expected a store URL string");
  // validateFragmentStore(store) would belong here, but it refuses every store with a non-empty
  // prefix (it compares the prefix without its trailing '/' to its clean form with one); the
  // checks below are the same otherwise.
  if (!/^sim:\/\/[^\s?#]*\/$/.test(store))
    throw new ValidationError(`not a valid store URL with a trailing '/' (${store})`);
  const parsed = parseSimUrl(store);
  if (parsed.path !== "" && !parsed.path.endsWith("/"))
    throw new ValidationError(`store URL must end in '/' (${store})`);
  return { host: parsed.host, port: parsed.port, prefix: parsed.path };
}

/** Parses any `sim://host[:port]/path` URL: the host, the port, and the path relative to the store root. */
export function parseSimUrl(url: string): { host: string; port: number; path: string } {
  const match = STORE_URL.exec(url);
  if (match === null)
    throw new ValidationError(`not a ${FRAGMENT_STORE_SCHEME}:// URL with a host and a path (${url})`);
  const host = match[1] as string;
  if (!HOST.test(host)) throw new ValidationError(`invalid store host (${host})`);
  const port = match[2] === undefined ? FRAGMENT_STORE_PORT : Number(match[2]);
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535)
    throw new ValidationError(`invalid store port (${match[2] ?? ""})`);
  const path = (match[3] as string).slice(1);
  if (path !== "") validateStorePath(path.endsWith("/") ? path.slice(0, -1) : path);
  return { host, port, path };
}

/** "host:port": the endpoint whose health the store client tracks. */
export function storeEndpoint(address: { host: string; port: number }): string {
  return `${address.host}:${address.port}`;
}

/**
 * Checks a store path: relative, clean (no "", "." or ".." segments, no trailing
 * '/'), no control characters, at most STORE_PATH_LENGTH_MAX characters.
 */
export function validateStorePath(path: string): void {
  if (typeof path !== "string" || path === "") throw new ValidationError("expected a non-empty path");
  if (path.length > STORE_PATH_LENGTH_MAX)
    throw new ValidationError(`path longer than ${STORE_PATH_LENGTH_MAX} characters`);
  if (hasControlOrBackslash(path))
    throw new ValidationError(`path holds a control character or a backslash (${JSON.stringify(path)})`);
  if (path.startsWith("/")) throw new ValidationError(`path escapes the store root (${path})`);
  if (cleanPath(path) !== path) throw new ValidationError(`path is not clean (${path})`);
  if (path === ".." || path.startsWith("../")) throw new ValidationError(`path escapes the store root (${path})`);
}

/** Checks a listing prefix: "" or a valid store path followed by '/'. */
export function validateStorePrefix(prefix: string): void {
  if (typeof prefix !== "string") throw new ValidationError("expected a prefix string");
  if (prefix === "") return;
  if (!prefix.endsWith("/")) throw new ValidationError(`prefix must end in '/' (${prefix})`);
  validateStorePath(prefix.slice(0, -1));
}

/** The store path of `fragment` in the store whose prefix is `prefix`. */
export function fragmentStorePath(prefix: string, fragment: Fragment): string {
  return `${prefix}${fragmentContentPath(fragment)}`;
}

/** The listing prefix of `journal`'s fragments in a store with prefix `prefix`. */
export function journalStorePrefix(prefix: string, journal: Journal): string {
  return `${prefix}${journal}/`;
}

/** CompressionCodecFromExtension. */
export function codecFromExtension(extension: string): CompressionCodec {
  switch (extension.toLowerCase()) {
    case ".raw":
      return "NONE";
    case ".gz":
    case ".gzip":
      return "GZIP";
    case ".zst":
    case ".zstandard":
      return "ZSTANDARD";
    case ".sz":
    case ".snappy":
      return "SNAPPY";
    case "":
    case ".gzod":
      return "GZIP_OFFLOAD_DECOMPRESSION";
    default:
      throw new ValidationError(`unrecognized compression extension: ${extension}`);
  }
}

/** The begin, end, sum and codec a content name ("<begin>-<end>-<sum><ext>") encodes. */
export function parseContentName(name: string): Pick<Fragment, "begin" | "end" | "sum" | "compressionCodec"> {
  const dot = name.lastIndexOf(".");
  const extension = dot === -1 ? "" : name.slice(dot);
  const stem = dot === -1 ? name : name.slice(0, dot);
  const fields = stem.split("-");
  if (fields.length !== 3) throw new ValidationError(`wrong Fragment format: ${stem}`);
  const [beginHex, endHex, sum] = fields as [string, string, string];
  const begin = withContext("Begin", () => parseHex(beginHex));
  const end = withContext("End", () => parseHex(endHex));
  if (!/^[0-9a-fA-F]*$/.test(sum) || sum.length % 2 !== 0) throw new ValidationError(`Sum: invalid hex (${sum})`);
  if (sum.length !== 40) throw new ValidationError(`invalid SHA1Sum length: ${sum}`);
  return { begin, end, sum: sum.toLowerCase(), compressionCodec: codecFromExtension(extension) };
}

/**
 * ParseFragmentFromRelativePath: `name` is the path under the journal's directory
 * ("a=1/b=2/<begin>-<end>-<sum>.gz"): a path postfix, then a content name. The
 * fragment has no backing store and no ModTime yet. Throws ValidationError.
 */
export function parseFragmentFromRelativePath(journal: Journal, name: string): Fragment {
  const slash = name.lastIndexOf("/");
  const postfix = slash === -1 ? "" : name.slice(0, slash);
  const parsed = parseContentName(slash === -1 ? name : name.slice(slash + 1));
  const fragment: Fragment = { journal, ...parsed, backingStore: "", modTime: 0, pathPostfix: postfix };
  validateFragment(fragment);
  return fragment;
}

function parseHex(text: string): number {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) throw new ValidationError(`invalid hex integer (${text})`);
  const value = Number.parseInt(text, 16);
  if (!Number.isSafeInteger(value)) throw new ValidationError(`integer out of range (${text})`);
  return value;
}

function hasControlOrBackslash(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return true;
  }
  return false;
}
