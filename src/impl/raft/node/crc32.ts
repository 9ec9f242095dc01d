/**
 * CRC-32 (IEEE 802.3, the polynomial of zlib and Ethernet), table driven. Detects
 * every burst error up to 32 bits, so every flipped byte of a stored record.
 */

const POLYNOMIAL = 0xedb88320;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let value = byte;
    for (let bit = 0; bit < 8; bit++) value = value & 1 ? (value >>> 1) ^ POLYNOMIAL : value >>> 1;
    table[byte] = value >>> 0;
  }
  return table;
})();

/** The CRC-32 of `data` (an unsigned 32-bit integer). `crc32(new TextEncoder().encode("123456789")) === 0xcbf43926`. */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let position = 0; position < data.length; position++) {
    crc = (TABLE[(crc ^ (data[position] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
