/**
 * Deliberately broken networks, never used by shipping code. Each is a World whose
 * links or network instance is patched (no prototype is touched, so nothing leaks
 * into other tests): partitions that do not block, heals that do not heal, lossy or
 * duplicating links, streams that forget their ordering, down hosts that look
 * partitioned, and crashes that leave connections open. Some break the link table
 * itself (a partition that forgets a direction or cuts the wrong one, a heal that
 * leaves a link cut, a quality or clog set on the wrong link, a latency change ignored,
 * spread to every link or reaching datagrams already in flight): the kind of bug that
 * a property asking the same table cannot see.
 */
import type { Datagram } from "../../../src/sim/env.ts";
import type { Incarnation } from "../../../src/sim/host.ts";
import type { LinkQuality } from "../../../src/sim/net/links.ts";
import type { LatencyDistribution } from "../../../src/sim/random.ts";
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
      const internals = endpoint as unknown as {
        deliverToPeer(data: Uint8Array | undefined): void;
        lastArrival: number;
      };
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
export const reorderingDatagramsWorld: WorldFactory = qualityOverride({
  reorderProbability: 0.3,
  reorderDelayMsMax: 5,
});

/** A dial never sends its SYN again: one lost to a partition leaves the dial waiting for its timeout. */
export const noSynRetransmitWorld: WorldFactory = patchedWorld((world) => {
  world.network.synRetransmissionsMax = 0;
});

/** The link table forgets a direction: every partition is one-way, from the earlier groups to the later ones. */
export const partitionForgetsDirectionWorld: WorldFactory = patchedWorld((world) => {
  const links = world.links;
  const partition = links.partition.bind(links);
  links.partition = (groups) => partition(groups, true);
});

/** A one-way partition cuts the wrong links: traffic from the later groups to the earlier ones. */
export const oneWayReversedWorld: WorldFactory = patchedWorld((world) => {
  const links = world.links;
  const partition = links.partition.bind(links);
  links.partition = (groups, oneWay = false) => partition(oneWay ? [...groups].reverse() : groups, oneWay);
});

/** A heal restores every link but one: the first one still blocked stays cut. */
export const healLeavesOneLinkWorld: WorldFactory = patchedWorld((world) => {
  const links = world.links;
  const blocked = (links as unknown as { blocked: Map<string, number> }).blocked;
  links.heal = () => {
    const kept = [...blocked.keys()][0];
    blocked.clear();
    if (kept !== undefined) blocked.set(kept, 1);
  };
});

/** An isolation's own undo opens every link it blocked, also those another fault still blocks. */
export const undoOpensSharedLinksWorld: WorldFactory = patchedWorld((world) => {
  const links = world.links;
  const blocked = (links as unknown as { blocked: Map<string, number> }).blocked;
  const unblock = links.unblock.bind(links);
  links.unblock = (block) => {
    const undone = unblock(block);
    if (undone) for (const [from, to] of block.links) blocked.delete(`${from}\u0000${to}`);
    return undone;
  };
});

/** A link's own quality is set on the reverse link. */
export const qualityOnReverseLinkWorld: WorldFactory = patchedWorld((world) => {
  const links = world.links;
  const setQuality = links.setQuality.bind(links);
  links.setQuality = (quality, from, to) => setQuality(quality, to, from);
});

/** A clog holds the reverse link. */
export const clogOnReverseLinkWorld: WorldFactory = patchedWorld((world) => {
  const links = world.links;
  const clog = links.clog.bind(links);
  links.clog = (from, to, until) => clog(to, from, until);
});

/** A datagram for a paused host is handed to it at once instead of waiting for the resume. */
export const pausedHostsReceiveWorld: WorldFactory = patchedWorld((world) => {
  const internals = world.network as unknown as {
    deliverDatagram(to: string, port: number, datagram: Datagram): void;
    datagramHandlers: Map<string, Map<number, (datagram: Datagram) => void>>;
  };
  internals.deliverDatagram = (to, port, datagram) => {
    if (world.host(to).incarnation === undefined || world.links.isBlocked(datagram.from, to)) return;
    internals.datagramHandlers.get(to)?.get(port)?.(datagram);
  };
});

/**
 * A crash leaves the host's datagram handlers registered (a restart replaces them), and
 * delivery asks only the handler table: until the restart, datagrams reach the dead incarnation.
 */
export const crashKeepsDatagramHandlersWorld: WorldFactory = patchedWorld((world) => {
  const network = world.network;
  const internals = network as unknown as {
    datagramHandlers: Map<string, Map<number, (datagram: Datagram) => void>>;
    onDatagram(incarnation: Incarnation, port: number, handler: (datagram: Datagram) => void): () => void;
    deliverDatagram(to: string, port: number, datagram: Datagram): void;
  };
  const hostDied = network.hostDied.bind(network);
  network.hostDied = (incarnation) => {
    const kept = internals.datagramHandlers.get(incarnation.host);
    hostDied(incarnation);
    if (kept !== undefined) internals.datagramHandlers.set(incarnation.host, kept);
  };
  const onDatagram = internals.onDatagram.bind(network);
  internals.onDatagram = (incarnation, port, handler) => {
    internals.datagramHandlers.get(incarnation.host)?.delete(port);
    return onDatagram(incarnation, port, handler);
  };
  const deliverDatagram = internals.deliverDatagram.bind(network);
  internals.deliverDatagram = (to, port, datagram) => {
    if (world.host(to).incarnation !== undefined) return deliverDatagram(to, port, datagram);
    if (!world.links.isBlocked(datagram.from, to)) internals.datagramHandlers.get(to)?.get(port)?.(datagram);
  };
});

/** A partition blocks its links but resets none of the streams across them: their bytes keep flowing. */
export const partitionKeepsStreamsWorld: WorldFactory = patchedWorld((world) => {
  world.network.partition = (groups, oneWay = false) => void world.links.partition(groups, oneWay);
  world.network.isolate = (host) =>
    void world.links.isolate(
      host,
      world.hosts.map((each) => each.name),
    );
});

/** Links that ignore latency changes: every link keeps the latency it had. */
export const latencyIgnoredWorld: WorldFactory = patchedWorld((world) => {
  const links = world.links;
  const setQuality = links.setQuality.bind(links);
  links.setQuality = ({ latency: _latency, ...quality }, from, to) => setQuality(quality, from, to);
});

/** A link's latency change is set on every link (as if the event named none). */
export const latencyOnEveryLinkWorld: WorldFactory = patchedWorld((world) => {
  const links = world.links;
  const setQuality = links.setQuality.bind(links);
  links.setQuality = (quality, from, to) => {
    setQuality(quality, from, to);
    if (quality.latency !== undefined && from !== undefined) setQuality({ latency: quality.latency });
  };
});

function meanMsOf(latency: LatencyDistribution): number {
  return "meanMs" in latency ? latency.meanMs : 0;
}

/**
 * A latency change reaches datagrams already in flight: one that lands while its link is
 * slower than at its send waits until its flight is stretched to the new mean.
 */
export const latencyReachesInFlightWorld: WorldFactory = patchedWorld((world) => {
  const network = world.network as unknown as {
    sendDatagram(incarnation: Incarnation, to: string, ...rest: unknown[]): void;
  };
  const sendDatagram = network.sendDatagram.bind(world.network);
  const scheduler = world.scheduler;
  const at = scheduler.at.bind(scheduler);
  network.sendDatagram = (incarnation, to, ...rest) => {
    const from = incarnation.host;
    const sentAt = scheduler.now;
    const meanAtSend = meanMsOf(world.links.qualityOf(from, to).latency);
    // Only while this send schedules its arrivals.
    scheduler.at = (time, callback, options) =>
      at(
        time,
        () => {
          const meanNow = meanMsOf(world.links.qualityOf(from, to).latency);
          if (meanNow <= meanAtSend) return callback();
          at(sentAt + ((time - sentAt) * meanNow) / meanAtSend, callback, options);
        },
        options,
      );
    try {
      sendDatagram(incarnation, to, ...rest);
    } finally {
      delete (scheduler as unknown as Record<string, unknown>).at;
    }
  };
});
