// ByteImage (a simulated file's live and durable contents, in chunks) behaves exactly as a plain byte array
// with file semantics: after any sequence of writes, truncations, replaces and clones, its length, every read
// and its bytes equal the model's; bytes past the end are never seen again (a truncation then an extension
// reads zeros). Shown to fail on a variant whose truncation forgets to zero what it cuts off.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteImage } from "../../src/sim/disk/byte-image.ts";
import { propertyParameters } from "../_support/fast-check.ts";

/** Broken: a shrinking truncation only moves the length, so the cut-off bytes reappear when the file grows again. */
class TruncateWithoutZeroing extends ByteImage {
  override truncate(length: number): void {
    if (length < this.lengthBytes) this.lengthBytes = length;
    else super.truncate(length);
  }
}

/** Offsets around the 64 KiB chunk boundaries, and anywhere. */
const position = fc.oneof(
  fc.nat({ max: 300 }),
  fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: -40, max: 40 }))
    .map(([chunk, delta]) => Math.max(0, chunk * 65_536 + delta)),
  fc.nat({ max: 200_000 }),
);
const data = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.integer({ min: 0, max: 140_000 }).map((length) => new Uint8Array(length).fill((length % 251) + 1)),
);
const command = fc.oneof(
  fc.record({ kind: fc.constant("write" as const), position, data }),
  fc.record({ kind: fc.constant("truncate" as const), length: position }),
  fc.record({ kind: fc.constant("replace" as const), data }),
  fc.record({ kind: fc.constant("read" as const), position, length: position }),
  fc.record({ kind: fc.constant("clone" as const) }),
);
type Command = typeof command extends fc.Arbitrary<infer T> ? T : never;

/** Runs `commands` on a fresh image and on the model; the first difference, or undefined. */
function firstDifference(
  make: (initial: Uint8Array) => ByteImage,
  initial: Uint8Array,
  commands: readonly Command[],
): string | undefined {
  let image = make(initial);
  let model: Uint8Array = initial.slice();
  for (const [step, each] of commands.entries()) {
    if (each.kind === "write") {
      image.write(each.position, each.data);
      if (each.data.length > 0) {
        model = resized(model, Math.max(model.length, each.position + each.data.length));
        model.set(each.data, each.position);
      }
    } else if (each.kind === "truncate") {
      image.truncate(each.length);
      model = resized(model, each.length);
    } else if (each.kind === "replace") {
      image.replace(each.data);
      model = each.data.slice();
    } else if (each.kind === "read") {
      const end = Math.min(model.length, each.position + each.length);
      if (!equal(image.read(each.position, each.length), model.slice(Math.min(each.position, end), end)))
        return `read differs at step ${step}`;
    } else {
      image = image.clone();
    }
    if (image.length !== model.length) return `length ${image.length}, model ${model.length} at step ${step}`;
  }
  return equal(image.bytes(), model) ? undefined : "bytes differ at the end";
}

function resized(bytes: Uint8Array, length: number): Uint8Array {
  const result = new Uint8Array(length);
  result.set(bytes.subarray(0, Math.min(length, bytes.length)));
  return result;
}

function equal(left: Uint8Array, right: Uint8Array): boolean {
  return (
    left.length === right.length &&
    Buffer.from(left.buffer, left.byteOffset, left.length).equals(
      Buffer.from(right.buffer, right.byteOffset, right.length),
    )
  );
}

const scenario = fc.record({
  initial: fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.constant(new Uint8Array(70_000).fill(9))),
  commands: fc.array(command, { maxLength: 12 }),
});

describe("ByteImage", () => {
  it("sim.byte-image-model: every sequence of operations reads as a plain byte array", () => {
    fc.assert(
      fc.property(scenario, ({ initial, commands }) => {
        expect(firstDifference((bytes) => new ByteImage(bytes), initial, commands)).toBeUndefined();
      }),
      propertyParameters("sim.byte-image-model", 300),
    );
  });

  it("the property catches a truncation that leaves the cut-off bytes behind", () => {
    const outcome = fc.check(
      fc.property(
        scenario,
        ({ initial, commands }) =>
          firstDifference((bytes) => new TruncateWithoutZeroing(bytes), initial, commands) === undefined,
      ),
      { ...propertyParameters("sim.byte-image-model-catches-truncate-without-zeroing", 300), reporter: undefined },
    );
    expect(outcome.failed).toBe(true);
  });
});
