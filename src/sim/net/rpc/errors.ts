/**
 * Conversions between thrown errors and the error frames that carry them.
 */
import { RpcError, type WireValue } from "../../env.ts";
import type { ErrorFrame } from "./frame.ts";
import { wireValueProblem } from "./wire-value.ts";

/** A one-line description of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The message an RpcError was built with (its `message` carries a "CODE: " prefix). */
export function rpcErrorText(error: RpcError): string {
  const prefix = `${error.code}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/**
 * The error frame for what a handler threw: an RpcError travels as is (code,
 * message, details); anything else is INTERNAL with its message, and with its
 * name and message as details.
 */
export function errorFrameFor(id: number, thrown: unknown): ErrorFrame {
  if (thrown instanceof RpcError) {
    const problem = thrown.details === undefined ? undefined : wireValueProblem(thrown.details);
    if (problem === undefined) {
      return { type: "error", id, code: thrown.code, message: rpcErrorText(thrown), details: thrown.details };
    }
    return {
      type: "error",
      id,
      code: "INTERNAL",
      message: `handler error details are not a wire value: ${problem}`,
      details: undefined,
    };
  }
  const name = thrown instanceof Error ? thrown.name : typeof thrown;
  const details: WireValue = { name, message: describeError(thrown) };
  return { type: "error", id, code: "INTERNAL", message: describeError(thrown), details };
}

/** The RpcError a caller sees for an error frame. */
export function errorFromFrame(frame: ErrorFrame): RpcError {
  return new RpcError(frame.code, frame.message, frame.details);
}
