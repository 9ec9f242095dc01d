/**
 * Fragment content codecs (Gazette's broker/codecs): NONE and GZIP (also
 * GZIP_OFFLOAD_DECOMPRESSION, which is GZIP on the wire and on disk). ZSTANDARD
 * and SNAPPY are not supported here: ErrUnsupportedCodec (the client's error, so
 * that a broker and a client name the refusal alike).
 *
 * Decoding is checked: fflate does not verify the gzip trailer, so the decoder
 * checks its CRC-32 and length itself, and a truncated or corrupted stream is an
 * error (ErrUnexpectedEOF, ErrCorruptFragment), never fewer or wrong bytes. The
 * streaming decoder (`contentDecoder`) mirrors the private one of
 * client/fragment-reader.ts (reading) and the broker's store (writing, verifying).
 *
 * Encoding is deterministic: the gzip header's MTIME is 0 (fflate would read the
 * ambient clock otherwise).
 */
import { Gunzip, gzipSync } from "fflate";
import { assert } from "../../../sim/assert.ts";
import { crc32 } from "./crc32.ts";
import { ErrCorruptFragment, ErrUnexpectedEOF, ErrUnsupportedCodec } from "./errors.ts";
import type { CompressionCodec } from "../protocol/journal-spec.ts";

/** Compressed bytes fed to the inflater at once, bounding what one step can inflate to. */
const GZIP_INPUT_PIECE_BYTES = 4 * 1024;
/** Smallest gzip member: 10-byte header, empty deflate block, 8-byte trailer. */
const GZIP_MEMBER_BYTES_MIN = 18;
const GZIP_TRAILER_BYTES = 8;

/** A streaming decoder of stored fragment bytes into content. */
export interface ContentDecoder {
  /** Decodes more stored bytes; returns content pieces (possibly none). */
  push(input: Uint8Array): Uint8Array[];
  /** The stored bytes ended: returns the last pieces, or throws if the stream was incomplete or corrupt. */
  finish(): Uint8Array[];
}

/** True for the codecs this package encodes and decodes. */
export function codecSupported(codec: string): boolean {
  return codec === "NONE" || codec === "GZIP" || codec === "GZIP_OFFLOAD_DECOMPRESSION";
}

/** Compresses `content` for storage under `codec`. Throws ErrUnsupportedCodec for other codecs. */
export function compressContent(codec: CompressionCodec, content: Uint8Array): Uint8Array {
  switch (codec) {
    case "NONE":
      return content;
    case "GZIP":
    case "GZIP_OFFLOAD_DECOMPRESSION":
      return gzipSync(content, { mtime: 0 });
    default:
      throw new ErrUnsupportedCodec(codec);
  }
}

/** A decoder of stored bytes under `codec`. Throws ErrUnsupportedCodec for other codecs. */
export function contentDecoder(codec: string): ContentDecoder {
  switch (codec) {
    case "NONE":
      return { push: (input) => (input.length === 0 ? [] : [input]), finish: () => [] };
    case "GZIP":
    case "GZIP_OFFLOAD_DECOMPRESSION":
      return gzipDecoder();
    default:
      throw new ErrUnsupportedCodec(codec);
  }
}

/**
 * Decompresses whole stored bytes. Fails with ErrCorruptFragment as soon as the
 * content would exceed `lengthMax` bytes (a decompression bomb, or a file that
 * does not belong to its name), and as the decoder fails otherwise.
 */
export function decompressContent(codec: string, stored: Uint8Array, lengthMax: number): Uint8Array {
  assert(Number.isSafeInteger(lengthMax) && lengthMax >= 0, "decompressContent: lengthMax must be a natural number");
  const decoder = contentDecoder(codec);
  const pieces: Uint8Array[] = [];
  let length = 0;
  const keep = (output: Uint8Array[]) => {
    for (const piece of output) {
      length += piece.length;
      if (length > lengthMax) throw new ErrCorruptFragment(`content longer than the expected ${lengthMax} bytes`);
      pieces.push(piece);
    }
  };
  for (let at = 0; at < stored.length; at += GZIP_INPUT_PIECE_BYTES)
    keep(decoder.push(stored.subarray(at, at + GZIP_INPUT_PIECE_BYTES)));
  keep(decoder.finish());
  return concatBytes(pieces, length);
}

/** Concatenates `pieces` (of `length` bytes in all, when known). */
export function concatBytes(
  pieces: readonly Uint8Array[],
  length = pieces.reduce((sum, piece) => sum + piece.length, 0),
): Uint8Array {
  if (pieces.length === 1 && (pieces[0] as Uint8Array).length === length) return pieces[0] as Uint8Array;
  const joined = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    joined.set(piece, at);
    at += piece.length;
  }
  return joined;
}

function gzipDecoder(): ContentDecoder {
  const output: Uint8Array[] = [];
  const gunzip = new Gunzip((chunk) => {
    if (chunk.length > 0) output.push(chunk);
  });
  let inputBytes = 0;
  let tail = new Uint8Array(0);
  let outputCrc = 0;
  let outputBytes = 0;
  const take = () => {
    const pieces = output.splice(0);
    for (const piece of pieces) {
      outputCrc = crc32(piece, outputCrc);
      outputBytes += piece.length;
    }
    return pieces;
  };
  const run = (step: () => void) => {
    try {
      step();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message.includes("unexpected EOF")) throw new ErrUnexpectedEOF("gzip stream truncated");
      throw new ErrCorruptFragment(`gzip: ${message}`, error);
    }
  };
  return {
    push(input) {
      inputBytes += input.length;
      const joined = new Uint8Array(tail.length + input.length);
      joined.set(tail);
      joined.set(input, tail.length);
      tail = joined.slice(Math.max(0, joined.length - GZIP_TRAILER_BYTES));
      for (let at = 0; at < input.length; at += GZIP_INPUT_PIECE_BYTES)
        run(() => gunzip.push(input.subarray(at, at + GZIP_INPUT_PIECE_BYTES), false));
      return take();
    },
    finish() {
      run(() => gunzip.push(new Uint8Array(0), true));
      const pieces = take();
      if (inputBytes < GZIP_MEMBER_BYTES_MIN) throw new ErrUnexpectedEOF("gzip stream shorter than a gzip member");
      const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
      if (view.getUint32(0, true) !== outputCrc || view.getUint32(4, true) !== outputBytes % 0x100000000) {
        throw new ErrCorruptFragment("gzip: invalid checksum or size in trailer");
      }
      return pieces;
    },
  };
}
