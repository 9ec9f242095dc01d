/**
 * A picture of a disk's namespace and contents, for tests and checkers.
 *
 * Faults injected: none.
 */

/** Every directory and file of a disk, by absolute path, in breadth-first name order. */
export interface DiskSnapshot {
  /** Directory paths, the root "/" included. */
  readonly directories: ReadonlySet<string>;
  /** File paths and their full contents (copies). */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** True when both snapshots hold the same directories and the same files with the same bytes. */
export function snapshotsEqual(left: DiskSnapshot, right: DiskSnapshot): boolean {
  if (left.directories.size !== right.directories.size || left.files.size !== right.files.size) return false;
  for (const directory of left.directories) if (!right.directories.has(directory)) return false;
  for (const [path, content] of left.files) {
    const other = right.files.get(path);
    if (other === undefined || !bytesEqual(content, other)) return false;
  }
  return true;
}

/** True when both arrays hold the same bytes. */
export function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false;
  return true;
}
