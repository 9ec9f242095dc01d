/**
 * The fragment store host: a separate process keeping fragment files on its own
 * disk and serving put / get / list / delete on env.rpc (store-protocol.ts). It
 * plays the part of Gazette's cloud stores (S3, GCS, a file:// NAS).
 *
 * Files: `<root>/<store path>`; each begins with a 24-byte header (magic, the
 * ModTime in seconds, the length of the stored bytes) followed by the stored
 * bytes (compressed per the fragment's codec). A put is checked before anything
 * is written (the path names the fragment; the content decompresses to exactly
 * End - Begin bytes with the fragment's SHA-1 sum) and written durably and
 * atomically (temporary file, sync, rename, directory sync). A put of a path that
 * already holds a valid copy is a no-op that answers the existing ModTime
 * (fragments are content-addressed); an invalid copy is replaced.
 *
 * Faults handled: a malformed request, a path escaping the root, content that
 * does not match, an unsupported codec: typed refusals (RpcError APPLICATION).
 * The store's own disk failing: refusal "io". A damaged file (too short, bad
 * header, length mismatch) is skipped by list with a warning and a probe, as
 * Gazette's file store skips zero-length fragments; get still returns its bytes
 * and the reader's checks (store-client.ts, FragmentReader) catch the damage.
 *
 * Seam for test fixtures: FragmentStoreOptions.verify checks content against
 * its fragment (DEFAULT_VERIFY_CONTENT: length and SHA-1).
 */
import {
  DiskError,
  RpcError,
  type Disk,
  type Env,
  type Hashes,
  type RpcServer,
  type WireValue,
} from "../../../../sim/env.ts";
import { assert } from "../../../../sim/assert.ts";
import { ErrCorruptFragment, ErrUnexpectedEOF, ErrUnsupportedCodec } from "../../client/errors.ts";
import { fragmentContentLength, fragmentContentPath, fragmentSum, type Fragment } from "../../protocol/fragment.ts";
import { ValidationError } from "../../protocol/validation.ts";
import { toWire } from "../../protocol/wire.ts";
import { decompressContent } from "../../client/codec.ts";
import {
  decodeDeleteRequest,
  decodeGetRequest,
  decodeListRequest,
  decodePutRequest,
  FRAGMENT_STORE_GET_CHUNK_BYTES,
  FRAGMENT_STORE_LIST_PAGE_ENTRIES_MAX,
  FRAGMENT_STORE_METHODS,
  FRAGMENT_STORE_PUT_BYTES_MAX,
  type FragmentStoreRefusal,
  type ListEntry,
  type ListResponse,
  type PutResponse,
} from "./store-protocol.ts";
import { FRAGMENT_STORE_PORT } from "./store-url.ts";

/** Checks stored or uploaded content against its fragment, throwing a refusal (or ErrCorruptFragment) on a mismatch. */
export type VerifyContent = (hash: Hashes, fragment: Fragment, stored: Uint8Array) => void;

/** The store's check: the content decompresses to exactly the fragment's length and SHA-1 sum. */
export const DEFAULT_VERIFY_CONTENT: VerifyContent = (hash, fragment, stored) => verifyContent(hash, fragment, stored);

export interface FragmentStoreOptions {
  port?: number;
  /** Directory of the store's files on the host's disk. */
  root?: string;
  /**
   * Checks content against its fragment on put and on reading a copy back (a seam for test fixtures); default
   * DEFAULT_VERIFY_CONTENT.
   */
  verify?: VerifyContent;
  /** Told of each file put (created) and deleted, after it is durable (scenarios' checks; never needed to serve). */
  observer?: FragmentStoreObserver;
}

export interface FragmentStoreObserver {
  put(path: string, fragment: Fragment, modTime: number): void;
  removed(path: string): void;
}

export interface FragmentStoreHost {
  readonly server: RpcServer;
  readonly root: string;
  /** Stops serving. */
  close(): void;
  /** Resolves when the store is closed or its process dies. */
  readonly closed: Promise<void>;
}

export const FRAGMENT_STORE_ROOT_DEFAULT = "/fragments";
/** Bytes of a store file's header: magic (8), ModTime (8), stored length (8). */
export const STORE_FILE_HEADER_BYTES = 24;
const MAGIC = new TextEncoder().encode("GZFRAG01");
/** Most directory entries one listing walks; beyond it the listing is refused. */
export const LIST_WALK_ENTRIES_MAX = 100_000;
/** Deepest directory nesting a listing walks. */
const LIST_WALK_DEPTH_MAX = 64;
const TEMPORARY_FILE = /\.tmp-[0-9]+$/;

/** Starts a fragment store on `env` (see the file comment). */
export function runFragmentStore(env: Env, options: FragmentStoreOptions = {}): FragmentStoreHost {
  const root = options.root ?? FRAGMENT_STORE_ROOT_DEFAULT;
  assert(root.startsWith("/") && !root.endsWith("/"), `fragment store root must be an absolute directory (${root})`);
  const store = new StoreFiles(env, root, options.verify ?? DEFAULT_VERIFY_CONTENT, options.observer);
  const server = env.rpc.serve(options.port ?? FRAGMENT_STORE_PORT);
  server.unary(FRAGMENT_STORE_METHODS.put, (request) => refusing(env, "put", () => store.put(request)));
  server.unary(FRAGMENT_STORE_METHODS.list, (request) => refusing(env, "list", () => store.list(request)));
  server.unary(FRAGMENT_STORE_METHODS.delete, (request) => refusing(env, "delete", () => store.remove(request)));
  server.serverStream(FRAGMENT_STORE_METHODS.get, (request, send, context) =>
    refusing(env, "get", () => store.get(request, send, context.signal)),
  );
  let close = () => {};
  const closed = new Promise<void>((resolve) => {
    close = () => {
      server.close();
      resolve();
    };
  });
  return { server, root, close: () => close(), closed };
}

function refusal(kind: FragmentStoreRefusal, message: string): RpcError {
  return new RpcError("APPLICATION", message, { kind, message });
}

/** Runs a handler, turning expected failures into typed refusals. */
async function refusing<T>(env: Env, operation: string, handler: () => Promise<T>): Promise<T> {
  try {
    return await handler();
  } catch (error) {
    if (error instanceof RpcError) throw error;
    if (error instanceof ValidationError) throw refusal("validation", error.message);
    if (error instanceof DiskError) {
      if (error.code === "ENOENT" || error.code === "ENOTDIR" || error.code === "EISDIR")
        throw refusal("not found", error.message);
      env.log.warn("fragment store: disk failure", { operation, error: error.message });
      throw refusal("io", error.message);
    }
    throw error;
  }
}

interface StoredHeader {
  modTime: number;
  storedLength: number;
}

function encodeHeader(header: StoredHeader): Uint8Array {
  const bytes = new Uint8Array(STORE_FILE_HEADER_BYTES);
  bytes.set(MAGIC);
  const view = new DataView(bytes.buffer);
  view.setFloat64(8, header.modTime);
  view.setFloat64(16, header.storedLength);
  return bytes;
}

/** The header of a file of `fileSize` bytes, or a description of what is wrong with it. */
function decodeHeader(bytes: Uint8Array, fileSize: number): StoredHeader | string {
  if (bytes.length < STORE_FILE_HEADER_BYTES) return `file of ${fileSize} bytes is shorter than its header`;
  for (let index = 0; index < MAGIC.length; index++) if (bytes[index] !== MAGIC[index]) return "bad magic";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const modTime = view.getFloat64(8);
  const storedLength = view.getFloat64(16);
  if (!Number.isSafeInteger(modTime) || modTime <= 0) return "bad ModTime";
  if (storedLength !== fileSize - STORE_FILE_HEADER_BYTES)
    return `length ${storedLength} in header, ${fileSize - STORE_FILE_HEADER_BYTES} on disk`;
  return { modTime, storedLength };
}

/** The store's files on the host's disk. */
class StoreFiles {
  private readonly disk: Disk;
  /** Per-path chains serialising puts and deletes of one path. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly env: Env,
    private readonly root: string,
    private readonly verify: VerifyContent,
    private readonly observer: FragmentStoreObserver | undefined,
  ) {
    this.disk = env.disk;
  }

  async put(value: WireValue): Promise<WireValue> {
    const request = decodePutRequest(value);
    const { path, content, fragment } = request;
    if (content.length > FRAGMENT_STORE_PUT_BYTES_MAX)
      throw refusal("too large", `content of ${content.length} bytes exceeds ${FRAGMENT_STORE_PUT_BYTES_MAX}`);
    const contentPath = fragmentContentPath(fragment);
    if (path !== contentPath && !path.endsWith(`/${contentPath}`))
      throw new ValidationError(`path ${path} does not name fragment ${contentPath}`);
    this.verify(this.env.hash, fragment, content);
    const response = await this.locked(path, async (): Promise<PutResponse> => {
      const diskPath = this.diskPath(path);
      const existing = await this.validCopy(diskPath, fragment);
      if (existing !== undefined) {
        this.env.probe("gazette.fragment-store.put-exists");
        return { modTime: existing.modTime, created: false };
      }
      const modTime = Math.max(1, Math.floor(this.env.clock.now() / 1000));
      await this.mkdirParents(parentOf(diskPath));
      const header = encodeHeader({ modTime, storedLength: content.length });
      const file = new Uint8Array(header.length + content.length);
      file.set(header);
      file.set(content, header.length);
      await this.disk.writeFileAtomic(diskPath, file);
      this.env.trace("gazette.fragment-store.put", { path, bytes: content.length, modTime });
      this.observer?.put(path, fragment, modTime);
      return { modTime, created: true };
    });
    return toWire(response);
  }

  async get(value: WireValue, send: (message: WireValue) => Promise<void>, signal: AbortSignal): Promise<void> {
    const request = decodeGetRequest(value);
    const handle = await this.disk.open(this.diskPath(request.path));
    try {
      const size = await handle.size();
      for (let position = STORE_FILE_HEADER_BYTES + request.offset; position < size && !signal.aborted; ) {
        const chunk = await handle.read(position, Math.min(FRAGMENT_STORE_GET_CHUNK_BYTES, size - position));
        if (chunk.length === 0) break;
        position += chunk.length;
        await send({ content: chunk });
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async list(value: WireValue): Promise<WireValue> {
    const request = decodeListRequest(value);
    const directory = request.prefix === "" ? this.root : this.diskPath(request.prefix.slice(0, -1));
    const paths: string[] = [];
    await this.walk(directory, request.prefix === "" ? "" : request.prefix, 0, { visited: 0 }, paths);
    const remaining = paths.filter((path) => path > request.pageToken).sort();
    const page = remaining.slice(0, FRAGMENT_STORE_LIST_PAGE_ENTRIES_MAX);
    const entries: ListEntry[] = [];
    for (const path of page) {
      const entry = await this.describe(path);
      if (entry !== undefined) entries.push(entry);
    }
    const nextPageToken = remaining.length > page.length ? (page[page.length - 1] as string) : "";
    const response: ListResponse = { entries, nextPageToken };
    return toWire(response);
  }

  async remove(value: WireValue): Promise<WireValue> {
    const request = decodeDeleteRequest(value);
    const diskPath = this.diskPath(request.path);
    const deleted = await this.locked(request.path, async () => {
      try {
        await this.disk.unlink(diskPath);
      } catch (error) {
        if (error instanceof DiskError && (error.code === "ENOENT" || error.code === "ENOTDIR")) return false;
        throw error;
      }
      await this.disk.syncDirectory(parentOf(diskPath));
      this.env.trace("gazette.fragment-store.delete", { path: request.path });
      this.observer?.removed(request.path);
      return true;
    });
    return { deleted };
  }

  private diskPath(path: string): string {
    return `${this.root}/${path}`;
  }

  /** Collects store paths of the files under `directory` (store path `prefix`), skipping temporary files. */
  private async walk(
    directory: string,
    prefix: string,
    depth: number,
    budget: { visited: number },
    out: string[],
  ): Promise<void> {
    let names: string[];
    try {
      names = await this.disk.list(directory);
    } catch (error) {
      if (error instanceof DiskError && (error.code === "ENOENT" || error.code === "ENOTDIR")) return;
      throw error;
    }
    for (const name of names) {
      budget.visited += 1;
      if (budget.visited > LIST_WALK_ENTRIES_MAX)
        throw refusal("io", `listing walks more than ${LIST_WALK_ENTRIES_MAX} entries`);
      if (TEMPORARY_FILE.test(name)) continue;
      const child = `${directory}/${name}`;
      const isDirectory = await this.isDirectory(child);
      if (isDirectory === false) out.push(`${prefix}${name}`);
      else if (isDirectory === true && depth < LIST_WALK_DEPTH_MAX)
        await this.walk(child, `${prefix}${name}/`, depth + 1, budget, out);
    }
  }

  /** Whether `path` is a directory; undefined when it was deleted since its directory was read (a listing skips it). */
  private async isDirectory(path: string): Promise<boolean | undefined> {
    try {
      return (await this.disk.stat(path)).isDirectory;
    } catch (error) {
      if (error instanceof DiskError && error.code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** The listing entry of a store file, or undefined (with a warning) when the file is damaged. */
  private async describe(path: string): Promise<ListEntry | undefined> {
    let header: StoredHeader | string;
    try {
      const handle = await this.disk.open(this.diskPath(path));
      try {
        const size = await handle.size();
        header = decodeHeader(await handle.read(0, STORE_FILE_HEADER_BYTES), size);
      } finally {
        await handle.close().catch(() => undefined);
      }
    } catch (error) {
      if (error instanceof DiskError && error.code === "ENOENT") return undefined; // Deleted while listing.
      throw error;
    }
    if (typeof header === "string") {
      this.env.log.warn("fragment store: skipping a damaged fragment file", { path, problem: header });
      this.env.probe("gazette.fragment-store.damaged-file-skipped");
      return undefined;
    }
    return { path, size: header.storedLength, modTime: header.modTime };
  }

  /** The header of a valid copy of `fragment` at `diskPath`, or undefined (absent, or damaged: it will be replaced). */
  private async validCopy(diskPath: string, fragment: Fragment): Promise<StoredHeader | undefined> {
    if (!(await this.disk.exists(diskPath))) return undefined;
    const file = await this.disk.readFile(diskPath);
    const header = decodeHeader(file.subarray(0, STORE_FILE_HEADER_BYTES), file.length);
    let problem = typeof header === "string" ? header : undefined;
    if (problem === undefined) {
      try {
        this.verify(this.env.hash, fragment, file.subarray(STORE_FILE_HEADER_BYTES));
      } catch (error) {
        problem = error instanceof Error ? error.message : String(error);
      }
    }
    if (problem !== undefined || typeof header === "string") {
      this.env.log.warn("fragment store: replacing a damaged fragment file", { path: diskPath, problem });
      this.env.probe("gazette.fragment-store.damaged-file-replaced");
      return undefined;
    }
    return header;
  }

  private async mkdirParents(directory: string): Promise<void> {
    const parts = directory.split("/").filter((part) => part !== "");
    let path = "";
    for (const part of parts) {
      const parent = path === "" ? "/" : path;
      path = `${path}/${part}`;
      if (await this.disk.exists(path)) continue;
      try {
        await this.disk.mkdir(path);
      } catch (error) {
        if (error instanceof DiskError && error.code === "EEXIST") continue;
        throw error;
      }
      await this.disk.syncDirectory(parent);
    }
  }

  private async locked<T>(path: string, step: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(path) ?? Promise.resolve();
    const next = previous.then(step, step);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(path, settled);
    try {
      return await next;
    } finally {
      if (this.locks.get(path) === settled) this.locks.delete(path);
    }
  }
}

/**
 * Checks that stored bytes decompress to exactly the fragment's content length
 * and SHA-1 sum; throws a "checksum mismatch" refusal (or "validation" for a
 * codec this store cannot decode).
 */
function verifyContent(hash: Hashes, fragment: Fragment, stored: Uint8Array): void {
  const length = fragmentContentLength(fragment);
  let content: Uint8Array;
  try {
    content = decompressContent(fragment.compressionCodec, stored, length);
  } catch (error) {
    if (error instanceof ErrUnsupportedCodec)
      throw new ValidationError(`codec not supported (${fragment.compressionCodec})`);
    if (error instanceof ErrCorruptFragment || error instanceof ErrUnexpectedEOF)
      throw refusal("checksum mismatch", `content does not decompress: ${error.message}`);
    throw error;
  }
  if (content.length !== length)
    throw refusal("checksum mismatch", `content of ${content.length} bytes, fragment of ${length}`);
  const sum = fragmentSum(hash, content);
  if (sum !== fragment.sum) throw refusal("checksum mismatch", `content sum ${sum}, fragment sum ${fragment.sum}`);
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}
