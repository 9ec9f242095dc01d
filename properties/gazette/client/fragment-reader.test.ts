/**
 * Invariant: a FragmentReader returns exactly the fragment's content from the
 * requested offset, raw or gzip, however the file's bytes arrive, and reports a
 * clean end only if the file ends exactly at Fragment.End: a file too short is
 * ErrUnexpectedEOF, a file too long is ErrDidNotReadExpectedEOF (after exactly
 * the bytes up to End), and a truncated or corrupted gzip file is an error, never
 * fewer bytes with a clean end.
 *
 * Method: fast-check generates content, codec, offset, how the file is split
 * into reads, and a length error; the reader runs over an in-memory ByteSource.
 * Broken variant: a FragmentReader without the end-of-file checks. Examples cover
 * openFragmentURL through the file transport on a simulated disk.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { gzipSync } from "fflate";
import { fragmentSum, type Fragment } from "../../../src/impl/gazette/protocol/fragment.ts";
import type { CompressionCodec } from "../../../src/impl/gazette/protocol/journal-spec.ts";
import { ErrCorruptFragment, ErrFragmentFetch, ErrUnsupportedCodec } from "../../../src/impl/gazette/client/errors.ts";
import { FragmentReader, openFragmentURL } from "../../../src/impl/gazette/client/fragment-reader.ts";
import { fragmentReaderOf, type FragmentReaderBrokenVariant } from "../_fixtures/broken-client.ts";
import {
  FragmentTransports,
  installFileTransport,
  type ByteSource,
} from "../../../src/impl/gazette/client/fragment-transport.ts";
import { createSimDisks } from "../../../src/sim/disk/system.ts";
import { World } from "../../../src/sim/world.ts";
import { propertyParameters } from "../../_support/fast-check.ts";
import { NODE_HASHES } from "../../../src/sim/hashes.ts";

function source(data: Uint8Array, pieces: readonly number[]): ByteSource {
  let at = 0;
  let index = 0;
  return {
    async read() {
      if (at >= data.length) return null;
      const size = Math.max(1, pieces[index++ % Math.max(1, pieces.length)] ?? data.length);
      const chunk = data.slice(at, at + size);
      at += chunk.length;
      return chunk;
    },
    async close() {},
  };
}

function fragmentOf(content: Uint8Array, begin: number, length: number, codec: CompressionCodec): Fragment {
  return {
    journal: "a/journal",
    begin,
    end: begin + length,
    sum: fragmentSum(NODE_HASHES, content),
    compressionCodec: codec,
    backingStore: "file:///",
    modTime: 0,
    pathPostfix: "",
  };
}

function encode(content: Uint8Array, codec: CompressionCodec): Uint8Array {
  return codec === "GZIP" ? gzipSync(content, { mtime: 0 }) : content;
}

type Outcome = { bytes: number[]; end: "eof" | string };

async function readAll(reader: FragmentReader, maxBytes: number): Promise<Outcome> {
  const bytes: number[] = [];
  for (let reads = 0; reads < 100_000; reads++) {
    try {
      const chunk = await reader.read(maxBytes);
      if (chunk === null) return { bytes, end: "eof" };
      bytes.push(...chunk);
    } catch (error) {
      return { bytes, end: (error as Error).name };
    }
  }
  return { bytes, end: "unbounded" };
}

const fragmentCase = fc.record({
  content: fc.uint8Array({ minLength: 1, maxLength: 5000 }),
  codec: fc.constantFrom<CompressionCodec>("NONE", "GZIP"),
  begin: fc.nat(1_000_000),
  offsetFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  pieces: fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 6 }),
  maxBytes: fc.integer({ min: 1, max: 4096 }),
  /** 0: exact; < 0: the file's content is shorter than the fragment; > 0: longer. */
  lengthError: fc.oneof(fc.constant(0), fc.integer({ min: -50, max: 50 })),
});

function fragmentProperty(variant?: FragmentReaderBrokenVariant) {
  return fc.asyncProperty(fragmentCase, async (input) => {
    const declared = input.content.length - input.lengthError;
    fc.pre(declared >= 0);
    const fragment = fragmentOf(input.content, input.begin, declared, input.codec);
    const within = Math.min(declared, input.content.length);
    const offset = input.begin + Math.floor(input.offsetFraction * within);
    const reader = await fragmentReaderOf(variant).open(
      source(encode(input.content, input.codec), input.pieces),
      fragment,
      offset,
    );
    const outcome = await readAll(reader, input.maxBytes);
    const expectedBytes = [...input.content.subarray(offset - input.begin, within)];
    expect(outcome.bytes).toEqual(expectedBytes);
    const expectedEnd =
      input.lengthError === 0 ? "eof" : input.lengthError > 0 ? "ErrDidNotReadExpectedEOF" : "ErrUnexpectedEOF";
    expect(outcome.end).toBe(expectedEnd);
    expect(reader.offset).toBe(input.begin + within);
  });
}

describe("gazette client: FragmentReader", () => {
  it("returns exactly the content from the offset, and checks EOF at Fragment.End (raw and gzip)", async () => {
    await fc.assert(fragmentProperty(), propertyParameters("gazette-fragment-reader", 300));
  });

  it("fails on a FragmentReader without the end-of-file checks", async () => {
    const details = await fc.check(fragmentProperty("no-eof-check"), {
      ...propertyParameters("gazette-fragment-reader", 300),
      reporter: undefined,
      endOnFailure: true,
    });
    expect(details.failed).toBe(true);
  });

  it("never ends cleanly on a truncated or corrupted gzip file", async () => {
    const corruptCase = fc.record({
      content: fc.uint8Array({ minLength: 1, maxLength: 3000 }),
      cut: fc.integer({ min: 1, max: 4000 }),
      flip: fc.option(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(corruptCase, async (input) => {
        const file = gzipSync(input.content, { mtime: 0 });
        let damaged: Uint8Array;
        if (input.flip !== undefined) {
          damaged = file.slice();
          const at = input.flip.at % damaged.length;
          damaged[at] = (damaged[at] as number) ^ (1 << input.flip.bit);
        } else {
          damaged = file.subarray(0, Math.max(0, file.length - Math.min(input.cut, file.length)));
        }
        const fragment = fragmentOf(input.content, 0, input.content.length, "GZIP");
        let outcome: Outcome;
        try {
          outcome = await readAll(await FragmentReader.open(source(damaged, [512]), fragment, 0), 4096);
        } catch (error) {
          outcome = { bytes: [], end: (error as Error).name };
        }
        if (outcome.end === "eof")
          expect(outcome.bytes).toEqual([...input.content]); // A flip in an ignored header field may be harmless.
        else expect(["ErrUnexpectedEOF", "ErrCorruptFragment", "ErrDidNotReadExpectedEOF"]).toContain(outcome.end);
      }),
      propertyParameters("gazette-fragment-reader-corrupt-gzip", 200),
    );
  });

  it("refuses codecs it cannot decode, and offsets outside the fragment", async () => {
    const content = new Uint8Array([1, 2, 3]);
    await expect(
      FragmentReader.open(source(content, [3]), fragmentOf(content, 0, 3, "SNAPPY"), 0),
    ).rejects.toBeInstanceOf(ErrUnsupportedCodec);
    await expect(FragmentReader.open(source(content, [3]), fragmentOf(content, 10, 3, "NONE"), 5)).rejects.toThrow(
      /invalid offset/,
    );
    expect(new ErrCorruptFragment("x").name).toBe("ErrCorruptFragment");
  });
});

describe("gazette client: openFragmentURL over the file transport (simulated disk)", () => {
  it("reads a gzip fragment file under the transport's root, and reports a missing one as ErrFragmentFetch", async () => {
    const world = new World({ seed: 1, disks: createSimDisks() });
    const content = new TextEncoder().encode("hello, gazette: ".repeat(40));
    const fragment = fragmentOf(content, 100, content.length, "GZIP");
    const results: unknown[] = [];
    world
      .addHost("client", async (env) => {
        await env.disk.mkdir("/nas");
        await env.disk.mkdir("/nas/a");
        await env.disk.mkdir("/nas/a/journal");
        await env.disk.writeFile("/nas/a/journal/f.gz", gzipSync(content, { mtime: 0 }));
        const transports = new FragmentTransports();
        const remove = installFileTransport(transports, env.disk, "/nas");
        const reader = await openFragmentURL(transports, fragment, 110, "file:///a/journal/f.gz");
        results.push(await readAll(reader, 100));
        results.push(
          await openFragmentURL(transports, fragment, 100, "file:///a/journal/missing.gz").catch(
            (error: unknown) => error,
          ),
        );
        remove();
        results.push(
          await openFragmentURL(transports, fragment, 100, "file:///a/journal/f.gz").catch((error: unknown) => error),
        );
      })
      .start();
    await world.scheduler.run({ untilTime: 10_000 });
    expect(results[0]).toEqual({ bytes: [...content.subarray(10)], end: "eof" });
    expect(results[1]).toBeInstanceOf(ErrFragmentFetch);
    expect(String(results[1])).toContain("404 Not Found");
    expect(String(results[2])).toContain("unsupported protocol scheme");
  });
});
