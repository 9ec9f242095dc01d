/**
 * The simulated network: addresses (host names), datagrams, and stream connections.
 *
 * Faults injected here (with Links): datagram loss, duplication, reordering and
 * latency; partitions (symmetric and one-way) and isolation, which drop datagrams
 * and reset every stream they cut; clogs, which hold traffic for a while; and the
 * crash of a host, which resets its connections for the peer, closes its listeners
 * and refuses new dials. A datagram or stream byte never crosses a cut link: the
 * link is checked when it is sent and again when it would arrive. A dial whose
 * SYN (or SYN-ACK) is lost retransmits it after TCP's timeout (1 s, doubling),
 * so a dial begun during a partition connects soon after the heal.
 */
import { NetError, type Connection, type Datagram, type DialOptions, type Listener, type Net } from "../env.ts";
import type { Incarnation } from "../host.ts";
import type { ConnectionSide, StreamTracer } from "./endpoint.ts";
import { partitionLinks, type LinkBlock, type Links } from "./links.ts";
import { MessageEndpoint } from "./message-channel.ts";
import { StreamEndpoint } from "./stream.ts";
import type { ScheduledEvent, ScheduleOptions } from "../scheduler.ts";

/** Pending connections a listener holds before refusing more. */
export const LISTEN_BACKLOG_MAX = 128;
/** Default dial timeout in host-local milliseconds. */
export const DIAL_TIMEOUT_MS_DEFAULT = 1000;
/** TCP's initial retransmission timeout for a SYN (RFC 6298), doubled at each retransmission. */
export const SYN_RTO_INITIAL_MS = 1000;
/** SYN retransmissions at most (Linux's tcp_syn_retries); the dial's timeout usually ends it first. */
export const SYN_RETRANSMISSIONS_MAX = 6;
/** Largest datagram payload. */
export const DATAGRAM_BYTES_MAX = 64 * 1024;

export interface NetworkHosts {
  hostNames(): readonly string[];
  /** The live incarnation of a host, undefined when it is down. */
  liveIncarnation(host: string): Incarnation | undefined;
  /** Host-local duration to true virtual duration. */
  toTrueDuration(host: string, localMs: number): number;
}

export interface NetworkStats {
  datagramsSent: number;
  datagramsDelivered: number;
  datagramsDropped: number;
  connectionsOpened: number;
  connectionsReset: number;
}

/** What a connection carries: bytes (the Env's streams) or messages (the RPC layer's object wire mode). */
export type EndpointKind = "stream" | "message";

type EndpointOf<K extends EndpointKind> = K extends "stream" ? StreamEndpoint : MessageEndpoint<unknown>;

/** Accepts connections of one kind on one port. */
export class SimListener<E extends ConnectionSide = StreamEndpoint> {
  private readonly backlog: E[] = [];
  private waiter: { resolve: (connection: E) => void; reject: (error: unknown) => void } | undefined;
  private closedFlag = false;

  constructor(
    readonly port: number,
    private readonly owner: Incarnation,
    private readonly onClose: () => void,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  accept(): Promise<E> {
    if (this.closedFlag) return Promise.reject(new NetError("ECLOSED", `listener on port ${this.port} is closed`));
    if (this.waiter !== undefined) throw new Error(`listener ${this.port}: concurrent accept`);
    const next = this.backlog.shift();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Offers a new server-side endpoint (runs as an event of the owner). False when the backlog is full. */
  offer(endpoint: E): boolean {
    if (this.closedFlag) return false;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve(endpoint);
      return true;
    }
    if (this.backlog.length >= LISTEN_BACKLOG_MAX) return false;
    this.backlog.push(endpoint);
    return true;
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const endpoint of this.backlog.splice(0)) endpoint.resetBothSides("listener closed");
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined && !this.owner.isDead()) {
      void this.owner.complete(0, () => waiter.reject(new NetError("ECLOSED", `listener on port ${this.port} closed`)));
    }
    this.onClose();
  }
}

export class Network {
  private readonly listeners = new Map<string, Map<number, SimListener>>();
  private readonly messageListeners = new Map<string, Map<number, SimListener<MessageEndpoint<unknown>>>>();
  private readonly datagramHandlers = new Map<string, Map<number, (datagram: Datagram) => void>>();
  private readonly openEndpoints = new Set<ConnectionSide>();
  private nextConnectionId = 1;
  /** Arrival time of the last datagram on each link (sender, then receiver), for FIFO delivery. */
  private readonly lastDatagramArrival = new Map<string, Map<string, number>>();
  /** SYN retransmissions a dial makes at most (SYN_RETRANSMISSIONS_MAX; a test fixture may lower it). */
  synRetransmissionsMax = SYN_RETRANSMISSIONS_MAX;
  readonly stats: NetworkStats = {
    datagramsSent: 0,
    datagramsDelivered: 0,
    datagramsDropped: 0,
    connectionsOpened: 0,
    connectionsReset: 0,
  };

  constructor(
    readonly links: Links,
    private readonly hosts: NetworkHosts,
    private readonly tracer: StreamTracer,
  ) {}

  /** The Env's Net for one process incarnation. */
  viewFor(incarnation: Incarnation): Net {
    return {
      address: incarnation.host,
      listen: (port): Listener => this.listen(incarnation, port, "stream"),
      dial: (to, port, options): Promise<Connection> => this.dial(incarnation, to, port, options ?? {}, "stream"),
      sendDatagram: (to, port, payload, options) =>
        this.sendDatagram(incarnation, to, port, payload, options?.fromPort ?? port),
      onDatagram: (port, handler) => this.onDatagram(incarnation, port, handler),
    };
  }

  /** Applies a partition and resets every stream it cuts. */
  partition(groups: readonly (readonly string[])[], oneWay = false): void {
    const added = this.links.partition(groups, oneWay);
    if (added.length > 0) this.resetCutStreams();
  }

  isolate(host: string): void {
    const added = this.links.isolate(host, this.hosts.hostNames());
    if (added.length > 0) this.resetCutStreams();
  }

  /**
   * Cuts `host` off from `peers` (default: every host), both ways or only what it
   * sends (`outbound`), and returns the block, which `unblock` undoes alone (a heal
   * lifts it too); resets every stream it cuts.
   */
  cutOff(host: string, peers?: readonly string[], outbound = false): LinkBlock {
    const others = (peers ?? this.hosts.hostNames()).filter((name) => name !== host);
    const { block, added } = this.links.block(partitionLinks([[host], others], outbound));
    if (added.length > 0) this.resetCutStreams();
    return block;
  }

  /**
   * Undoes one `cutOff`: its links open again unless another fault blocks them too. False when a heal lifted it
   * already.
   */
  unblock(block: LinkBlock): boolean {
    return this.links.unblock(block);
  }

  heal(): void {
    this.links.heal();
  }

  /** A host's incarnation died: close its listeners and handlers, reset its streams. */
  hostDied(incarnation: Incarnation): void {
    const host = incarnation.host;
    for (const listeners of [this.listeners, this.messageListeners]) {
      for (const listener of listeners.get(host)?.values() ?? []) listener.close();
      listeners.delete(host);
    }
    this.datagramHandlers.delete(host);
    for (const endpoint of [...this.openEndpoints]) {
      if (endpoint.owner === incarnation) endpoint.resetBothSides("host crashed");
    }
  }

  private resetCutStreams(): void {
    for (const endpoint of [...this.openEndpoints]) {
      if (this.links.isCut(endpoint.localAddress, endpoint.remoteAddress)) endpoint.resetBothSides("partition");
    }
  }

  /** Listens for connections of `kind` on `port` of the incarnation's host. */
  listen<K extends EndpointKind>(incarnation: Incarnation, port: number, kind: K): SimListener<EndpointOf<K>> {
    assertLive(incarnation);
    validatePort(port);
    const table = this.listenerTable(kind);
    let ports = table.get(incarnation.host);
    if (ports === undefined) table.set(incarnation.host, (ports = new Map()));
    if (ports.has(port)) throw new NetError("EADDRINUSE", `${incarnation.host}:${port}`);
    const listener = new SimListener<EndpointOf<K>>(port, incarnation, () => {
      if (ports.get(port) === listener) ports.delete(port);
    });
    ports.set(port, listener);
    this.tracer.trace(incarnation.host, kind === "stream" ? "net.listen" : "net.message.listen", { port });
    return listener;
  }

  /** Dials a connection of `kind` to a listener of that kind at (to, port). */
  dial<K extends EndpointKind>(
    incarnation: Incarnation,
    to: string,
    port: number,
    options: DialOptions,
    kind: K,
  ): Promise<EndpointOf<K>> {
    assertLive(incarnation);
    validatePort(port);
    const from = incarnation.host;
    const timeoutMs = this.hosts.toTrueDuration(from, options.timeoutMs ?? DIAL_TIMEOUT_MS_DEFAULT);
    this.tracer.trace(from, "net.dial", { to, port });
    return new Promise<EndpointOf<K>>((resolve, reject) => {
      const dial: PendingDial<K> = { incarnation, to, port, kind, settled: false, retransmissions: 0, resolve, reject };
      dial.timeout = incarnation.scheduler.schedule(
        timeoutMs,
        () => settleDial(dial, () => reject(new NetError("ETIMEDOUT", `dial ${to}:${port}`))),
        { owner: incarnation },
      );
      this.sendSyn(dial);
    });
  }

  /** Sends the dial's SYN: it arrives after the link's latency (or its clog), where synArrived answers it. */
  private sendSyn<K extends EndpointKind>(dial: PendingDial<K>): void {
    const { scheduler, host: from } = dial.incarnation;
    scheduler.at(this.arrivalTime(from, dial.to, scheduler.now), () => this.synArrived(dial), { wakes: false });
  }

  /** A lost SYN (or SYN-ACK) is sent again after TCP's retransmission timeout, doubling each time. */
  private retransmit<K extends EndpointKind>(dial: PendingDial<K>): void {
    const { incarnation, to, port } = dial;
    if (dial.settled || incarnation.isDead() || dial.retransmissions >= this.synRetransmissionsMax) return;
    const rtoMs = this.hosts.toTrueDuration(incarnation.host, SYN_RTO_INITIAL_MS * 2 ** dial.retransmissions++);
    incarnation.scheduler.schedule(
      rtoMs,
      () => {
        if (dial.settled) return;
        this.tracer.trace(incarnation.host, "net.dial.retransmit", { to, port });
        this.sendSyn(dial);
      },
      { owner: incarnation },
    );
  }

  /**
   * The SYN reaches the dialled host: lost on a blocked link either way (sent again), refused when nothing listens
   * there, else the connection's two sides are made, the client's settled when the SYN-ACK arrives and the server's
   * offered to the listener.
   */
  private synArrived<K extends EndpointKind>(dial: PendingDial<K>): void {
    const { incarnation, to, port, kind } = dial;
    const { scheduler, host: from } = incarnation;
    if (dial.settled || incarnation.isDead()) return;
    if (this.links.isBlocked(from, to)) return this.retransmit(dial); // SYN lost
    const server = this.hosts.liveIncarnation(to);
    const listener = server === undefined ? undefined : this.listenerTable(kind).get(to)?.get(port);
    const replyAt = this.arrivalTime(to, from, scheduler.now);
    if (this.links.isBlocked(to, from)) return this.retransmit(dial); // SYN-ACK or RST lost
    if (server === undefined || listener === undefined || listener.closed) {
      scheduler.at(replyAt, () => settleDial(dial, () => dial.reject(new NetError("ECONNREFUSED", `${to}:${port}`))), {
        owner: incarnation,
      });
      return;
    }
    const [clientSide, serverSide] = this.createPair(incarnation, server, kind);
    scheduler.at(replyAt, () => synAckArrived(dial, clientSide), { owner: incarnation });
    scheduler.schedule(
      0,
      () => {
        if (!listener.offer(serverSide)) clientSide.resetBothSides("listen backlog full");
      },
      { owner: server },
    );
  }

  private listenerTable<K extends EndpointKind>(kind: K): Map<string, Map<number, SimListener<EndpointOf<K>>>> {
    return (kind === "stream" ? this.listeners : this.messageListeners) as unknown as Map<
      string,
      Map<number, SimListener<EndpointOf<K>>>
    >;
  }

  private createPair<K extends EndpointKind>(
    client: Incarnation,
    server: Incarnation,
    kind: K,
  ): [EndpointOf<K>, EndpointOf<K>] {
    const id = this.nextConnectionId++;
    const finished = (endpoint: ConnectionSide) => {
      if (endpoint.isReset) this.stats.connectionsReset++;
      this.openEndpoints.delete(endpoint);
    };
    const Kind = (kind === "stream" ? StreamEndpoint : MessageEndpoint) as unknown as new (
      ...args: ConstructorParameters<typeof StreamEndpoint>
    ) => EndpointOf<K>;
    const clientSide = new Kind(id, client, client.host, server.host, this.links, this.tracer, finished);
    const serverSide = new Kind(id, server, server.host, client.host, this.links, this.tracer, finished);
    clientSide.peer = serverSide;
    serverSide.peer = clientSide;
    this.openEndpoints.add(clientSide);
    this.openEndpoints.add(serverSide);
    this.stats.connectionsOpened++;
    this.tracer.trace(client.host, kind === "stream" ? "net.connect" : "net.message.connect", {
      connection: id,
      to: server.host,
    });
    return [clientSide, serverSide];
  }

  private arrivalTime(from: string, to: string, now: number): number {
    return Math.max(now + this.links.latency(from, to), this.links.clogEnd(from, to));
  }

  private sendDatagram(
    incarnation: Incarnation,
    to: string,
    port: number,
    payload: Uint8Array,
    fromPort: number,
  ): void {
    assertLive(incarnation);
    validatePort(port);
    validatePort(fromPort);
    if (payload.length > DATAGRAM_BYTES_MAX)
      throw new RangeError(`datagram of ${payload.length} bytes exceeds ${DATAGRAM_BYTES_MAX}`);
    const from = incarnation.host;
    this.stats.datagramsSent++;
    const quality = this.links.qualityOf(from, to);
    const random = this.links.randomStream;
    if (this.links.isBlocked(from, to) || random.bool(quality.lossProbability)) {
      this.stats.datagramsDropped++;
      this.tracer.trace(from, "net.datagram.drop", { to, port, bytes: payload.length });
      return;
    }
    const copies = random.bool(quality.duplicateProbability) ? 2 : 1;
    const scheduler = incarnation.scheduler;
    let lastArrivals = this.lastDatagramArrival.get(from);
    if (lastArrivals === undefined) this.lastDatagramArrival.set(from, (lastArrivals = new Map()));
    for (let copy = 0; copy < copies; copy++) {
      let arrival = this.arrivalTime(from, to, scheduler.now);
      if (random.bool(quality.reorderProbability)) {
        arrival += random.float(0, quality.reorderDelayMsMax);
      } else {
        // Without the reordering fault a link is FIFO: jitter never lets a datagram overtake.
        arrival = Math.max(arrival, lastArrivals.get(to) ?? 0);
        lastArrivals.set(to, arrival);
      }
      const datagram: Datagram = { from, fromPort, payload: payload.slice() };
      this.tracer.trace(from, "net.datagram.send", { to, port, bytes: payload.length, arrival });
      // Internal until a handler runs (deliverDatagram notes the wake): a datagram dropped on arrival wakes nothing.
      scheduler.at(arrival, () => this.deliverDatagram(to, port, datagram), DATAGRAM_ARRIVAL);
    }
  }

  private deliverDatagram(to: string, port: number, datagram: Datagram): void {
    const receiver = this.hosts.liveIncarnation(to);
    if (receiver === undefined || this.links.isBlocked(datagram.from, to)) {
      this.stats.datagramsDropped++;
      this.tracer.trace(to, "net.datagram.drop", { from: datagram.from, port, bytes: datagram.payload.length });
      return;
    }
    if (receiver.isPaused()) {
      // The datagram waits in the paused host's receive queue.
      receiver.scheduler.schedule(0, () => this.deliverDatagram(to, port, datagram), { owner: receiver });
      return;
    }
    const handler = this.datagramHandlers.get(to)?.get(port);
    if (handler === undefined) {
      this.stats.datagramsDropped++;
      return;
    }
    this.stats.datagramsDelivered++;
    this.tracer.trace(to, "net.datagram.deliver", { from: datagram.from, port, bytes: datagram.payload.length });
    receiver.scheduler.noteWake();
    handler(datagram);
  }

  private onDatagram(incarnation: Incarnation, port: number, handler: (datagram: Datagram) => void): () => void {
    assertLive(incarnation);
    validatePort(port);
    let ports = this.datagramHandlers.get(incarnation.host);
    if (ports === undefined) this.datagramHandlers.set(incarnation.host, (ports = new Map()));
    if (ports.has(port)) throw new NetError("EADDRINUSE", `datagram port ${incarnation.host}:${port}`);
    ports.set(port, handler);
    return () => {
      if (ports.get(port) === handler) ports.delete(port);
    };
  }
}

/** How a datagram's arrival is scheduled: an event that wakes nothing unless it reaches a handler. */
const DATAGRAM_ARRIVAL: ScheduleOptions = { wakes: false };

function assertLive(incarnation: Incarnation): void {
  if (incarnation.isDead()) throw new Error(`host ${incarnation.host}: a dead process used the network`);
}

function validatePort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`invalid port ${port}`);
}

/** One dial in flight: it settles once (connected, refused, reset or timed out); a lost SYN is sent again. */
interface PendingDial<K extends EndpointKind> {
  readonly incarnation: Incarnation;
  readonly to: string;
  readonly port: number;
  readonly kind: K;
  settled: boolean;
  /** SYNs sent again so far. */
  retransmissions: number;
  /** The dial's timeout, cancelled once it settles. */
  timeout?: ScheduledEvent;
  readonly resolve: (endpoint: EndpointOf<K>) => void;
  readonly reject: (error: unknown) => void;
}

/** Settles `dial` with `outcome` unless it has settled already. */
function settleDial<K extends EndpointKind>(dial: PendingDial<K>, outcome: () => void): void {
  if (dial.settled) return;
  dial.settled = true;
  if (dial.timeout !== undefined) dial.timeout.cancelled = true;
  outcome();
}

/** The SYN-ACK reaches the dialler: connected, unless the dial settled meanwhile or the connection was reset. */
function synAckArrived<K extends EndpointKind>(dial: PendingDial<K>, clientSide: EndpointOf<K>): void {
  if (dial.settled) {
    clientSide.resetBothSides("dial abandoned");
    return;
  }
  if (clientSide.isReset) {
    settleDial(dial, () =>
      dial.reject(new NetError("ECONNRESET", `${dial.to}:${dial.port} reset during the handshake`)),
    );
    return;
  }
  settleDial(dial, () => dial.resolve(clientSide));
}
