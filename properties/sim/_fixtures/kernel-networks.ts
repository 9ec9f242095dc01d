/**
 * Deliberately broken networks, never used by shipping code. Each is a World whose
 * links or network instance is patched (no prototype is touched, so nothing leaks
 * into other tests): partitions that do not block, heals that do not heal, lossy or
 * duplicating links, streams that forget their ordering, down hosts that look
 * partitioned, and crashes that leave connections open.
 */
import type { Incarnation } from "../../../src/sim/host.ts";
import type { LinkQuality } from "../../../src/sim/net/links.ts";
import type { StreamEndpoint } from "../../../src/sim/net/stream.ts";
import { World } from "../../../src/sim/world.ts";
import type { WorldFactory } from "../_support/world-factory.ts";

function patchedWorld(patch: (world: World) => void): WorldFactory {
  return (options) => {
    const world = new World(options);
    patch(world);
    return world;
  };
}

/** Links that ignore partitions: nothing is ever blocked, so nothing is cut either. */
export const partitionBlindWorld: WorldFactory = patchedWorld((world) => {
  world.links.isBlocked = () => false;
});

/** Links whose heal does nothing: a partition lasts forever. */
export const healIgnoringWorld: WorldFactory = patchedWorld((world) => {
  world.links.heal = () => undefined;
});

function qualityOverride(override: Partial<LinkQuality>): WorldFactory {
  return patchedWorld((world) => {
    const links = world.links;
    const qualityOf = links.qualityOf.bind(links);
    links.qualityOf = (from, to) => ({ ...qualityOf(from, to), ...override });
  });
}

/** Links that lose 5% of datagrams whatever the link quality says. */
export const lossyLinksWorld: WorldFactory = qualityOverride({ lossProbability: 0.05 });

/** Links that duplicate 5% of datagrams whatever the link quality says. */
export const duplicatingLinksWorld: WorldFactory = qualityOverride({ duplicateProbability: 0.05 });

type PairMaker = (client: Incarnation, server: Incarnation) => [StreamEndpoint, StreamEndpoint];

/** Streams whose segments each draw their own latency, forgetting the previous arrival: they reorder. */
export const reorderingStreamsWorld: WorldFactory = patchedWorld((world) => {
  const network = world.network as unknown as { createPair: PairMaker };
  const createPair = network.createPair.bind(world.network);
  network.createPair = (client, server) => {
    const pair = createPair(client, server);
    for (const endpoint of pair) {
      const internals = endpoint as unknown as { deliverToPeer(data: Uint8Array | undefined): void; lastArrival: number };
      const deliverToPeer = internals.deliverToPeer.bind(endpoint);
      internals.deliverToPeer = (data) => {
        internals.lastArrival = 0;
        deliverToPeer(data);
      };
    }
    return pair;
  };
});

/** Links that drop all traffic to and from a down host, so a dial to it times out instead of being refused. */
export const downHostsLookPartitionedWorld: WorldFactory = patchedWorld((world) => {
  const links = world.links;
  const isBlocked = links.isBlocked.bind(links);
  const down = (name: string) => world.hasHost(name) && world.host(name).state === "down";
  links.isBlocked = (from, to) => isBlocked(from, to) || down(from) || down(to);
});

/** A crash closes the host's listeners but leaves its connections open: the peer never sees a reset. */
export const crashKeepsConnectionsWorld: WorldFactory = patchedWorld((world) => {
  const internals = world.network as unknown as {
    listeners: Map<string, Map<number, { close(): void }>>;
    datagramHandlers: Map<string, unknown>;
  };
  world.network.hostDied = (incarnation) => {
    for (const listener of internals.listeners.get(incarnation.host)?.values() ?? []) listener.close();
    internals.listeners.delete(incarnation.host);
    internals.datagramHandlers.delete(incarnation.host);
  };
});

/** Links that give 30% of datagrams an extra delay whatever the link quality says: they reorder. */
export const reorderingDatagramsWorld: WorldFactory = qualityOverride({ reorderProbability: 0.3, reorderDelayMsMax: 5 });

/** A dial never sends its SYN again: one lost to a partition leaves the dial waiting for its timeout. */
export const noSynRetransmitWorld: WorldFactory = patchedWorld((world) => {
  world.network.synRetransmissionsMax = 0;
});
