/**
 * Commands for the fault property, and the check of each: the outcome the fault
 * counters say was injected is the one promised, and the stored data changed only
 * as a successful, not-lost operation changes it.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { DiskError } from "../../../src/sim/env.ts";
import type { Disk, FileHandle } from "../../../src/sim/env.ts";
import type { DiskFaultCounts, DiskFaults } from "../../../src/sim/disk/disk-faults.ts";
import type { DiskSnapshot } from "../../../src/sim/disk/disk-snapshot.ts";
import { filesOf, outcomeCode, patternBytes } from "./disk-rig.ts";
import type { DiskRig } from "./disk-rig.ts";

export type FaultCommand =
  | { kind: "read"; position: number; length: number }
  | { kind: "write"; position: number; length: number; tag: number }
  | { kind: "truncate"; length: number }
  | { kind: "sync" }
  | { kind: "readFile"; path: "/f" | "/g" }
  | { kind: "writeFile"; path: "/f" | "/g"; length: number; tag: number };

const filePath = fc.constantFrom("/f" as const, "/g" as const);
const position = fc.integer({ min: 0, max: 2000 });
const length = fc.integer({ min: 0, max: 2500 });
const tag = fc.integer({ min: 0, max: 255 });

export const faultCommand: fc.Arbitrary<FaultCommand> = fc.oneof(
  fc.record({ kind: fc.constant("read" as const), position, length }),
  fc.record({ kind: fc.constant("write" as const), position, length, tag }),
  fc.record({ kind: fc.constant("truncate" as const), length }),
  fc.record({ kind: fc.constant("sync" as const) }),
  fc.record({ kind: fc.constant("readFile" as const), path: filePath }),
  fc.record({ kind: fc.constant("writeFile" as const), path: filePath, length, tag }),
);

function start(disk: Disk, handle: FileHandle, command: FaultCommand): Promise<unknown> {
  switch (command.kind) {
    case "read":
      return handle.read(command.position, command.length);
    case "write":
      return handle.write(command.position, patternBytes(command.length, command.tag));
    case "truncate":
      return handle.truncate(command.length);
    case "sync":
      return handle.sync();
    case "readFile":
      return disk.readFile(command.path);
    case "writeFile":
      return disk.writeFile(command.path, patternBytes(command.length, command.tag));
  }
}

interface Observation {
  command: FaultCommand;
  code: string;
  value: unknown;
  injected: DiskFaultCounts;
  liveBefore: DiskSnapshot;
  liveAfter: DiskSnapshot;
  durableBefore: DiskSnapshot;
  durableAfter: DiskSnapshot;
  fits: (growthBytes: number) => boolean;
}

/** Runs one command against the rig (faults on) and checks its outcome against the fault counters. */
export async function checkFaultCommand(
  rig: DiskRig,
  handle: FileHandle,
  faults: Partial<DiskFaults>,
  command: FaultCommand,
): Promise<void> {
  const liveBefore = rig.disk.liveSnapshot();
  const durableBefore = rig.disk.durableSnapshot();
  const injectedBefore = rig.disk.stats().injectedFaults;
  const usedBytes = [...liveBefore.files.values()].reduce((total, content) => total + content.length, 0);
  expect(rig.disk.stats().usedBytes, "space accounting").toBe(usedBytes);
  const outcome = await rig.run((disk) => start(disk, handle, command));
  expect(outcome.settled, "an operation of a live incarnation did not settle").toBe(true);
  if (outcome.settled && !outcome.ok) expect(outcome.error).toBeInstanceOf(DiskError);
  const injectedAfter = rig.disk.stats().injectedFaults;
  const injected = Object.fromEntries(
    Object.entries(injectedAfter).map(([key, value]) => [key, value - injectedBefore[key as keyof DiskFaultCounts]]),
  ) as unknown as DiskFaultCounts;
  const observation: Observation = {
    command,
    code: outcomeCode(outcome),
    value: outcome.settled && outcome.ok ? outcome.value : undefined,
    injected,
    liveBefore,
    liveAfter: rig.disk.liveSnapshot(),
    durableBefore,
    durableAfter: rig.disk.durableSnapshot(),
    fits: (growthBytes) => usedBytes + Math.max(0, growthBytes) <= rig.disk.stats().capacityBytes,
  };
  expectProbabilitiesRespected(faults, observation);
  if (command.kind === "read" || command.kind === "readFile") checkRead(observation);
  else if (command.kind === "sync") checkSync(observation);
  else checkWrite(observation);
}

function expectProbabilitiesRespected(faults: Partial<DiskFaults>, { injected }: Observation): void {
  if ((faults.readErrorProbability ?? 0) === 0) expect(injected.readErrors).toBe(0);
  if ((faults.writeErrorProbability ?? 0) === 0) expect(injected.writeErrors).toBe(0);
  if ((faults.syncErrorProbability ?? 0) === 0) expect(injected.syncErrors).toBe(0);
  if ((faults.readCorruptionProbability ?? 0) === 0) expect(injected.readCorruptions).toBe(0);
  if ((faults.lostWriteProbability ?? 0) === 0) expect(injected.lostWrites).toBe(0);
}

function expectUnchanged(label: string, before: DiskSnapshot, after: DiskSnapshot): void {
  expect(filesOf(after), label).toEqual(filesOf(before));
}

function checkRead(observation: Observation): void {
  const { command, code, injected, liveBefore } = observation;
  const context = JSON.stringify(command);
  expectUnchanged(`a read changed the stored data: ${context}`, liveBefore, observation.liveAfter);
  expectUnchanged(`a read changed the durable data: ${context}`, observation.durableBefore, observation.durableAfter);
  const path = command.kind === "readFile" ? command.path : "/f";
  const content = liveBefore.files.get(path);
  if (content === undefined) {
    expect(code, context).toBe("ENOENT");
    return;
  }
  if (code !== "ok") {
    expect(code, context).toBe("EIO");
    expect(injected.readErrors, context).toBe(1);
    return;
  }
  const stored = command.kind === "read" ? content.slice(command.position, command.position + command.length) : content;
  const returned = observation.value as Uint8Array;
  expect(returned.length, context).toBe(stored.length);
  const differing = [...returned].filter((byte, index) => byte !== stored[index]).length;
  expect(differing, `corrupted bytes returned: ${context}`).toBe(injected.readCorruptions === 1 ? 1 : 0);
}

function checkSync(observation: Observation): void {
  const { code, injected } = observation;
  expectUnchanged("a sync changed the live data", observation.liveBefore, observation.liveAfter);
  if (code !== "ok") {
    expect(code).toBe("EIO");
    expect(injected.syncErrors).toBe(1);
    expectUnchanged("a failed sync changed the durable data", observation.durableBefore, observation.durableAfter);
    return;
  }
  expect(observation.durableAfter.files.get("/f")).toEqual(observation.liveBefore.files.get("/f"));
}

function checkWrite(observation: Observation): void {
  const { command, code, injected, liveBefore } = observation;
  const context = JSON.stringify(command);
  expectUnchanged(`a write changed the durable data: ${context}`, observation.durableBefore, observation.durableAfter);
  const path = command.kind === "writeFile" ? command.path : "/f";
  const before = liveBefore.files.get(path) ?? new Uint8Array(0);
  const expected = expectedAfterWrite(command, before);
  if (!observation.fits(expected.length - before.length)) {
    expect(code, `expected ENOSPC: ${context}`).toBe("ENOSPC");
    expect(injected.noSpaceErrors).toBe(1);
    expectUnchanged(`ENOSPC changed the stored data: ${context}`, liveBefore, observation.liveAfter);
    return;
  }
  if (code !== "ok") {
    expect(code, context).toBe("EIO");
    expect(injected.writeErrors, context).toBe(1);
    expectUnchanged(`EIO changed the stored data: ${context}`, liveBefore, observation.liveAfter);
    return;
  }
  if (injected.lostWrites === 1) {
    expectUnchanged(`a lost write was stored: ${context}`, liveBefore, observation.liveAfter);
    return;
  }
  expect([...(observation.liveAfter.files.get(path) ?? [])], `write not applied: ${context}`).toEqual([...expected]);
}

function expectedAfterWrite(command: FaultCommand, before: Uint8Array): Uint8Array {
  if (command.kind === "writeFile") return patternBytes(command.length, command.tag);
  if (command.kind === "truncate") {
    const result = new Uint8Array(command.length);
    result.set(before.subarray(0, Math.min(before.length, command.length)));
    return result;
  }
  if (command.kind !== "write" || command.length === 0) return before;
  const result = new Uint8Array(Math.max(before.length, command.position + command.length));
  result.set(before);
  result.set(patternBytes(command.length, command.tag), command.position);
  return result;
}
