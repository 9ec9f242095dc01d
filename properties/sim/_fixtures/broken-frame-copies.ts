/**
 * Deliberately broken stand-ins for the object wire mode's copy (frame-copy.ts),
 * never used by shipping code: each breaks one promise the copy property checks.
 */
import { copyFrame, type CopiedFrame } from "../../../src/sim/net/rpc/frame-copy.ts";
import type { Frame } from "../../../src/sim/net/rpc/frame.ts";

/** Hands the receiver the sender's own frame: the two hosts share its payload. */
export function sharingCopyFrame(frame: Frame): CopiedFrame {
  return { frame, size: copyFrame(frame).size };
}

/** Counts a string's UTF-16 units as its bytes: sizes go wrong for anything beyond ASCII. */
export function utf16SizedCopyFrame(frame: Frame): CopiedFrame {
  const copied = copyFrame(frame);
  let extra = 0;
  const walk = (value: unknown): void => {
    if (typeof value === "string") extra += value.length - new TextEncoder().encode(value).length;
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === "object" && !(value instanceof Uint8Array))
      Object.values(value).forEach(walk);
  };
  walk(frame);
  return { frame: copied.frame, size: copied.size + extra };
}
