/**
 * Small, deterministic 32-bit hashes for the checker's state cache.
 *
 * Models use these to implement `Model.hash`. The only contract a cache needs is
 * that equal states hash equally; collisions cost a comparison, never a verdict.
 */

const fnvOffsetBasis = 0x811c9dc5;
const fnvPrime = 0x01000193;

/** FNV-1a over the UTF-16 code units of `text`, as an unsigned 32-bit integer. */
export function hashString(text: string): number {
  return continueStringHash(fnvOffsetBasis, text);
}

/**
 * FNV-1a is a streaming hash: `continueStringHash(hashString(a), b)` equals
 * `hashString(a + b)`. That lets a model hash an appended string in the time of
 * the appended part.
 */
export function continueStringHash(previousHash: number, text: string): number {
  let hash = previousHash | 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, fnvPrime);
  }
  return hash >>> 0;
}

/** A well-mixed unsigned 32-bit hash of a 32-bit integer (the murmur3 finaliser). */
export function mixInteger(value: number): number {
  let hash = value | 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** Combines two 32-bit hashes into one; order matters. */
export function combineHashes(first: number, second: number): number {
  return mixInteger((Math.imul(first ^ 0x9e3779b9, 0x01000193) ^ second) | 0);
}

/**
 * A hash of a number: integers in the 32-bit range hash through `mixInteger`,
 * anything else through its decimal text (so -0 and 0 hash alike, as `===` says).
 */
export function hashNumber(value: number): number {
  if ((value | 0) === value) return mixInteger(value);
  return hashString(String(value));
}
