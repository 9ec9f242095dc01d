/**
 * Pairs datagram sends with their deliveries (or drops at the receiver).
 *
 * Datagrams may be reordered or duplicated. Each send records its arrival time;
 * a delivery at exactly that time on the same link and port is its match. A
 * paused receiver holds what arrives and, when it resumes, delivers it in order
 * of arrival: a delivery at a resume takes the pending send that arrived first
 * during that pause. A crash discards what the receiver held, so a crash ends
 * the datagrams that had arrived by then (they stay "lost"). A receiver with no
 * handler on the port drops a datagram without a record: it stays "lost" too.
 */
import type { DiagramEvent, DiagramMessage } from "./diagram-types.ts";

/** The most datagrams one link may have pending before the oldest are given up as lost. */
export const PENDING_DATAGRAMS_PER_LINK_MAX = 10_000;

interface PendingDatagram {
  message: DiagramMessage;
  to: string;
  arrival: number | undefined;
}

export class DatagramMatcher {
  private readonly pending = new Map<string, PendingDatagram[]>();
  private readonly pausedSince = new Map<string, number>();
  private readonly lastPause = new Map<string, { startMs: number; endMs: number }>();

  /** A send from `host`: returns its message (lost until a delivery or drop ends it). */
  send(position: number, event: DiagramEvent, host: string, to: string, toLane: number): DiagramMessage {
    const fields = event.fields ?? {};
    const message: DiagramMessage = {
      transport: "datagram",
      send: position,
      end: undefined,
      fromLane: event.lane,
      toLane,
      outcome: "lost",
    };
    const key = linkKey(host, to, fields.port);
    let pending = this.pending.get(key);
    if (pending === undefined) {
      pending = [];
      this.pending.set(key, pending);
    }
    pending.push({ message, to, arrival: typeof fields.arrival === "number" ? fields.arrival : undefined });
    if (pending.length > PENDING_DATAGRAMS_PER_LINK_MAX) pending.shift();
    return message;
  }

  /** A delivery or a drop at the receiver `host` of a datagram from `from`. */
  end(position: number, event: DiagramEvent, from: string, host: string): void {
    const pending = this.pending.get(linkKey(from, host, event.fields?.port));
    if (pending === undefined || pending.length === 0) return;
    let chosen = pending.findIndex((entry) => entry.arrival === event.time);
    if (chosen === -1) {
      const pause = this.lastPause.get(host);
      const heldFrom = pause !== undefined && pause.endMs === event.time ? pause.startMs : Number.NEGATIVE_INFINITY;
      chosen = earliestArrived(pending, heldFrom, event.time);
    }
    const [entry] = pending.splice(chosen, 1);
    if (entry === undefined) return;
    entry.message.end = position;
    entry.message.outcome = event.kind === "net.datagram.drop" ? "dropped" : "delivered";
  }

  /** Follows the receivers' process records (pause, resume, crash, stop). */
  process(event: DiagramEvent, host: string): void {
    switch (event.kind) {
      case "process.pause":
        if (!this.pausedSince.has(host)) this.pausedSince.set(host, event.time);
        return;
      case "process.resume":
        this.lastPause.set(host, { startMs: this.pausedSince.get(host) ?? event.time, endMs: event.time });
        this.pausedSince.delete(host);
        return;
      case "process.crash":
      case "process.stop":
        this.pausedSince.delete(host);
        this.discardArrived(host, event.time);
        return;
    }
  }

  private discardArrived(host: string, time: number): void {
    for (const [key, pending] of this.pending) {
      const kept = pending.filter((entry) => entry.to !== host || entry.arrival === undefined || entry.arrival > time);
      if (kept.length !== pending.length) this.pending.set(key, kept);
    }
  }
}

function linkKey(from: string, to: string, port: unknown): string {
  return `${from}\u0000${to}\u0000${String(port)}`;
}

/**
 * The pending datagram that arrived first within [fromMs, toMs]; else the first that arrived by `toMs`; else the
 * oldest.
 */
function earliestArrived(pending: readonly PendingDatagram[], fromMs: number, toMs: number): number {
  for (const lowest of [fromMs, Number.NEGATIVE_INFINITY]) {
    let chosen = -1;
    let chosenArrival = Number.POSITIVE_INFINITY;
    pending.forEach((entry, index) => {
      const arrival = entry.arrival ?? Number.NEGATIVE_INFINITY;
      if (arrival >= lowest && arrival <= toMs && arrival < chosenArrival) {
        chosen = index;
        chosenArrival = arrival;
      }
    });
    if (chosen !== -1) return chosen;
  }
  return 0;
}
