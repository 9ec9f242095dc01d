/**
 * Parsing of command-line input. Every malformed input is a `UsageError`: the CLI
 * prints its one line on stderr and exits with code 2.
 */
import { readFileSync } from "node:fs";
import { WIRE_MODES, type WireMode } from "../sim/net/rpc/frame-channel.ts";
import { swarmWireMode } from "../sim/runner.ts";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const SEED_MAX = Number.MAX_SAFE_INTEGER;
/** The most seeds one sweep may run. */
export const SWEEP_SEEDS_MAX = 10_000_000;

export function parseSeed(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`malformed seed "${text}": expected a non-negative integer`);
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`seed ${text} is too large (maximum ${SEED_MAX})`);
  return seed;
}

/** "A..B" (inclusive) or a single seed. */
export function parseSeedRange(text: string): { first: number; last: number } {
  const match = /^(\d+)\.\.(\d+)$/.exec(text);
  if (match === null) {
    if (/^\d+$/.test(text)) {
      const seed = parseSeed(text);
      return { first: seed, last: seed };
    }
    throw new UsageError(`malformed seed range "${text}": expected A..B, e.g. 1..1000`);
  }
  const first = parseSeed(match[1] as string);
  const last = parseSeed(match[2] as string);
  if (last < first) throw new UsageError(`empty seed range "${text}": ${last} < ${first}`);
  if (last - first + 1 > SWEEP_SEEDS_MAX)
    throw new UsageError(`seed range "${text}" has more than ${SWEEP_SEEDS_MAX} seeds`);
  return { first, last };
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * A wall-time duration such as `90s`, `10m`, `2h` or `1h30m` (units ms, s, m, h), in
 * milliseconds: more than 0 and at most `durationMsMax`.
 */
export function parseDuration(text: string, option: string, durationMsMax: number): number {
  const fail = (why: string): never => {
    throw new UsageError(`malformed ${option} "${text}": ${why}`);
  };
  if (!/^(\d+(ms|s|m|h))+$/.test(text)) fail("expected a number and a unit (ms, s, m, h), e.g. 90s, 10m, 2h or 1h30m");
  let durationMs = 0;
  for (const match of text.matchAll(/(\d+)(ms|s|m|h)/g))
    durationMs += Number(match[1]) * (DURATION_UNIT_MS[match[2] as string] as number);
  if (durationMs <= 0) fail("expected more than 0");
  if (!(durationMs <= durationMsMax)) fail(`at most ${durationMsMax / 3_600_000} h`);
  return durationMs;
}

/** `--wire objects|frames`: the RPC wire mode of a run (absent: the swarm picks it per seed). */
export function parseWireMode(text: string | undefined): WireMode | undefined {
  if (text === undefined) return undefined;
  if (!WIRE_MODES.includes(text as WireMode))
    throw new UsageError(`unknown wire mode "${text}": expected ${WIRE_MODES.join(" or ")}`);
  return text as WireMode;
}

/**
 * `--knob name=value` (repeatable): knobs fixed instead of the seed's draws. A value
 * reads as a number when it is one, as a boolean for true/false, else as text; the
 * run refuses a knob the scenario lacks or a value of another type.
 */
export function parseKnobOptions(
  texts: readonly string[] | undefined,
): Record<string, number | string | boolean> | undefined {
  if (texts === undefined || texts.length === 0) return undefined;
  const knobs: Record<string, number | string | boolean> = {};
  for (const text of texts) {
    const match = /^([A-Za-z][A-Za-z0-9]*)=(.+)$/.exec(text);
    if (match === null) throw new UsageError(`malformed --knob "${text}": expected name=value`);
    const [, name, value] = match as unknown as [string, string, string];
    if (name in knobs) throw new UsageError(`--knob ${name} given twice`);
    knobs[name] = /^-?\d+(\.\d+)?$/.test(value)
      ? Number(value)
      : value === "true"
        ? true
        : value === "false"
          ? false
          : value;
  }
  return knobs;
}

/**
 * The flag that reproduces a record's wire mode in a printed command: none when it is the swarm's own pick for the
 * seed.
 */
export function wireFlag(scenario: string, seed: number, wireMode: WireMode | undefined): string {
  return wireMode === undefined || wireMode === swarmWireMode(scenario, seed) ? "" : ` --wire ${wireMode}`;
}

/** Reads and parses a JSON file, with one clear line on failure (never quoting binary content). */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(`cannot read ${what} ${path}: ${code}`);
  }
  // JSON never holds a raw control character (not even in a string): say so rather than quote the bytes.
  const binary = firstControlCharacter(text);
  if (binary !== -1) {
    throw new UsageError(
      `${what} ${path} is not JSON: it holds binary data (byte 0x${text.charCodeAt(binary).toString(16).padStart(2, "0")} at character ${binary})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Index of the first C0 control character other than tab, line feed and carriage return (-1 if none). */
function firstControlCharacter(text: string): number {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return index;
  }
  return -1;
}
