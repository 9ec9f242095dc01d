/**
 * FragmentReader, NewFragmentReader and OpenFragmentURL (reader.go): direct reads
 * of a fragment file, decompressed, from a given journal offset.
 *
 * Contract (the seed's): `read` returns the next decompressed content and keeps
 * `offset` at the next journal offset to be read. It reports end of file (null)
 * only if the file ends exactly at `fragment.end`. A file too short is
 * ErrUnexpectedEOF; a file too long is ErrDidNotReadExpectedEOF (the bytes up to
 * `fragment.end` are returned first). Codecs: NONE, GZIP (fflate; the gzip
 * trailer's CRC-32 and size are checked, which fflate does not do, so that a
 * corrupt file is ErrCorruptFragment rather than wrong bytes) and
 * GZIP_OFFLOAD_DECOMPRESSION (read as GZIP: the transports here hand out stored
 * bytes and never decompress on the store's side). ZSTANDARD and SNAPPY are
 * ErrUnsupportedCodec.
 *
 * Seam for test fixtures: a subclass overrides `withinFragment` (how content is
 * held to the fragment's bounds), and its static `open` builds the subclass.
 */
import { contentDecoder, type ContentDecoder } from "./codec.ts";
import { assert } from "../../../sim/assert.ts";
import type { Fragment } from "../protocol/fragment.ts";
import { ValidationError } from "../protocol/validation.ts";
import { ErrDidNotReadExpectedEOF, ErrUnexpectedEOF } from "./errors.ts";
import type { ByteSource, FragmentTransports } from "./fragment-transport.ts";

/** Default bytes per read. */
export const FRAGMENT_READ_BYTES_DEFAULT = 64 * 1024;

type Decoder = ContentDecoder;

const decoderFor = contentDecoder;

/** FragmentReader: reads a fragment's decompressed content (see the file comment). */
export class FragmentReader {
  /** Next journal offset to be read, in [fragment.begin, fragment.end]. */
  offset: number;
  private readonly pending: Uint8Array[] = [];
  private sourceEnded = false;
  private sticky: Error | undefined;
  private closed = false;

  protected constructor(
    private readonly source: ByteSource,
    readonly fragment: Fragment,
    private readonly decoder: Decoder,
  ) {
    this.offset = fragment.begin;
  }

  /**
   * NewFragmentReader: wraps `source` (raw fragment bytes) and discards content up to `offset` (called on a subclass,
   * builds one).
   */
  static async open(
    this: typeof FragmentReader,
    source: ByteSource,
    fragment: Fragment,
    offset: number,
  ): Promise<FragmentReader> {
    let decoder: Decoder;
    try {
      if (offset < fragment.begin || offset > fragment.end)
        throw new ValidationError(
          `invalid offset (${offset}; expected ${fragment.begin} <= offset <= ${fragment.end})`,
        );
      decoder = decoderFor(fragment.compressionCodec);
    } catch (error) {
      await source.close().catch(() => undefined);
      throw error;
    }
    const reader = new this(source, fragment, decoder);
    try {
      for (let remaining = offset - fragment.begin; remaining > 0; ) {
        const chunk = await reader.read(Math.min(remaining, FRAGMENT_READ_BYTES_DEFAULT));
        if (chunk === null) throw new ErrUnexpectedEOF("fragment ended before the requested offset");
        remaining -= chunk.length;
      }
    } catch (error) {
      await reader.close();
      throw error;
    }
    return reader;
  }

  /** The next content, at most `maxBytes`; null at a clean end of the fragment. */
  async read(maxBytes = FRAGMENT_READ_BYTES_DEFAULT): Promise<Uint8Array | null> {
    assert(maxBytes > 0, "FragmentReader.read: maxBytes must be positive");
    assert(!this.closed, "FragmentReader.read after close");
    if (this.sticky !== undefined) throw this.sticky;
    try {
      await this.fill();
    } catch (error) {
      this.sticky = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
    const chunk = this.withinFragment(this.pending.length === 0 ? null : this.takePending(maxBytes));
    if (chunk === null) return null;
    this.offset += chunk.length;
    return chunk;
  }

  /**
   * Seam: holds the file to the fragment's bounds. At the file's end (`chunk`
   * null) the offset must be the fragment's end, else ErrUnexpectedEOF; content
   * past the end is cut off, and the next read is ErrDidNotReadExpectedEOF.
   */
  protected withinFragment(chunk: Uint8Array | null): Uint8Array | null {
    if (chunk === null) {
      if (this.offset === this.fragment.end) return null;
      this.sticky = new ErrUnexpectedEOF(`fragment ended at ${this.offset}, before its end ${this.fragment.end}`);
      throw this.sticky;
    }
    if (this.offset + chunk.length <= this.fragment.end) return chunk;
    const within = chunk.subarray(0, this.fragment.end - this.offset);
    this.sticky = new ErrDidNotReadExpectedEOF();
    if (within.length === 0) throw this.sticky;
    return within;
  }

  /** Closes the underlying source (and drops the decompressor). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending.length = 0;
    await this.source.close();
  }

  private async fill(): Promise<void> {
    while (this.pending.length === 0 && !this.sourceEnded) {
      const raw = await this.source.read();
      if (raw === null) {
        this.sourceEnded = true;
        this.pending.push(...this.decoder.finish());
      } else {
        this.pending.push(...this.decoder.push(raw));
      }
    }
  }

  private takePending(maxBytes: number): Uint8Array {
    const first = this.pending[0] as Uint8Array;
    if (first.length <= maxBytes) {
      this.pending.shift();
      return first;
    }
    this.pending[0] = first.subarray(maxBytes);
    return first.subarray(0, maxBytes);
  }
}

/**
 * OpenFragmentURL: opens the fragment at `url` through `transports`, pre-seeked
 * to `offset`, with `fragmentReader` (FragmentReader, or a subclass: a seam for
 * test fixtures).
 */
export async function openFragmentURL(
  transports: FragmentTransports,
  fragment: Fragment,
  offset: number,
  url: string,
  signal?: AbortSignal,
  fragmentReader: typeof FragmentReader = FragmentReader,
): Promise<FragmentReader> {
  const source = await transports.open(url, fragment, signal);
  return fragmentReader.open(source, fragment, offset);
}
