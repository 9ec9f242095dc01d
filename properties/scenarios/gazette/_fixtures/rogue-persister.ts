/**
 * A scenario-level fixture for the final audit (scenarios/gazette/audit.ts): a
 * rogue persister that, once the faults healed and just before the audit, puts
 * into the fragment store one copy of a journal's first stored fragment that no
 * correct broker would: filed under another journal (`misfiled`), moved by one
 * record (`shifted`), or cut one byte short (`truncated`). Its content matches its
 * SHA-1 sum and its length, so the store accepts it; only a reader of that copy
 * can tell it is wrong, and after the heal nothing reads it but the audit. This
 * is what a persister or a spool that mixed up journals or offsets would leave.
 * Never used on the shipping path.
 */
import { FragmentStoreClient } from "../../../../src/impl/gazette/broker/fragment/store-client.ts";
import { openFragmentURL } from "../../../../src/impl/gazette/client/fragment-reader.ts";
import { FragmentTransports } from "../../../../src/impl/gazette/client/fragment-transport.ts";
import { fragmentStoreUrl, fragmentSum, type Fragment } from "../../../../src/impl/gazette/protocol/fragment.ts";
import type { Env } from "../../../../src/sim/env.ts";
import type { Scenario, ScenarioContext } from "../../../../src/sim/runner.ts";

export type RoguePut = "misfiled" | "shifted" | "truncated";

export interface RoguePutOptions {
  readonly put: RoguePut;
  /** The store's URL, the journal whose fragment is copied, and (misfiled) the journal it is filed under. */
  readonly storeUrl: string;
  readonly from: string;
  readonly to?: string;
}

/** Virtual time the rogue put may take at most. */
const ROGUE_MS_MAX = 10_000;
const NEWLINE = 0x0a;

/** `scenario` with the rogue put made at the start of its final phase (see the file's comment). */
export function withRoguePut(scenario: Scenario, options: RoguePutOptions): Scenario {
  return {
    ...scenario,
    setup(context) {
      const hooks = scenario.setup(context);
      return {
        ...hooks,
        finish: async () => {
          await roguePut(context, options);
          await hooks.finish?.();
        },
      };
    },
  };
}

async function roguePut(context: ScenarioContext, options: RoguePutOptions): Promise<void> {
  const { world } = context;
  let done = false;
  world
    .addHost("rogue", async (env) => {
      try {
        await putRogueCopy(env, options);
      } finally {
        done = true;
      }
    })
    .start();
  const deadline = world.now + ROGUE_MS_MAX;
  while (!done && world.now < deadline) await world.scheduler.run({ untilTime: Math.min(deadline, world.now + 10) });
  if (!done) throw new Error("the rogue put did not finish");
}

async function putRogueCopy(env: Env, options: RoguePutOptions): Promise<void> {
  const store = new FragmentStoreClient(env);
  const transports = new FragmentTransports();
  transports.register("sim", store.transport());
  const [fragment] = await store.list(options.storeUrl, options.from);
  if (fragment === undefined) throw new Error(`the store holds no fragment of ${options.from}`);
  const reader = await openFragmentURL(transports, fragment, fragment.begin, fragmentStoreUrl(fragment));
  const chunks: Uint8Array[] = [];
  for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) chunks.push(chunk);
  await reader.close();
  const content = new Uint8Array(chunks.reduce((length, chunk) => length + chunk.length, 0));
  chunks.reduce((offset, chunk) => (content.set(chunk, offset), offset + chunk.length), 0);
  const rogue = rogueCopy(env, fragment, content, options);
  await store.persist(options.storeUrl, rogue.fragment, rogue.content);
}

function rogueCopy(
  env: Env,
  fragment: Fragment,
  content: Uint8Array,
  options: RoguePutOptions,
): { fragment: Fragment; content: Uint8Array } {
  const local: Fragment = { ...fragment, backingStore: "", modTime: 0 };
  switch (options.put) {
    case "misfiled":
      return { fragment: { ...local, journal: options.to ?? options.from }, content };
    case "shifted": {
      const firstRecordBytes = content.indexOf(NEWLINE) + 1;
      return {
        fragment: { ...local, begin: fragment.begin + firstRecordBytes, end: fragment.end + firstRecordBytes },
        content,
      };
    }
    case "truncated": {
      const short = content.subarray(0, content.length - 1);
      return { fragment: { ...local, end: fragment.end - 1, sum: fragmentSum(env.hash, short) }, content: short };
    }
  }
}
