/**
 * The Env: everything a system under test (src/impl) may touch.
 *
 * This file holds types and error classes only, so that src/impl can import it
 * without importing the simulator. Every method is deterministic given the run's
 * seed: time is virtual, randomness is a named stream of the root seed, and I/O is
 * simulated. Faults injected by the world surface here as the typed errors below
 * (DiskError, NetError, RpcError), never as crashes.
 *
 * Lifetime: an Env belongs to one incarnation of one process. When the host
 * crashes, every pending promise handed out by this Env stays pending forever
 * (the code awaiting it never resumes), its timers never fire, and its
 * connections reset for the peer. `lifetime.signal` aborts at the crash.
 *
 * What survives a crash: what the host's disk made durable (see Disk: synced file
 * data, synced directory entries; a torn prefix of unsynced writes when that fault
 * is on), and nothing else of the process: its memory, timers, tickers,
 * connections, listeners and RPC servers die with it, and the next incarnation
 * starts `main` afresh with a new Env. State a scenario keeps outside the hosts
 * (its own records, in the scenario's code) is not the process's and survives;
 * a system must never keep state there.
 */

/** Host-local clock. May be skewed and may drift against true virtual time. */
export interface Clock {
  /** Host-local wall time in milliseconds (virtual). May jump when the plan skews the clock. */
  now(): number;
  /** Host-local monotonic time in milliseconds: never goes backwards, drifts with the host clock. */
  monotonic(): number;
  /** Resolves after `durationMs` of host-local time. */
  sleep(durationMs: number): Promise<void>;
  /** Calls `callback` after `durationMs` of host-local time, unless cancelled first. */
  setTimer(durationMs: number, callback: () => void): Timer;
  /**
   * A periodic tick source that costs no event per tick (see Ticker); `onWake`
   * runs when a wake-up asked for with `wakeBy` comes.
   */
  ticker(intervalMs: number, onWake: () => void): Ticker;
}

/**
 * Counts ticks every `intervalMs` of host-local time exactly as a timer re-armed
 * at each tick would deliver them, without an event per tick: while the process
 * runs, one per interval; a pause delays the tick that falls in it to the resume
 * and drops the rest (the ticks then go on from the resume), as for a real process
 * stopped and continued. The process counts what came with `take`, and asks to be
 * woken for the tick it must act on with `wakeBy`.
 */
export interface Ticker {
  /** The ticks that came since the last call (since the ticker was made, the first time). */
  take(): number;
  /**
   * Makes `onWake` run no later than when the `ticksAhead`-th tick not yet taken
   * comes (`ticksAhead` at least 1); an earlier wake-up already asked for stays.
   */
  wakeBy(ticksAhead: number): void;
  /** No wake-up runs any more. */
  stop(): void;
}

export interface Timer {
  /** Cancels the timer. Returns true if it had not fired yet. A cancelled timer never fires. */
  cancel(): boolean;
}

/** A deterministic random stream (one per host incarnation, forkable by name). */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  /** A float in [min, max). */
  float(min: number, max: number): number;
  /** True with probability `probability`. */
  bool(probability?: number): boolean;
  pick<T>(items: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
  bytes(length: number): Uint8Array;
  /** A 32-bit unsigned integer. */
  uint32(): number;
  /** An independent stream named `name`: drawing from it does not shift this one. */
  fork(name: string): Random;
}

// ---------------------------------------------------------------------------
// Disk

export type DiskErrorCode =
  | "EIO"
  | "ENOSPC"
  | "ENOENT"
  | "EEXIST"
  | "ENOTDIR"
  | "EISDIR"
  | "ENOTEMPTY"
  | "EBADF"
  | "EINVAL";

/** A disk operation failed. `code` is the POSIX name of the failure. */
export class DiskError extends Error {
  override readonly name = "DiskError";
  constructor(
    readonly code: DiskErrorCode,
    readonly operation: string,
    readonly path: string,
    detail?: string,
  ) {
    super(`${code}: ${operation} ${path}${detail ? `: ${detail}` : ""}`);
  }
}

export interface OpenOptions {
  /** Create the file if it does not exist (its directory entry is volatile until the directory is synced). */
  create?: boolean;
  /** Fail with EEXIST if the file exists (with `create`). */
  exclusive?: boolean;
  /** Truncate to zero length on open. */
  truncate?: boolean;
}

/** An open file on the host's disk. Writes are volatile until `sync()` resolves. */
export interface FileHandle {
  readonly path: string;
  /** Reads up to `length` bytes at `position`; fewer at end of file. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Writes all of `data` at `position`, extending the file if needed. */
  write(position: number, data: Uint8Array): Promise<void>;
  /** Makes this file's data durable (not its directory entry: see Disk.syncDirectory). */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface FileStat {
  size: number;
  isDirectory: boolean;
}

/**
 * The host's own disk. Durability model (DESIGN.md): file data is volatile until
 * its file is synced; a directory entry (create, rename, unlink) is volatile until
 * its directory is synced. A crash drops everything volatile.
 */
export interface Disk {
  open(path: string, options?: OpenOptions): Promise<FileHandle>;
  /** Whole-file read (convenience). */
  readFile(path: string): Promise<Uint8Array>;
  /** Whole-file write, not synced (convenience). */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Writes a file durably and atomically: temp file, sync, rename, sync directory. */
  writeFileAtomic(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  /** Entry names in a directory, sorted. */
  list(directory: string): Promise<string[]>;
  stat(path: string): Promise<FileStat>;
  exists(path: string): Promise<boolean>;
  /** Makes the directory's entries durable. */
  syncDirectory(path: string): Promise<void>;
}

// ---------------------------------------------------------------------------
// Network

export type NetErrorCode =
  /** The connection was reset: peer crashed, a partition cut it, or either side closed it abortively. */
  | "ECONNRESET"
  /** Nobody listens at that address and port, or the host is down. */
  | "ECONNREFUSED"
  /** The dial got no answer in time (partitioned or clogged). */
  | "ETIMEDOUT"
  /** The operation used a connection or listener already closed by this side. */
  | "ECLOSED"
  /** The port is already in use on this host. */
  | "EADDRINUSE";

export class NetError extends Error {
  override readonly name = "NetError";
  constructor(
    readonly code: NetErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

/** An ordered, reliable byte stream that either delivers in order or resets. */
export interface Connection {
  readonly localAddress: string;
  readonly remoteAddress: string;
  /**
   * Bytes in order; `null` at a clean end of stream (the peer closed its write side). Rejects with NetError on reset.
   */
  read(): Promise<Uint8Array | null>;
  /** Queues bytes for delivery; waits while the send window is full. Rejects with NetError on reset. */
  write(data: Uint8Array): Promise<void>;
  /** Graceful close: the peer reads end of stream after the queued bytes. */
  close(): void;
  /** Abortive close: both sides see ECONNRESET. */
  reset(): void;
  readonly closed: boolean;
}

export interface Listener {
  readonly port: number;
  /** The next incoming connection. Rejects with NetError ECLOSED once the listener is closed. */
  accept(): Promise<Connection>;
  close(): void;
}

export interface Datagram {
  from: string;
  /** The sender's port: where a reply to `from` goes (see `DatagramOptions.fromPort`). */
  fromPort: number;
  payload: Uint8Array;
}

export interface DatagramOptions {
  /**
   * The port the sender receives replies on (the receiver sees it as
   * `Datagram.fromPort`). Default: the destination port, as in a protocol whose
   * peers all listen on one port.
   */
  fromPort?: number;
}

export interface DialOptions {
  /** Gives up with ETIMEDOUT after this much host-local time. Default: 1000 ms. */
  timeoutMs?: number;
}

export interface Net {
  /** This host's address (its name). */
  readonly address: string;
  listen(port: number): Listener;
  dial(address: string, port: number, options?: DialOptions): Promise<Connection>;
  /** Fire-and-forget datagram; may be lost, duplicated, delayed or reordered. */
  sendDatagram(address: string, port: number, payload: Uint8Array, options?: DatagramOptions): void;
  /** Receives datagrams on `port`. Returns an unsubscribe function. */
  onDatagram(port: number, handler: (datagram: Datagram) => void): () => void;
}

// ---------------------------------------------------------------------------
// Hashing

/**
 * CRC-32 (IEEE 802.3: zlib's, Ethernet's) of `data`, continuing from `previous` (the CRC of bytes before it) when
 * given.
 */
export type Crc32 = (data: Uint8Array, previous?: number) => number;

/** An incremental SHA-1 (FIPS 180-4). */
export interface Sha1Hasher {
  update(data: Uint8Array): Sha1Hasher;
  /** An independent hasher in the same state (to digest a prefix and go on). */
  copy(): Sha1Hasher;
  /** The digest as 40 lowercase hex digits; the hasher is finished after it. */
  digestHex(): string;
}

/**
 * Checksums and digests computed natively (the systems may not import node:zlib or
 * node:crypto): pure functions of their input, the same on every machine.
 */
export interface Hashes {
  readonly crc32: Crc32;
  sha1(): Sha1Hasher;
}

// ---------------------------------------------------------------------------
// Process-level services

/** How a buggify point behaves (Env.buggify). */
export interface BuggifyOptions {
  /**
   * True for a point that takes a rare path the code must handle but injects no fault
   * (it costs no progress): it keeps firing in the liveness phase. Default false: the
   * point is a fault (a drop, a delay, a reset) and falls silent at the heal.
   */
  readonly afterHeal?: boolean;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface Lifetime {
  /** Aborted when this process incarnation dies (crash or stop). */
  readonly signal: AbortSignal;
  /** 1 for the first start, incremented on every restart of the host. */
  readonly incarnation: number;
}

/** Everything an implementation may touch. Nothing else leaks through. */
export interface Env {
  /** The host this process runs on. */
  readonly host: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly net: Net;
  /** Unary and server-streaming RPC with deadlines, on `net`'s streams. */
  readonly rpc: Rpc;
  readonly disk: Disk;
  readonly log: Logger;
  /** Native checksums and digests. */
  readonly hash: Hashes;
  /** Records a structured trace event (part of the fingerprint). */
  trace(kind: string, fields?: Record<string, unknown>): void;
  /**
   * A fault point: true only in runs that enable buggification, and then only
   * sometimes (the point's activation is decided once per run, FoundationDB style).
   * A point falls silent once the run heals every fault for its liveness phase,
   * unless `afterHeal` says it takes a rare path that injects no fault (a snapshot or
   * checkpoint at an odd moment, a replay in two writes): such a point keeps firing.
   */
  buggify(name: string, options?: BuggifyOptions): boolean;
  /** Marks that a rare path was reached (coverage of rare paths). */
  probe(name: string): void;
  readonly lifetime: Lifetime;
}

/** The async main of a simulated process. */
export type ProcessMain = (env: Env) => Promise<void>;

// ---------------------------------------------------------------------------
// RPC on streams

/**
 * Values that cross the wire: msgpack-encodable (null, booleans, numbers, strings,
 * Uint8Array, arrays and plain objects of these).
 */
export type WireValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly WireValue[]
  | { readonly [key: string]: WireValue | undefined };

export type RpcErrorCode =
  /** No connection could be made or it broke before the answer: the call may or may not have run. */
  | "UNAVAILABLE"
  /** The deadline passed first: the call may or may not have run. */
  | "DEADLINE_EXCEEDED"
  /** The server has no handler for this method. */
  | "UNIMPLEMENTED"
  /** A message from the peer could not be decoded. */
  | "MALFORMED"
  /** The caller or server went away (closed, crashed). */
  | "CANCELLED"
  /** The handler failed; `details` carries its error. */
  | "INTERNAL"
  /** The handler refused the request with an application error (see `details`). */
  | "APPLICATION";

export class RpcError extends Error {
  override readonly name = "RpcError";
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    readonly details?: WireValue,
  ) {
    super(`${code}: ${message}`);
  }
  /** True when the call may have taken effect at the server. */
  get outcomeUnknown(): boolean {
    return this.code === "UNAVAILABLE" || this.code === "DEADLINE_EXCEEDED" || this.code === "CANCELLED";
  }
}

export interface CallOptions {
  /** Host-local milliseconds until the call fails with DEADLINE_EXCEEDED. Default 5000. */
  deadlineMs?: number;
  /**
   * What the request is, where its method carries several kinds of message (a
   * Raft message's type): named beside the method in the trace, so the viewer
   * labels its arrow with it. Never sent.
   */
  kind?: string;
  /**
   * Host-local milliseconds a dial for this call may take (when no connection is up).
   * Default: deadlineMs. A long-lived stream gives a shorter one, so that a dial to an
   * unreachable server does not hold the pooled connection for the stream's whole deadline.
   */
  dialTimeoutMs?: number;
}

export interface NotifyOptions {
  /** Host-local milliseconds a dial for this notification may take (when no connection is up). Default 1000. */
  dialTimeoutMs?: number;
  /**
   * The caller takes this notification as a datagram: it does not rely on the
   * connection's order or its delivery, so the link may lose it, deliver it twice
   * or reorder it (where the wire carries messages; a byte stream keeps order).
   * Default false: in order, at most once, lost only with the connection.
   */
  datagram?: boolean;
  /** What the message is, for the trace and the viewer (see CallOptions.kind). Never sent. */
  kind?: string;
}

export interface RpcContext {
  /** The caller's address. */
  readonly peer: string;
  /** Aborted when the caller cancels, its deadline passes or the connection breaks. */
  readonly signal: AbortSignal;
}

export type UnaryHandler = (request: WireValue, context: RpcContext) => Promise<WireValue>;
export type StreamHandler = (
  request: WireValue,
  send: (message: WireValue) => Promise<void>,
  context: RpcContext,
) => Promise<void>;
/** Receives a one-way message; nothing is answered, and what it throws or rejects with is dropped. */
export type NotificationHandler = (message: WireValue, context: { readonly peer: string }) => void | Promise<void>;

export interface RpcServer {
  readonly port: number;
  unary(method: string, handler: UnaryHandler): void;
  serverStream(method: string, handler: StreamHandler): void;
  /** Serves `method` as one-way messages (see Rpc.notify). */
  notification(method: string, handler: NotificationHandler): void;
  close(): void;
}

export interface Rpc {
  serve(port: number): RpcServer;
  call(address: string, port: number, method: string, request: WireValue, options?: CallOptions): Promise<WireValue>;
  /** Server streaming: iterate the messages; the iterator throws RpcError on failure. */
  serverStream(
    address: string,
    port: number,
    method: string,
    request: WireValue,
    options?: CallOptions,
  ): AsyncIterable<WireValue>;
  /**
   * One-way: sends `message` to `method` at the server on the pooled connection,
   * in order with the calls on it, with no answer and no deadline (JSON-RPC's
   * notification, Thrift's oneway). Returns false when it was dropped at once (too
   * many queued on the connection, or no connection could be had); a notification
   * queued or sent may still be lost with its connection, and one for a method the
   * server does not serve is dropped there.
   */
  notify(address: string, port: number, method: string, message: WireValue, options?: NotifyOptions): boolean;
}
