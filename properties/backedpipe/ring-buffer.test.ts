/**
 * Invariant: after any sequence of writes, a RingBuffer of capacity C holds exactly
 * the last min(C, bytes written) bytes, and readLast(n) returns the last n bytes
 * written when n is within that, and ErrInsufficientBufferedData otherwise.
 *
 * Method: fast-check model-based commands against a plain array of every byte
 * written, with capacity 1, writes longer than the capacity and zero-length writes
 * and reads among the cases; the same property must fail on a copy of RingBuffer
 * that evicts the wrong bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../src/sim/assert.ts";
import { ErrInsufficientBufferedData } from "../../src/impl/backedpipe/errors.ts";
import { RingBuffer } from "../../src/impl/backedpipe/ring-buffer.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import { BrokenEvictionRingBuffer } from "./_fixtures/broken-ring-buffer.ts";
import type { RingBufferLike } from "./_support/ring-buffer-like.ts";

interface Model {
  readonly capacity: number;
  /** Every byte ever written, oldest first. */
  readonly written: number[];
}

class WriteCommand implements fc.Command<Model, RingBufferLike> {
  constructor(readonly data: Uint8Array) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: RingBufferLike): void {
    const bytes = Uint8Array.from(this.data);
    real.write(bytes);
    bytes.fill(0xee); // The buffer must have copied the bytes.
    model.written.push(...this.data);
    expect(real.size).toBe(Math.min(model.capacity, model.written.length));
    expect(real.capacity).toBe(model.capacity);
  }
  toString(): string {
    return `write(${this.data.length} bytes)`;
  }
}

class ReadLastCommand implements fc.Command<Model, RingBufferLike> {
  constructor(readonly length: number) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: RingBufferLike): void {
    const available = Math.min(model.capacity, model.written.length);
    const result = real.readLast(this.length);
    if (this.length > available) {
      expect(result).toBeInstanceOf(ErrInsufficientBufferedData);
      expect(result).toMatchObject({ requestedBytes: this.length, availableBytes: available });
      return;
    }
    expect(result).toBeInstanceOf(Uint8Array);
    const expected = model.written.slice(model.written.length - this.length);
    expect(Array.from(result as Uint8Array), "readLast bytes").toEqual(expected);
    (result as Uint8Array).fill(0xdd); // A read returns a copy: reading again is unaffected.
    expect(Array.from(real.readLast(this.length) as Uint8Array)).toEqual(expected);
  }
  toString(): string {
    return `readLast(${this.length})`;
  }
}

const capacities = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 24 }));
const commands = fc.commands(
  [
    fc.uint8Array({ minLength: 0, maxLength: 40 }).map((data) => new WriteCommand(data)),
    fc.nat(40).map((length) => new ReadLastCommand(length)),
  ],
  { maxCommands: 40 },
);

function ringBufferMatchesModel(
  create: (capacity: number) => RingBufferLike,
): fc.IProperty<[number, Iterable<fc.Command<Model, RingBufferLike>>]> {
  return fc.property(capacities, commands, (capacity, sequence) => {
    fc.modelRun(() => ({ model: { capacity, written: [] }, real: create(capacity) }), sequence);
  });
}

const name = "backedpipe ring buffer matches a plain-array model";

describe("RingBuffer", () => {
  it(name, () => {
    fc.assert(
      ringBufferMatchesModel((capacity) => new RingBuffer(capacity)),
      propertyParameters(name, 300, { includeErrorInReport: true }),
    );
  });

  it(`${name}: fails on a buffer that evicts the newest bytes of a long write`, () => {
    const details = fc.check(
      ringBufferMatchesModel((capacity) => new BrokenEvictionRingBuffer(capacity)),
      propertyParameters(name, 300),
    );
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/readLast bytes/);
  });

  it("refuses a capacity that is not a positive integer, and a negative read", () => {
    expect(() => new RingBuffer(0)).toThrow(AssertionError);
    expect(() => new RingBuffer(-3)).toThrow(AssertionError);
    expect(() => new RingBuffer(1.5)).toThrow(AssertionError);
    expect(() => new RingBuffer(2).readLast(-1)).toThrow(AssertionError);
  });

  it("reads zero bytes from an empty buffer, and nothing more", () => {
    const buffer = new RingBuffer(1);
    expect(buffer.readLast(0)).toEqual(new Uint8Array(0));
    expect(buffer.readLast(1)).toBeInstanceOf(ErrInsufficientBufferedData);
  });
});
