/**
 * Generated workloads for the disk properties: namespace and file commands over a
 * small universe of paths (so that they collide), run against the simulated disk
 * and, for the durability property, against the reference model.
 */
import fc from "fast-check";
import type { Disk, FileHandle } from "../../../src/sim/env.ts";
import { attempt } from "./disk-reference-model.ts";
import type { ReferenceDisk, ReferenceFile } from "./disk-reference-model.ts";
import { outcomeCode, patternBytes } from "./disk-rig.ts";
import type { DiskRig } from "./disk-rig.ts";

/** Paths that overlap on purpose: files, directories, nesting, and one path under a file. */
export const PATHS = ["/", "/a", "/b", "/f", "/g", "/a/c", "/a/f", "/a/g", "/b/f", "/a/c/f", "/f/x"] as const;
export const SLOTS = 2;

export type DiskCommand =
  | { kind: "open"; slot: number; path: string; create: boolean; truncate: boolean }
  | { kind: "close"; slot: number }
  | { kind: "write"; slot: number; position: number; length: number; tag: number }
  | { kind: "truncate"; slot: number; length: number }
  | { kind: "sync"; slot: number }
  | { kind: "rename"; from: string; to: string }
  | { kind: "unlink"; path: string }
  | { kind: "mkdir"; path: string }
  | { kind: "syncDirectory"; path: string };

/** Paths weighted towards the ones that succeed, so that workloads get somewhere, with every path still possible. */
function weightedPath(weights: Partial<Record<(typeof PATHS)[number], number>>): fc.Arbitrary<string> {
  return fc.oneof(...PATHS.map((path) => ({ arbitrary: fc.constant<string>(path), weight: weights[path] ?? 1 })));
}

const filePath = weightedPath({ "/f": 8, "/g": 6, "/a/f": 5, "/a/g": 3, "/b/f": 2 });
const directoryPath = weightedPath({ "/": 8, "/a": 8, "/b": 3, "/a/c": 3 });
const anyPath = weightedPath({ "/f": 5, "/g": 5, "/a": 4, "/a/f": 4, "/a/g": 3, "/b": 2, "/b/f": 2 });
const slot = fc.integer({ min: 0, max: SLOTS - 1 });

/** `value` four times out of five. */
function mostly(value: boolean): fc.Arbitrary<boolean> {
  return fc.oneof({ arbitrary: fc.constant(value), weight: 4 }, { arbitrary: fc.constant(!value), weight: 1 });
}

export const diskCommand: fc.Arbitrary<DiskCommand> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("open" as const),
      slot,
      path: filePath,
      create: mostly(true),
      truncate: mostly(false),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant("close" as const), slot }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("write" as const),
      slot,
      position: fc.integer({ min: 0, max: 1500 }),
      length: fc.integer({ min: 1, max: 1300 }),
      tag: fc.integer({ min: 0, max: 255 }),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("truncate" as const), slot, length: fc.integer({ min: 0, max: 2000 }) }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant("sync" as const), slot }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("rename" as const), from: anyPath, to: anyPath }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("unlink" as const), path: filePath }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("mkdir" as const), path: directoryPath }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("syncDirectory" as const), path: directoryPath }), weight: 3 },
);

const position = fc.integer({ min: 0, max: 1500 });
const writeLength = fc.integer({ min: 1, max: 1300 });
const tag = fc.integer({ min: 0, max: 255 });

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

/** Create or open a file, write to it, then usually sync it and its directory. */
const fileLifecycle: fc.Arbitrary<DiskCommand[]> = fc
  .record({
    slot,
    path: filePath,
    truncate: mostly(false),
    writes: fc.array(fc.record({ position, length: writeLength, tag }), { minLength: 1, maxLength: 3 }),
    sync: mostly(true),
    syncDirectory: mostly(true),
  })
  .map(({ slot: index, path, truncate, writes, sync, syncDirectory }) => [
    { kind: "open", slot: index, path, create: true, truncate },
    ...writes.map((write): DiskCommand => ({ kind: "write", slot: index, ...write })),
    ...(sync ? [{ kind: "sync", slot: index } as const] : []),
    ...(syncDirectory ? [{ kind: "syncDirectory", path: parentOf(path) } as const] : []),
  ]);

/** A rename, sometimes followed by a sync of the target's directory or the source's. */
const renameFragment: fc.Arbitrary<DiskCommand[]> = fc
  .record({ from: anyPath, to: anyPath, sync: fc.constantFrom("none", "target", "source") })
  .map(({ from, to, sync }) => [
    { kind: "rename", from, to },
    ...(sync === "none" ? [] : [{ kind: "syncDirectory", path: parentOf(sync === "target" ? to : from) } as const]),
  ]);

/**
 * A file created and written at `from`, then renamed to `to`, with some of the syncs: the durable name depends on
 * which.
 */
const createThenRename: fc.Arbitrary<DiskCommand[]> = fc
  .record({ lifecycle: fileLifecycle, to: anyPath, sync: fc.constantFrom("none", "target", "source", "both") })
  .map(({ lifecycle, to, sync }) => {
    const opened = lifecycle[0];
    const from = opened?.kind === "open" ? opened.path : "/f";
    const syncs: DiskCommand[] = [];
    if (sync === "target" || sync === "both") syncs.push({ kind: "syncDirectory", path: parentOf(to) });
    if (sync === "source" || sync === "both") syncs.push({ kind: "syncDirectory", path: parentOf(from) });
    return [...lifecycle, { kind: "rename", from, to }, ...syncs];
  });

/** A file created and written, then unlinked, its directory synced or not. */
const createThenUnlink: fc.Arbitrary<DiskCommand[]> = fc
  .record({ lifecycle: fileLifecycle, sync: fc.boolean() })
  .map(({ lifecycle, sync }) => {
    const opened = lifecycle[0];
    const path = opened?.kind === "open" ? opened.path : "/f";
    return [
      ...lifecycle,
      { kind: "unlink", path },
      ...(sync ? [{ kind: "syncDirectory", path: parentOf(path) } as const] : []),
    ];
  });

/** A mkdir, usually followed by a sync of its parent. */
const mkdirFragment: fc.Arbitrary<DiskCommand[]> = fc
  .record({ path: directoryPath, sync: mostly(true) })
  .map(({ path, sync }) => [
    { kind: "mkdir", path },
    ...(sync ? [{ kind: "syncDirectory", path: parentOf(path) } as const] : []),
  ]);

/** Longest generated workload, in commands. */
export const MAXIMUM_WORKLOAD_COMMANDS = 48;

/** A workload: meaningful fragments (create-write-sync, rename, mkdir) mixed with single random commands. */
export const diskWorkload: fc.Arbitrary<DiskCommand[]> = fc
  .array(
    fc.oneof(
      { arbitrary: diskCommand.map((command) => [command]), weight: 3 },
      { arbitrary: fileLifecycle, weight: 3 },
      { arbitrary: renameFragment, weight: 1 },
      { arbitrary: createThenRename, weight: 2 },
      { arbitrary: createThenUnlink, weight: 1 },
      { arbitrary: mkdirFragment, weight: 1 },
    ),
    { minLength: 1, maxLength: 16, size: "max" },
  )
  .map((fragments) => fragments.flat().slice(0, MAXIMUM_WORKLOAD_COMMANDS));

/** Open handles of a run: the simulator's and the model's node behind each slot. */
export interface Slots {
  handles: (FileHandle | undefined)[];
  models: (ReferenceFile | undefined)[];
}

export function emptySlots(): Slots {
  return {
    handles: new Array<FileHandle | undefined>(SLOTS).fill(undefined),
    models: new Array<ReferenceFile | undefined>(SLOTS).fill(undefined),
  };
}

/**
 * The command with its slot resolved: a handle command on an empty slot uses the
 * first slot that holds a handle (so that generated writes and syncs rarely go nowhere).
 */
export function resolveSlot(slots: Slots, command: DiskCommand): DiskCommand {
  if (command.kind === "open" || !("slot" in command) || slots.handles[command.slot] !== undefined) return command;
  const filled = slots.handles.findIndex((handle) => handle !== undefined);
  return filled === -1 ? command : { ...command, slot: filled };
}

/**
 * Starts `command` on the disk (without running the scheduler); undefined when it needs a handle and no slot has one.
 */
export function startCommand(disk: Disk, slots: Slots, unresolved: DiskCommand): Promise<unknown> | undefined {
  const command = resolveSlot(slots, unresolved);
  switch (command.kind) {
    case "open":
      return disk.open(command.path, { create: command.create, truncate: command.truncate });
    case "close":
      return slots.handles[command.slot]?.close();
    case "write":
      return slots.handles[command.slot]?.write(command.position, patternBytes(command.length, command.tag));
    case "truncate":
      return slots.handles[command.slot]?.truncate(command.length);
    case "sync":
      return slots.handles[command.slot]?.sync();
    case "rename":
      return disk.rename(command.from, command.to);
    case "unlink":
      return disk.unlink(command.path);
    case "mkdir":
      return disk.mkdir(command.path);
    case "syncDirectory":
      return disk.syncDirectory(command.path);
  }
}

/** Applies `command` to the model; "ok" or its error code, "skip" when the slot is empty. */
export function applyToModel(model: ReferenceDisk, slots: Slots, command: DiskCommand): string {
  const file = "slot" in command ? slots.models[command.slot] : undefined;
  if ("slot" in command && command.kind !== "open" && file === undefined) return "skip";
  switch (command.kind) {
    case "open":
      return attempt(() => {
        slots.models[command.slot] = model.open(command.path, command.create, command.truncate);
      });
    case "close":
      slots.models[command.slot] = undefined;
      return "ok";
    case "write":
      return attempt(() =>
        model.write(file as ReferenceFile, command.position, patternBytes(command.length, command.tag)),
      );
    case "truncate":
      return attempt(() => model.truncate(file as ReferenceFile, command.length));
    case "sync":
      return attempt(() => model.sync(file as ReferenceFile));
    case "rename":
      return attempt(() => model.rename(command.from, command.to));
    case "unlink":
      return attempt(() => model.unlink(command.path));
    case "mkdir":
      return attempt(() => model.mkdir(command.path));
    case "syncDirectory":
      return attempt(() => model.syncDirectory(command.path));
  }
}

/**
 * Runs `command` on the rig's disk to completion and on the model; returns both
 * outcomes. An open replaces the slot's handle (closing the old one first).
 */
export async function runCommand(
  rig: DiskRig,
  model: ReferenceDisk,
  slots: Slots,
  unresolved: DiskCommand,
): Promise<{ simulated: string; expected: string }> {
  const command = resolveSlot(slots, unresolved);
  if (command.kind === "open" && slots.handles[command.slot] !== undefined) {
    await closeSlot(rig, slots, command.slot);
  }
  const expected = applyToModel(model, slots, command);
  const started = startCommand(rig.view, slots, command);
  if (started === undefined) return { simulated: "skip", expected };
  const outcome = await rig.run(() => started);
  if (command.kind === "open")
    slots.handles[command.slot] = outcome.settled && outcome.ok ? (outcome.value as FileHandle) : undefined;
  if (command.kind === "close") slots.handles[command.slot] = undefined;
  return { simulated: outcomeCode(outcome), expected };
}

async function closeSlot(rig: DiskRig, slots: Slots, index: number): Promise<void> {
  const handle = slots.handles[index];
  slots.handles[index] = undefined;
  slots.models[index] = undefined;
  if (handle !== undefined) await rig.must(() => handle.close());
}

/** Runs `command` on the rig's disk only, to completion, keeping the slots up to date. */
export async function runOnDisk(rig: DiskRig, slots: Slots, unresolved: DiskCommand): Promise<string> {
  const command = resolveSlot(slots, unresolved);
  const started = startCommand(rig.view, slots, command);
  if (started === undefined) return "skip";
  const outcome = await rig.run(() => started);
  if (command.kind === "open" && outcome.settled && outcome.ok)
    slots.handles[command.slot] = outcome.value as FileHandle;
  if (command.kind === "close") slots.handles[command.slot] = undefined;
  return outcomeCode(outcome);
}
