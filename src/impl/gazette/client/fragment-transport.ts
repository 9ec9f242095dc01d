/**
 * How fragments are fetched by URL. Gazette's OpenFragmentURL issues an HTTP GET
 * through a package-level http.Client, to which InstallFileTransport adds a
 * file:// handler. Here there are no globals: a FragmentTransports registry maps
 * URL schemes to FragmentStoreTransports, and each Reader is given one. A
 * simulated store host can register its own scheme later; `installFileTransport`
 * serves file:// URLs from a directory of the client host's disk (env.disk), as
 * InstallFileTransport serves them from a root directory (a shared NAS in
 * Gazette's words; the simulated disk of the reading host here).
 *
 * A transport returns the fragment file's raw bytes (compressed as stored). A
 * missing file is ErrFragmentFetch; a failing disk surfaces its DiskError.
 */
import { DiskError, type Disk } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import type { Fragment } from "../protocol/fragment.ts";
import { cleanPath } from "../protocol/validation.ts";
import { ErrFragmentFetch } from "./errors.ts";

/** The raw bytes of an opened fragment file. */
export interface ByteSource {
  /** The next bytes, or null at end of file. */
  read(): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

export interface FragmentStoreTransport {
  /** Opens the fragment file at `url` (the transport's scheme). */
  open(url: string, fragment: Fragment, signal?: AbortSignal): Promise<ByteSource>;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):/;

/** Bytes a file transport reads at a time. */
export const FILE_TRANSPORT_READ_BYTES = 64 * 1024;

/** A registry of transports by URL scheme (the http.Client of OpenFragmentURL). */
export class FragmentTransports {
  private readonly byScheme = new Map<string, FragmentStoreTransport>();

  /** Registers `transport` for `scheme`; the returned function restores what was there before. */
  register(scheme: string, transport: FragmentStoreTransport): () => void {
    assert(/^[a-z][a-z0-9+.-]*$/.test(scheme), `invalid URL scheme "${scheme}"`);
    const previous = this.byScheme.get(scheme);
    this.byScheme.set(scheme, transport);
    return () => {
      if (this.byScheme.get(scheme) !== transport) return;
      if (previous === undefined) this.byScheme.delete(scheme);
      else this.byScheme.set(scheme, previous);
    };
  }

  async open(url: string, fragment: Fragment, signal?: AbortSignal): Promise<ByteSource> {
    const scheme = SCHEME.exec(url)?.[1];
    const transport = scheme === undefined ? undefined : this.byScheme.get(scheme);
    if (transport === undefined) throw new ErrFragmentFetch(url, `unsupported protocol scheme "${scheme ?? ""}"`);
    return transport.open(url, fragment, signal);
  }
}

/**
 * InstallFileTransport: serves file:// URLs from `root` on `disk`. The URL's path
 * is taken relative to `root` ("file:///a/journal/x.raw" reads root + "/a/journal/x.raw").
 */
export function installFileTransport(transports: FragmentTransports, disk: Disk, root: string): () => void {
  return transports.register("file", fileTransport(disk, root));
}

export function fileTransport(disk: Disk, root: string): FragmentStoreTransport {
  return {
    async open(url) {
      const path = filePath(url, root);
      try {
        const handle = await disk.open(path);
        let position = 0;
        return {
          async read() {
            const chunk = await handle.read(position, FILE_TRANSPORT_READ_BYTES);
            if (chunk.length === 0) return null;
            position += chunk.length;
            return chunk;
          },
          close: () => handle.close(),
        };
      } catch (error) {
        if (
          error instanceof DiskError &&
          (error.code === "ENOENT" || error.code === "EISDIR" || error.code === "ENOTDIR")
        ) {
          throw new ErrFragmentFetch(url, "404 Not Found", error);
        }
        throw error;
      }
    },
  };
}

function filePath(url: string, root: string): string {
  const match = /^file:\/\/[^/]*(\/[^?#]*)$/.exec(url);
  if (match === null) throw new ErrFragmentFetch(url, "400 Bad Request");
  let relative: string;
  try {
    relative = cleanPath(decodeURIComponent(match[1] as string));
  } catch {
    throw new ErrFragmentFetch(url, "400 Bad Request");
  }
  if (relative.startsWith("/..") || relative === "/") throw new ErrFragmentFetch(url, "400 Bad Request");
  return cleanPath(`${root}/${relative}`);
}
