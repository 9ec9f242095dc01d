/**
 * In-memory duplex links between a client and a server BackedPipe, and the
 * reconnectors that dial, accept and exchange sequence numbers over them.
 *
 * Bytes written are accepted at once and stay in flight until the test delivers
 * them (so are a graceful close's end of stream and its ordering after the bytes).
 * Faults: a test may reset any link (both ends fail at once; bytes in flight and
 * unread bytes are lost). A read pending on an end that its own side closes is left hanging (a
 * "zombie") until the test settles the zombies, when it fails: that is how late
 * errors of replaced connections reach a pipe at a moment the test chooses.
 * Everything settles through promises only: no timers.
 */
import type { Reconnector, ReconnectResult } from "../../../src/impl/backedpipe/backed-pipe.ts";
import type { PipeConnection } from "../../../src/impl/backedpipe/connection.ts";

export type Side = "client" | "server";

export class FakeLinkError extends Error {
  override readonly name = "FakeLinkError";
}

interface PendingRead {
  readonly resolve: (chunk: Uint8Array | null) => void;
  readonly reject: (error: Error) => void;
}

export class FakeLinkEnd implements PipeConnection {
  readonly #inbox: Uint8Array[] = [];
  readonly #pending: PendingRead[] = [];
  /** Sent towards the peer, not yet delivered; "end" marks a graceful close. */
  readonly #outgoing: (Uint8Array | "end")[] = [];
  #closed = false;
  #peerClosed = false;
  peer!: FakeLinkEnd;

  constructor(
    readonly link: FakeLink,
    readonly side: Side,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  read(): Promise<Uint8Array | null> {
    if (this.link.isReset) return Promise.reject(new FakeLinkError(`link ${this.link.id} reset`));
    if (this.#closed) return Promise.reject(new FakeLinkError(`read on closed end of link ${this.link.id}`));
    const chunk = this.#inbox.shift();
    if (chunk !== undefined) return Promise.resolve(chunk);
    if (this.#peerClosed) return Promise.resolve(null);
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  write(data: Uint8Array): Promise<void> {
    if (this.link.isReset) return Promise.reject(new FakeLinkError(`link ${this.link.id} reset`));
    if (this.#closed) return Promise.reject(new FakeLinkError(`write on closed end of link ${this.link.id}`));
    if (this.#peerClosed) return Promise.reject(new FakeLinkError(`link ${this.link.id}: peer closed`));
    if (data.length > 0) this.#outgoing.push(data.slice());
    return Promise.resolve();
  }

  /** Graceful close: the peer reads what is queued, then the end of the stream. Local pending reads become zombies. */
  close(): void {
    if (this.#closed) return;
    this.link.network.noteClose(this);
    this.#closed = true;
    for (const read of this.#pending.splice(0)) {
      this.link.network.addZombie(() => read.reject(new FakeLinkError(`link ${this.link.id} closed while reading`)));
    }
    this.#outgoing.push("end");
  }

  /** Delivers to the peer everything this end sent so far. */
  deliver(): void {
    for (const item of this.#outgoing.splice(0)) {
      if (item === "end") this.peer.#peerEnded();
      else this.peer.#arrive(item);
    }
  }

  /** Called by the link on reset: bytes in flight and unread are lost, and every pending read fails now. */
  failPending(): void {
    this.#inbox.length = 0;
    this.#outgoing.length = 0;
    for (const read of this.#pending.splice(0)) read.reject(new FakeLinkError(`link ${this.link.id} reset`));
  }

  #arrive(data: Uint8Array): void {
    const reader = this.#pending.shift();
    if (reader !== undefined) reader.resolve(data);
    else this.#inbox.push(data);
  }

  #peerEnded(): void {
    this.#peerClosed = true;
    if (this.#inbox.length === 0) for (const read of this.#pending.splice(0)) read.resolve(null);
  }
}

export class FakeLink {
  readonly client: FakeLinkEnd;
  readonly server: FakeLinkEnd;
  isReset = false;

  constructor(
    readonly network: FakeNetwork,
    readonly id: number,
  ) {
    this.client = new FakeLinkEnd(this, "client");
    this.server = new FakeLinkEnd(this, "server");
    this.client.peer = this.server;
    this.server.peer = this.client;
  }

  /** True while neither end closed and the link was not reset. */
  get live(): boolean {
    return !this.isReset && !this.client.closed && !this.server.closed;
  }

  /** Abortive failure of both ends. */
  reset(): void {
    if (this.isReset) return;
    this.isReset = true;
    this.client.failPending();
    this.server.failPending();
  }
}

interface Incoming {
  readonly end: FakeLinkEnd;
  readonly clientReaderSequenceNumber: number;
  readonly reply: (serverReaderSequenceNumber: number) => void;
}

export class FakeNetwork {
  readonly links: FakeLink[] = [];
  readonly #incoming: Incoming[] = [];
  readonly #acceptWaiters: ((incoming: Incoming) => void)[] = [];
  #zombies: (() => void)[] = [];
  /** Called when a side closes its end of a link that was live. */
  onLiveClose: (end: FakeLinkEnd) => void = () => {};

  /** The client's reconnector: dial a new link, send our reader sequence number, await the server's. */
  readonly clientReconnector: Reconnector = (readerSequenceNumber, signal) => {
    const link = new FakeLink(this, this.links.length + 1);
    this.links.push(link);
    return abortable(signal, (resolve) => {
      this.#offer({
        end: link.server,
        clientReaderSequenceNumber: readerSequenceNumber,
        reply: (serverReaderSequenceNumber) =>
          resolve({ connection: link.client, peerReaderSequenceNumber: serverReaderSequenceNumber }),
      });
    });
  };

  /** The server's reconnector: accept the next dialled link, answer with our reader sequence number. */
  readonly serverReconnector: Reconnector = (readerSequenceNumber, signal) =>
    abortable(signal, (resolve) => {
      this.#accept((incoming) => {
        incoming.reply(readerSequenceNumber);
        resolve({ connection: incoming.end, peerReaderSequenceNumber: incoming.clientReaderSequenceNumber });
      });
    });

  get latestLink(): FakeLink | undefined {
    return this.links[this.links.length - 1];
  }

  noteClose(end: FakeLinkEnd): void {
    if (end.link.live) this.onLiveClose(end);
  }

  addZombie(settle: () => void): void {
    this.#zombies.push(settle);
  }

  /** Delivers everything in flight on every link that is not reset. */
  deliverAll(): void {
    for (const link of this.links) {
      if (link.isReset) continue;
      link.client.deliver();
      link.server.deliver();
    }
  }

  /** Fails every zombie read now. */
  settleZombies(): void {
    const zombies = this.#zombies;
    this.#zombies = [];
    for (const settle of zombies) settle();
  }

  #offer(incoming: Incoming): void {
    const waiter = this.#acceptWaiters.shift();
    if (waiter !== undefined) waiter(incoming);
    else this.#incoming.push(incoming);
  }

  #accept(handle: (incoming: Incoming) => void): void {
    const incoming = this.#incoming.shift();
    if (incoming !== undefined) handle(incoming);
    else this.#acceptWaiters.push(handle);
  }
}

/** A promise that `start` resolves, or that rejects once `signal` aborts (the pipe was closed). */
function abortable(
  signal: AbortSignal,
  start: (resolve: (result: ReconnectResult) => void) => void,
): Promise<ReconnectResult> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new FakeLinkError("aborted"));
    signal.addEventListener("abort", () => reject(new FakeLinkError("aborted")), { once: true });
    start(resolve);
  });
}
