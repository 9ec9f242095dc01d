/**
 * anySignal (src/impl/common/any-signal.ts), two invariants: the composite aborts as
 * soon as any source aborts, with that source's reason (at once when one already
 * had), and never before; and a composite with a listener, whose sources are
 * dropped, is collected with what its listener holds, aborted or not (so a
 * finished run's world is freed).
 *
 * Method: fast-check draws the number of sources, which are aborted before the
 * composite is made, and the order the others abort in; the composite is observed
 * through its own listener. Collection is observed through a WeakRef to an object
 * only the listener holds, after a full garbage collection in a later macrotask.
 * Node's `AbortSignal.any` (the fixture `nodeAnySignal`) keeps it: the test shows it.
 */
import fc from "fast-check";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { anySignal } from "../../src/impl/common/any-signal.ts";
import { propertyParameters } from "../_support/fast-check.ts";
import { nodeAnySignal } from "./_fixtures/node-any-signal.ts";

type Compose = (signals: readonly AbortSignal[]) => AbortSignal;

describe("anySignal", () => {
  it("aborts with the reason of the first source to abort, and not before", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((count) =>
          fc.record({
            count: fc.constant(count),
            preAborted: fc.array(fc.integer({ min: 0, max: count - 1 }), { maxLength: 2 }),
            order: fc.shuffledSubarray([...Array(count).keys()], { minLength: 1 }),
          }),
        ),
        ({ count, preAborted, order }) => {
          const controllers = Array.from({ length: count }, () => new AbortController());
          for (const index of preAborted) controllers[index]?.abort(`reason ${index}`);
          const composite = anySignal(controllers.map((controller) => controller.signal));
          const firstPre = preAborted[0];
          if (firstPre !== undefined) {
            expect(composite.aborted).toBe(true);
            expect(composite.reason).toBe(`reason ${controllers.findIndex((c) => c.signal.aborted)}`);
            return;
          }
          const seen: unknown[] = [];
          composite.addEventListener("abort", () => seen.push(composite.reason));
          expect(composite.aborted).toBe(false);
          for (const index of order) controllers[index]?.abort(`reason ${index}`);
          expect(seen).toEqual([`reason ${order[0]}`]);
        },
      ),
      propertyParameters("anySignal aborts with the first source's reason"),
    );
  });

  it("is collected with what its listener holds once its sources are dropped; Node's AbortSignal.any is not", async () => {
    expect(await collected(anySignal, false)).toBe(true);
    expect(await collected(anySignal, true)).toBe(true);
    expect(await collected(nodeAnySignal, false)).toBe(false);
    expect(await collected(nodeAnySignal, true)).toBe(false);
  });
});

/** Whether an object only a composite's listener holds is collected once the sources are dropped. */
async function collected(compose: Compose, abortFirst: boolean): Promise<boolean> {
  const reference = (() => {
    const sources = [new AbortController(), new AbortController()];
    const composite = compose(sources.map((source) => source.signal));
    const held = { bytes: new Uint8Array(1024) };
    composite.addEventListener("abort", () => held.bytes.fill(1));
    if (abortFirst) sources[1]?.abort("stopped");
    return new WeakRef(held);
  })();
  // A WeakRef's target lives until the end of the job that made it: collect in later macrotasks.
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    fullGc();
  }
  return reference.deref() === undefined;
}

function fullGc(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}
