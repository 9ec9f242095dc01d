/**
 * A simulated world for client tests: model broker hosts serving one shared
 * ModelStore, and a client host running the test's code against a
 * RoutedJournalClient (the env.rpc binding, dispatched by route, with a
 * RouteCache). Runs until the client's code settles or a virtual-time bound.
 */
import { journalClientOverRpc, routeDialer } from "../../../src/impl/gazette/protocol/rpc-binding.ts";
import {
  routedJournalClient,
  type RoutedJournalClient,
  type Router,
} from "../../../src/impl/gazette/protocol/journal-client.ts";
import { RouteCache } from "../../../src/impl/gazette/client/route-cache.ts";
import type { Env } from "../../../src/sim/env.ts";
import { createSimDisks } from "../../../src/sim/disk/system.ts";
import { World } from "../../../src/sim/world.ts";
import { runBody, type BodyRun } from "../../_support/world-run.ts";
import { ModelBroker, type BrokerFaults } from "./model-broker.ts";
import { BROKER_PORT, type ModelStore } from "./model-store.ts";

export interface ClientContext {
  env: Env;
  client: RoutedJournalClient;
  router: Router;
  world: World;
}

export interface GazetteRunOptions<T> {
  seed: number | string;
  store: ModelStore;
  brokers: readonly string[];
  faults?: BrokerFaults;
  /** Broker crashes (connection resets): the broker restarts `downMs` later. */
  crashes?: ReadonlyArray<{ broker: string; atMs: number; downMs: number }>;
  /** The router the client uses (default: a RouteCache of 64 routes, 60 s TTL). */
  router?: (env: Env) => Router;
  /** Virtual-time bound (ms). */
  untilMs?: number;
  client: (context: ClientContext) => Promise<T>;
}

export type GazetteRun<T> = BodyRun<T>;

export const CLIENT_HOST = "client";

export async function runGazette<T>(options: GazetteRunOptions<T>): Promise<GazetteRun<T>> {
  const world = new World({ seed: options.seed, disks: createSimDisks() });
  options.store.now = () => world.now;
  const counters = { reads: 0 };
  for (const broker of options.brokers) {
    world
      .addHost(broker, async (env) => {
        ModelBroker.serve(env, options.store, options.faults ?? {}, counters);
        await new Promise<void>((resolve) => env.lifetime.signal.addEventListener("abort", () => resolve()));
      })
      .start();
  }
  const body = async (env: Env): Promise<T> => {
    await env.clock.sleep(1);
    const router = options.router?.(env) ?? new RouteCache(64, 60_000, env.clock);
    const dial = routeDialer({
      fallback: { address: options.brokers[0] as string, port: BROKER_PORT },
      random: env.random.fork("dispatch"),
    });
    const client = routedJournalClient(journalClientOverRpc(env, dial), router);
    return options.client({ env, client, router, world });
  };
  for (const crash of options.crashes ?? []) {
    world.scheduler.schedule(crash.atMs, () => {
      const host = world.host(crash.broker);
      if (host.state === "down") return;
      host.crash();
      world.scheduler.schedule(crash.downMs, () => host.start());
    });
  }
  return runBody(world, CLIENT_HOST, body, options.untilMs ?? 600_000);
}
