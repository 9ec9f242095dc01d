/**
 * The Env's hashes (env.ts Hashes), computed natively by Node: CRC-32 by zlib and
 * SHA-1 by OpenSSL. Both are pure functions of their input, so they keep a run
 * deterministic; the systems reach them only through `env.hash`.
 */
import { createHash, type Hash } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";
import type { Hashes, Sha1Hasher } from "./env.ts";

class NodeSha1 implements Sha1Hasher {
  constructor(private readonly hash: Hash = createHash("sha1")) {}
  update(data: Uint8Array): Sha1Hasher {
    this.hash.update(data);
    return this;
  }
  copy(): Sha1Hasher {
    return new NodeSha1(this.hash.copy());
  }
  digestHex(): string {
    return this.hash.digest("hex");
  }
}

export const NODE_HASHES: Hashes = Object.freeze({
  crc32: (data: Uint8Array, previous?: number) => zlibCrc32(data, previous ?? 0),
  sha1: () => new NodeSha1(),
});
