/**
 * Reads sweep results (JSON lines) strictly: a malformed line is a UsageError
 * naming the file and line, never a crash or a silently dropped run.
 */
import { readFileSync } from "node:fs";
import { WIRE_MODES } from "../../sim/net/rpc/frame-channel.ts";
import type { SweepRecord } from "./sweep-record.ts";
import { UsageError } from "../input.ts";

export function readSweepRecords(path: string): SweepRecord[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read sweep results ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const records: SweepRecord[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`${path}:${index + 1}: not a JSON line`);
    }
    records.push(validate(value, `${path}:${index + 1}`));
  });
  return records;
}

function validate(value: unknown, where: string): SweepRecord {
  const record = value as Partial<SweepRecord> | null;
  const fail = (what: string): never => {
    throw new UsageError(`${where}: not a sweep record (${what})`);
  };
  if (typeof record !== "object" || record === null || Array.isArray(record)) return fail("expected an object");
  if (typeof record.scenario !== "string") fail("'scenario' must be a string");
  if (typeof record.seed !== "number" || !Number.isSafeInteger(record.seed)) fail("'seed' must be an integer");
  if (!["ok", "safety", "liveness", "kernel"].includes(record.outcome as string))
    fail("'outcome' must be ok, safety, liveness or kernel");
  if (!Array.isArray(record.violations)) fail("'violations' must be an array");
  if (record.outcome !== "ok" && (record.violations as unknown[]).length === 0)
    fail("a failed run must list its violations");
  if (typeof record.probes !== "object" || record.probes === null) fail("'probes' must be an object");
  if (typeof record.fingerprint !== "string") fail("'fingerprint' must be a string");
  if (record.buggify !== undefined && record.buggify !== true) fail("'buggify' must be true when present");
  if (record.wireMode !== undefined && !WIRE_MODES.includes(record.wireMode))
    fail(`'wireMode' must be ${WIRE_MODES.join(" or ")} when present`);
  return record as SweepRecord;
}

/** Merges shard outputs; the same (scenario, variant, buggify, wire mode, seed) twice must agree on its fingerprint. */
export function mergeRecords(files: ReadonlyArray<{ path: string; records: readonly SweepRecord[] }>): SweepRecord[] {
  const merged = new Map<string, SweepRecord>();
  for (const { path, records } of files) {
    for (const record of records) {
      const key = `${record.scenario}\u0000${record.variant ?? ""}\u0000${record.buggify === true ? "buggify" : ""}\u0000${record.wireMode ?? ""}\u0000${record.seed}`;
      const existing = merged.get(key);
      if (existing !== undefined && existing.fingerprint !== record.fingerprint) {
        throw new UsageError(
          `${path}: ${record.scenario} seed ${record.seed} appears twice with different fingerprints (${existing.fingerprint}, ${record.fingerprint}): nondeterminism or different code`,
        );
      }
      merged.set(key, record);
    }
  }
  return [...merged.values()].sort((a, b) => a.scenario.localeCompare(b.scenario) || a.seed - b.seed);
}
