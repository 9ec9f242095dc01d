/**
 * SHA-1 (FIPS 180-4), pure TypeScript, for Fragment content sums: Gazette names a
 * Fragment by the SHA-1 of its content. node:crypto is out of bounds in src/impl
 * (DESIGN.md), and fragments are small in simulation, so a plain implementation
 * suffices. Incremental: `update` any number of times, then `digestHex` once.
 */
import { assert } from "../../common/assert.ts";

const BLOCK_BYTES = 64;

export class Sha1 {
  private readonly state = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  private readonly block = new Uint8Array(BLOCK_BYTES);
  private readonly words = new Uint32Array(80);
  private blockLength = 0;
  private totalBytes = 0;
  private finished = false;

  update(data: Uint8Array): this {
    assert(!this.finished, "sha1: update after digest");
    for (let index = 0; index < data.length; ) {
      const take = Math.min(BLOCK_BYTES - this.blockLength, data.length - index);
      this.block.set(data.subarray(index, index + take), this.blockLength);
      this.blockLength += take;
      index += take;
      if (this.blockLength === BLOCK_BYTES) {
        this.compress();
        this.blockLength = 0;
      }
    }
    this.totalBytes += data.length;
    return this;
  }

  /** The 20-byte digest as 40 lowercase hex digits. */
  digestHex(): string {
    assert(!this.finished, "sha1: digest twice");
    this.finished = true;
    const bitLength = this.totalBytes * 8;
    this.block[this.blockLength++] = 0x80;
    if (this.blockLength > BLOCK_BYTES - 8) {
      this.block.fill(0, this.blockLength);
      this.compress();
      this.blockLength = 0;
    }
    this.block.fill(0, this.blockLength);
    const view = new DataView(this.block.buffer);
    view.setUint32(BLOCK_BYTES - 8, Math.floor(bitLength / 0x100000000));
    view.setUint32(BLOCK_BYTES - 4, bitLength >>> 0);
    this.compress();
    return [...this.state].map((word) => word.toString(16).padStart(8, "0")).join("");
  }

  private compress(): void {
    const w = this.words;
    const view = new DataView(this.block.buffer);
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(t * 4);
    for (let t = 16; t < 80; t++) {
      const x = (w[t - 3] as number) ^ (w[t - 8] as number) ^ (w[t - 14] as number) ^ (w[t - 16] as number);
      w[t] = (x << 1) | (x >>> 31);
    }
    let [a, b, c, d, e] = this.state as unknown as [number, number, number, number, number];
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + (w[t] as number)) >>> 0;
      e = d;
      d = c;
      c = ((b << 30) | (b >>> 2)) >>> 0;
      b = a;
      a = temp;
    }
    this.state[0] = ((this.state[0] as number) + a) >>> 0;
    this.state[1] = ((this.state[1] as number) + b) >>> 0;
    this.state[2] = ((this.state[2] as number) + c) >>> 0;
    this.state[3] = ((this.state[3] as number) + d) >>> 0;
    this.state[4] = ((this.state[4] as number) + e) >>> 0;
  }
}

/** SHA-1 of `data` as 40 hex digits. */
export function sha1Hex(data: Uint8Array): string {
  return new Sha1().update(data).digestHex();
}
