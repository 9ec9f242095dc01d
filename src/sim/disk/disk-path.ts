/**
 * POSIX absolute paths on a simulated disk: parsing, joining and ancestry.
 *
 * Faults injected: none. A malformed path is the caller's mistake and surfaces as
 * DiskError EINVAL, like any other disk failure, never as an exception.
 */
import { DiskError } from "../env.ts";

/** The root directory: always exists, always durable. */
export const ROOT_PATH = "/";

/** Longest path accepted (like PATH_MAX); a longer one is EINVAL. */
export const MAXIMUM_PATH_LENGTH = 4096;

/** A validated absolute path. */
export interface DiskPath {
  readonly path: string;
  readonly isRoot: boolean;
  /** The parent directory ("/" for top-level entries and for the root itself). */
  readonly parent: string;
  /** The last component ("" for the root). */
  readonly name: string;
}

/**
 * Validates `path`: absolute, no empty, "." or ".." components, no trailing slash,
 * no NUL, at most MAXIMUM_PATH_LENGTH characters. Throws DiskError EINVAL otherwise.
 */
export function parseDiskPath(operation: string, path: string): DiskPath {
  if (typeof path !== "string" || path.length === 0 || path.length > MAXIMUM_PATH_LENGTH || !path.startsWith("/")) {
    throw new DiskError("EINVAL", operation, String(path), "not an absolute path");
  }
  if (path === ROOT_PATH) return { path, isRoot: true, parent: ROOT_PATH, name: "" };
  const components = path.slice(1).split("/");
  for (const component of components) {
    if (component === "" || component === "." || component === ".." || component.includes("\0")) {
      throw new DiskError("EINVAL", operation, path, "malformed path component");
    }
  }
  const name = components[components.length - 1] as string;
  const parent = components.length === 1 ? ROOT_PATH : `/${components.slice(0, -1).join("/")}`;
  return { path, isRoot: false, parent, name };
}

/** The path of entry `name` in `directory`. */
export function joinPath(directory: string, name: string): string {
  return directory === ROOT_PATH ? `/${name}` : `${directory}/${name}`;
}

/** True when `path` lies strictly inside directory `ancestor`. */
export function isStrictlyInside(ancestor: string, path: string): boolean {
  if (ancestor === ROOT_PATH) return path !== ROOT_PATH;
  return path.startsWith(`${ancestor}/`);
}
