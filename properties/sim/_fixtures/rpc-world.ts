/**
 * Helpers for the RPC tests: settle a call into a plain outcome, and collect a
 * server stream, each with the host-local time it settled at.
 */
import { RpcError, type Clock, type RpcErrorCode, type WireValue } from "../../../src/sim/env.ts";
import type { World } from "../../../src/sim/world.ts";

/** How a call ended, and when (host-local monotonic ms). */
export type CallOutcome =
  | { ok: true; value: WireValue; atMs: number }
  | { ok: false; code: RpcErrorCode; message: string; details: WireValue | undefined; atMs: number };

/** Turns a call's promise into an outcome. Anything thrown that is not an RpcError is rethrown. */
export async function settle(promise: Promise<WireValue>, clock: Clock): Promise<CallOutcome> {
  try {
    const value = await promise;
    return { ok: true, value, atMs: clock.monotonic() };
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    return { ok: false, code: error.code, message: error.message, details: error.details, atMs: clock.monotonic() };
  }
}

/** How a consumed stream ended: the messages received, then ok or a typed error. */
export interface StreamOutcome {
  messages: WireValue[];
  error: RpcError | undefined;
  atMs: number;
}

/** Reads a stream to its end (or its first `limit` messages, then breaks out). Non-RpcErrors are rethrown. */
export async function collect(
  stream: AsyncIterable<WireValue>,
  clock: Clock,
  limit = Number.POSITIVE_INFINITY,
): Promise<StreamOutcome> {
  const messages: WireValue[] = [];
  try {
    for await (const message of stream) {
      messages.push(message);
      if (messages.length >= limit) break;
    }
    return { messages, error: undefined, atMs: clock.monotonic() };
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    return { messages, error, atMs: clock.monotonic() };
  }
}

/** Runs the world to `untilTime` (virtual ms) with a runaway guard; returns the stop reason. */
export async function runWorld(world: World, untilTime: number): Promise<string> {
  const result = await world.scheduler.run({ untilTime, maxEvents: 2_000_000 });
  return result.reason;
}

/** The world's violations and uncaught process errors, as text (the tests' shared helper). */
export { worldProblems } from "../../_support/world-run.ts";
