/**
 * Worlds for properties: a property takes a `WorldFactory`, so that the same
 * property runs on the shipping world and on a deliberately broken one
 * (properties/sim/_fixtures/kernel-*.ts).
 */
import type { ProcessMain } from "../../../src/sim/env.ts";
import type { Host } from "../../../src/sim/host.ts";
import { World, type WorldOptions } from "../../../src/sim/world.ts";

export type WorldFactory = (options: WorldOptions) => World;

/** The shipping world. */
export const realWorld: WorldFactory = (options) => new World(options);

/** Worlds whose every host is patched as it is added (fixtures that break one host's behaviour). */
export function worldPatchingHosts(patch: (host: Host) => void): WorldFactory {
  class PatchedHostsWorld extends World {
    override addHost(name: string, main?: ProcessMain): Host {
      const host = super.addHost(name, main);
      patch(host);
      return host;
    }
  }
  return (options) => new PatchedHostsWorld(options);
}
