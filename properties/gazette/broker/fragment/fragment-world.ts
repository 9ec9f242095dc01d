/**
 * A simulated world for the fragment tests: a fragment store host ("store",
 * runFragmentStore on its own disk) and a broker host ("broker") running the
 * test's code. Runs until that code settles or a virtual-time bound.
 */
import { runFragmentStore } from "../../../../src/impl/gazette/broker/fragment/store.ts";
import { NO_CHECKSUM, type StoreBrokenVariant } from "../../_fixtures/broken-broker.ts";
import { fragmentSum, type Fragment } from "../../../../src/impl/gazette/protocol/fragment.ts";
import type { CompressionCodec } from "../../../../src/impl/gazette/protocol/journal-spec.ts";
import type { LocalContent } from "../../../../src/impl/gazette/broker/types.ts";
import type { Env } from "../../../../src/sim/env.ts";
import { createSimDisks } from "../../../../src/sim/disk/system.ts";
import { World } from "../../../../src/sim/world.ts";
import { NODE_HASHES } from "../../../../src/sim/hashes.ts";
import { runBody, type BodyRun } from "../../../_support/world-run.ts";

export const STORE_HOST = "store";
export const BROKER_HOST = "broker";
export const STORE = "sim://store:8700/";
export const JOURNAL = "a/journal";

export interface FragmentWorldContext {
  env: Env;
  world: World;
  /** The store host's current Env (to damage its files in tests). */
  storeEnv(): Env;
}

export interface FragmentWorldOptions<T> {
  seed: number | string;
  storeVariant?: StoreBrokenVariant;
  untilMs?: number;
  /** Start the store host (default true). */
  withStore?: boolean;
  body: (context: FragmentWorldContext) => Promise<T>;
}

export type FragmentWorldRun<T> = BodyRun<T>;

export async function runFragmentWorld<T>(options: FragmentWorldOptions<T>): Promise<FragmentWorldRun<T>> {
  const world = new World({ seed: options.seed, disks: createSimDisks() });
  let storeEnv: Env | undefined;
  if (options.withStore ?? true) {
    world
      .addHost(STORE_HOST, async (env) => {
        storeEnv = env;
        const host = runFragmentStore(env, options.storeVariant === undefined ? {} : { verify: NO_CHECKSUM });
        await host.closed;
      })
      .start();
  }
  const body = async (env: Env): Promise<T> => {
    await env.clock.sleep(1);
    return options.body({
      env,
      world,
      storeEnv: () => {
        if (storeEnv === undefined) throw new Error("no store host");
        return storeEnv;
      },
    });
  };
  return runBody(world, BROKER_HOST, body, options.untilMs ?? 600_000);
}

/** A fragment of JOURNAL holding `content` from `begin`. */
export function fragmentOf(
  content: Uint8Array,
  begin: number,
  codec: CompressionCodec = "NONE",
  extra: Partial<Fragment> = {},
): Fragment {
  return {
    journal: JOURNAL,
    begin,
    end: begin + content.length,
    sum: fragmentSum(NODE_HASHES, content),
    compressionCodec: codec,
    backingStore: "",
    modTime: 0,
    pathPostfix: "",
    ...extra,
  };
}

/** LocalContent over bytes in memory, for a fragment beginning at `begin`. */
export function memoryContent(content: Uint8Array, begin: number, reads?: { count: number }): LocalContent {
  return {
    async read(offset, length) {
      if (reads !== undefined) reads.count += 1;
      if (offset < begin || offset + length > begin + content.length)
        throw new RangeError(`read [${offset}, ${offset + length}) outside the content`);
      return content.slice(offset - begin, offset - begin + length);
    },
  };
}

/** Deterministic test content. */
export function contentOf(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[index] = ((state >>> 16) % 64) + 32;
  }
  return bytes;
}
