/**
 * The commands of the replicated key-value store and the FSM's responses, with
 * their encoding as log entries (JSON in UTF-8: small, readable in traces).
 *
 * Every command carries the id its client gave it, so a scenario can follow one
 * command through every replica's log.
 */
import { assert } from "../../sim/assert.ts";

/** A read of `key` (through the log: linearizable). */
export interface GetCommand {
  readonly kind: "get";
  readonly id: string;
  readonly key: string;
}

/** Sets `key` to `value`. */
export interface PutCommand {
  readonly kind: "put";
  readonly id: string;
  readonly key: string;
  readonly value: string;
}

/** Sets `key` to `next` if it holds `expected` (null: the key is absent). */
export interface CasCommand {
  readonly kind: "cas";
  readonly id: string;
  readonly key: string;
  readonly expected: string | null;
  readonly next: string;
}

export type KvCommand = GetCommand | PutCommand | CasCommand;

/** The FSM's answer: the key's value before the command (null: absent), and whether a cas swapped. */
export interface KvResponse {
  readonly value: string | null;
  readonly swapped: boolean;
}

/** Longest key accepted, in characters. */
export const KEY_LENGTH_MAX = 256;
/** Longest value accepted, in characters. */
export const VALUE_LENGTH_MAX = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The command as log-entry bytes. */
export function encodeCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

/** The command in log-entry bytes; undefined for bytes no client wrote (the FSM ignores them). */
export function decodeCommand(data: Uint8Array): KvCommand | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
  return isCommand(parsed) ? parsed : undefined;
}

/** True when `value` is a well-formed command within the limits. */
export function isCommand(value: unknown): value is KvCommand {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  if (typeof record.id !== "string" || typeof record.key !== "string" || record.key.length > KEY_LENGTH_MAX)
    return false;
  switch (record.kind) {
    case "get":
      return true;
    case "put":
      return isValue(record.value);
    case "cas":
      return (record.expected === null || isValue(record.expected)) && isValue(record.next);
    default:
      return false;
  }
}

function isValue(value: unknown): value is string {
  return typeof value === "string" && value.length <= VALUE_LENGTH_MAX;
}

/** Applies `command` to `map` (mutating it) and returns the response. */
export function applyCommand(map: Map<string, string>, command: KvCommand): KvResponse {
  const value = map.get(command.key) ?? null;
  switch (command.kind) {
    case "get":
      return { value, swapped: false };
    case "put":
      map.set(command.key, command.value);
      return { value, swapped: false };
    case "cas": {
      const swapped = value === command.expected;
      if (swapped) map.set(command.key, command.next);
      assert(!swapped || map.get(command.key) === command.next, "a swapped cas leaves the new value");
      return { value, swapped };
    }
  }
}
