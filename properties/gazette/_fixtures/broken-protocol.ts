/**
 * Deliberately broken variants of protocol functions, for showing that the
 * protocol properties can fail. Never used on the shipping path.
 */
import type { WireValue } from "../../../src/sim/env.ts";
import { selectorToString, type LabelSelector } from "../../../src/impl/gazette/protocol/labels.ts";
import { validateReadResponse, type ReadResponse } from "../../../src/impl/gazette/protocol/messages.ts";
import { validateAlphabet, PATH_SYMBOLS, ValidationError } from "../../../src/impl/gazette/protocol/validation.ts";

/** Formats exclusions without their '!' (they read back as inclusions). */
export function selectorToStringForgettingExclusions(selector: LabelSelector): string {
  return selectorToString(selector).replaceAll("!", "");
}

/** Journal validation without the clean-path and leading-'/' checks. */
export function validateJournalWithoutPathChecks(name: string): void {
  validateAlphabet(name, PATH_SYMBOLS, 4, 512);
}

/** Decodes a ReadResponse by casting, trusting the peer's types. */
export function decodeReadResponseByCast(value: WireValue): ReadResponse {
  const response = value as unknown as ReadResponse;
  validateReadResponse(response);
  return response;
}

export { ValidationError };
