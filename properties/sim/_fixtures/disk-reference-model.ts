/**
 * A reference model of the disk's durability contract, written independently of
 * the simulator: nodes are plain objects (their identity is object identity), the
 * live tree and the durable tree are two sets of edges between them.
 *
 * - A file's durable content is its content at its last sync; what was written
 *   since is pending, in order.
 * - A directory's durable entries are its entries at its last directory sync.
 * - After a crash: everything reachable from the root through durable entries,
 *   breadth first in name order; a directory reached twice only at its first path;
 *   each file holds its durable content, or (torn writes) the durable content with
 *   a prefix of its pending writes, the last one possibly cut at a sector boundary.
 *
 * Error codes follow POSIX, in the order the simulator documents: path lookups
 * first (ENOENT, ENOTDIR), then the operation's own conditions.
 */
import type { DiskErrorCode } from "../../../src/sim/env.ts";

const SECTOR = 512;

type Pending = { kind: "write"; position: number; data: Uint8Array } | { kind: "truncate"; length: number };

export interface ReferenceFile {
  kind: "file";
  content: Uint8Array;
  durable: Uint8Array;
  pending: Pending[];
}

export interface ReferenceDirectory {
  kind: "directory";
  entries: Map<string, ReferenceNode>;
  durableEntries: Map<string, ReferenceNode>;
}

export type ReferenceNode = ReferenceFile | ReferenceDirectory;

/** The state after a crash: directory paths and, per file path, every content it may hold. */
export interface ReferenceRecovery {
  directories: Set<string>;
  files: Map<string, Uint8Array[]>;
}

class Failure extends Error {
  constructor(readonly code: DiskErrorCode) {
    super(code);
  }
}

/** Runs a model operation: "ok", or the error code it failed with. */
export function attempt(operation: () => void): string {
  try {
    operation();
    return "ok";
  } catch (error) {
    if (error instanceof Failure) return error.code;
    throw error;
  }
}

export class ReferenceDisk {
  readonly root: ReferenceDirectory = { kind: "directory", entries: new Map(), durableEntries: new Map() };

  open(path: string, create: boolean, truncate: boolean): ReferenceFile {
    if (path === "/") throw new Failure("EISDIR");
    const existing = this.resolve(path);
    if (existing?.kind === "directory") throw new Failure("EISDIR");
    if (existing !== undefined) {
      if (truncate) this.truncate(existing, 0);
      return existing;
    }
    if (!create) throw new Failure("ENOENT");
    const parent = this.directoryAt(parentOf(path));
    const file: ReferenceFile = { kind: "file", content: new Uint8Array(0), durable: new Uint8Array(0), pending: [] };
    parent.entries.set(nameOf(path), file);
    return file;
  }

  write(file: ReferenceFile, position: number, data: Uint8Array): void {
    file.content = applied(file.content, { kind: "write", position, data });
    file.pending.push({ kind: "write", position, data: data.slice() });
  }

  truncate(file: ReferenceFile, length: number): void {
    file.content = applied(file.content, { kind: "truncate", length });
    file.pending.push({ kind: "truncate", length });
  }

  sync(file: ReferenceFile): void {
    file.durable = file.content.slice();
    file.pending = [];
  }

  rename(from: string, to: string): void {
    if (from === "/" || to === "/") throw new Failure("EINVAL");
    const source = this.resolve(from);
    if (source === undefined) throw new Failure("ENOENT");
    const targetParent = this.directoryAt(parentOf(to));
    if (from === to) return;
    if (source.kind === "directory" && to.startsWith(`${from}/`)) throw new Failure("EINVAL");
    const target = targetParent.entries.get(nameOf(to));
    if (target === source) return;
    if (target !== undefined) {
      if (source.kind === "file" && target.kind === "directory") throw new Failure("EISDIR");
      if (source.kind === "directory" && target.kind === "file") throw new Failure("ENOTDIR");
      if (target.kind === "directory" && target.entries.size > 0) throw new Failure("ENOTEMPTY");
    }
    this.directoryAt(parentOf(from)).entries.delete(nameOf(from));
    targetParent.entries.set(nameOf(to), source);
  }

  unlink(path: string): void {
    if (path === "/") throw new Failure("EISDIR");
    const node = this.resolve(path);
    if (node === undefined) throw new Failure("ENOENT");
    if (node.kind === "directory") throw new Failure("EISDIR");
    this.directoryAt(parentOf(path)).entries.delete(nameOf(path));
  }

  mkdir(path: string): void {
    if (path === "/" || this.resolve(path) !== undefined) throw new Failure("EEXIST");
    const parent = this.directoryAt(parentOf(path));
    parent.entries.set(nameOf(path), { kind: "directory", entries: new Map(), durableEntries: new Map() });
  }

  syncDirectory(path: string): void {
    const directory = this.directoryAt(path);
    directory.durableEntries = new Map(directory.entries);
  }

  /** Live directories and files, by path. */
  live(): { directories: Set<string>; files: Map<string, Uint8Array> } {
    const directories = new Set<string>();
    const files = new Map<string, Uint8Array>();
    this.walk(
      (directory) => directory.entries,
      (path, node) => {
        if (node.kind === "directory") directories.add(path);
        else files.set(path, node.content);
      },
    );
    return { directories, files };
  }

  /** What a crash may leave: exactly durable contents, or with `torn` every torn variant too. */
  recovery(torn: boolean): ReferenceRecovery {
    const directories = new Set<string>();
    const files = new Map<string, Uint8Array[]>();
    this.walk(
      (directory) => directory.durableEntries,
      (path, node) => {
        if (node.kind === "directory") directories.add(path);
        else files.set(path, torn ? tornVariants(node) : [node.durable]);
      },
    );
    return { directories, files };
  }

  /** Breadth first from the root along `edges`, names sorted, each directory once. */
  private walk(
    edges: (directory: ReferenceDirectory) => Map<string, ReferenceNode>,
    visit: (path: string, node: ReferenceNode) => void,
  ): void {
    const seen = new Set<ReferenceNode>([this.root]);
    const queue: [string, ReferenceDirectory][] = [["/", this.root]];
    visit("/", this.root);
    for (let head = 0; head < queue.length; head++) {
      const [path, directory] = queue[head] as [string, ReferenceDirectory];
      const children = edges(directory);
      for (const name of [...children.keys()].sort()) {
        const child = children.get(name) as ReferenceNode;
        const childPath = path === "/" ? `/${name}` : `${path}/${name}`;
        if (child.kind === "directory") {
          if (seen.has(child)) continue;
          seen.add(child);
          queue.push([childPath, child]);
        }
        visit(childPath, child);
      }
    }
  }

  /** The node at `path`, undefined when missing; ENOTDIR when a parent is a file. */
  private resolve(path: string): ReferenceNode | undefined {
    let node: ReferenceNode = this.root;
    for (const name of path.split("/").filter((part) => part !== "")) {
      if (node.kind !== "directory") throw new Failure("ENOTDIR");
      const child = node.entries.get(name);
      if (child === undefined) return undefined;
      node = child;
    }
    return node;
  }

  private directoryAt(path: string): ReferenceDirectory {
    const node = this.resolve(path);
    if (node === undefined) throw new Failure("ENOENT");
    if (node.kind !== "directory") throw new Failure("ENOTDIR");
    return node;
  }
}

/**
 * Every content a torn crash may leave: each prefix of the pending writes, the last one whole or cut at a sector
 * boundary.
 */
export function tornVariants(file: ReferenceFile): Uint8Array[] {
  const variants: Uint8Array[] = [file.durable];
  let content = file.durable;
  for (const pending of file.pending) {
    if (pending.kind === "write") {
      for (
        let boundary = (Math.floor(pending.position / SECTOR) + 1) * SECTOR;
        boundary < pending.position + pending.data.length;
        boundary += SECTOR
      ) {
        variants.push(applied(content, { ...pending, data: pending.data.subarray(0, boundary - pending.position) }));
      }
    }
    content = applied(content, pending);
    variants.push(content);
  }
  return variants;
}

function applied(content: Uint8Array, pending: Pending): Uint8Array {
  if (pending.kind === "truncate") {
    const result = new Uint8Array(pending.length);
    result.set(content.subarray(0, Math.min(content.length, pending.length)));
    return result;
  }
  if (pending.data.length === 0) return content;
  const result = new Uint8Array(Math.max(content.length, pending.position + pending.data.length));
  result.set(content);
  result.set(pending.data, pending.position);
  return result;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
