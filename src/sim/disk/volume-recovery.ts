/**
 * Builds a fresh memfs volume from a recovery plan, and pictures a volume as a snapshot.
 *
 * Faults injected: none here; the plan already says what a crash kept (see
 * durability-model.ts). The rebuilt volume shares nothing with the one before the crash.
 */
import { assert } from "../assert.ts";
import { Volume } from "memfs";
import { joinPath, ROOT_PATH } from "./disk-path.ts";
import { callMemfs } from "./memfs-calls.ts";
import type { DiskSnapshot } from "./disk-snapshot.ts";
import type { RecoveryPlan } from "./durability-model.ts";

/** A volume and the node identity behind each memfs inode number in it. */
export interface RecoveredVolume {
  readonly volume: Volume;
  readonly identityByInode: Map<number, number>;
}

/** A new volume holding exactly what `plan` describes. */
export function materializeRecovery(plan: RecoveryPlan): RecoveredVolume {
  const volume = callMemfs("recover", ROOT_PATH, () => new Volume());
  const identityByInode = new Map<number, number>();
  for (const entry of plan.entries) {
    callMemfs("recover", entry.path, () => {
      if (entry.kind === "directory") {
        if (entry.path !== ROOT_PATH) volume.mkdirSync(entry.path);
      } else if (entry.kind === "link") {
        volume.linkSync(entry.linkOf, entry.path);
      } else {
        volume.writeFileSync(entry.path, entry.content);
      }
      identityByInode.set(Number(volume.statSync(entry.path).ino), entry.identity);
    });
  }
  return { volume, identityByInode };
}

/** Every directory and file in `volume`, breadth first, names sorted. */
export function snapshotVolume(volume: Volume): DiskSnapshot {
  const directories = new Set<string>([ROOT_PATH]);
  const files = new Map<string, Uint8Array>();
  const queue = [ROOT_PATH];
  for (let head = 0; head < queue.length; head++) {
    const directory = queue[head] as string;
    for (const name of listNames(volume, directory)) {
      const path = joinPath(directory, name);
      const stats = callMemfs("snapshot", path, () => volume.statSync(path));
      if (stats.isDirectory()) {
        directories.add(path);
        queue.push(path);
      } else {
        files.set(path, new Uint8Array(callMemfs("snapshot", path, () => volume.readFileSync(path)) as Uint8Array));
      }
    }
  }
  return { directories, files };
}

/** The entry names of `directory`, sorted. */
export function listNames(volume: Volume, directory: string): string[] {
  const names = callMemfs("list", directory, () => volume.readdirSync(directory));
  return names
    .map((name) => {
      assert(typeof name === "string", "readdirSync returned a non-string name");
      return name;
    })
    .sort();
}
