/**
 * Checks that a chunk read from a pipe continues the exact prefix of the peer's
 * bytes, and when it does not, says how: a gap (bytes skipped), a duplicate (bytes
 * delivered again), or something else (reordered or corrupted bytes).
 */

/** How far back or ahead the diagnosis looks for the chunk in the expected bytes. */
const SHIFT_SEARCH_BYTES_MAX = 1024 * 1024;
/** Bytes of the chunk compared at each candidate shift (fewer than the minimum say too little). */
const SHIFT_PROBE_BYTES = 16;
const SHIFT_PROBE_BYTES_MIN = 4;

/**
 * Undefined when `chunk` equals `expected` at `offset` (and does not run past
 * `available`, the bytes the peer has handed to its pipe so far); otherwise a
 * description of the first difference.
 */
export function describeMismatch(
  expected: Uint8Array,
  available: number,
  offset: number,
  chunk: Uint8Array,
): string | undefined {
  if (offset + chunk.length > available) {
    return `received bytes ${offset}..${offset + chunk.length} but the peer has written only ${available}`;
  }
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] === expected[offset + i]) continue;
    const at = offset + i;
    return `byte ${at} is ${chunk[i]}, expected ${expected[at]}${diagnose(expected, available, at, chunk.subarray(i))}`;
  }
  return undefined;
}

/** Finds the nearest shift at which the rest of the chunk matches the peer's bytes. */
function diagnose(expected: Uint8Array, available: number, at: number, rest: Uint8Array): string {
  const probe = rest.subarray(0, Math.min(rest.length, SHIFT_PROBE_BYTES));
  if (probe.length < SHIFT_PROBE_BYTES_MIN) return "";
  for (let distance = 1; distance <= SHIFT_SEARCH_BYTES_MAX; distance++) {
    if (matchesAt(expected, available, at + distance, probe))
      return `: a gap, ${distance} byte${distance === 1 ? "" : "s"} from ${at} skipped`;
    if (at - distance >= 0 && matchesAt(expected, available, at - distance, probe)) {
      return `: a duplicate, bytes from ${at - distance} were delivered again`;
    }
  }
  return ": reordered or corrupted bytes";
}

function matchesAt(expected: Uint8Array, available: number, start: number, probe: Uint8Array): boolean {
  if (start + probe.length > available) return false;
  for (let i = 0; i < probe.length; i++) if (probe[i] !== expected[start + i]) return false;
  return true;
}
