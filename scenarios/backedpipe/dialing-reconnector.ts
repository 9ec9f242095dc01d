/**
 * The dialing side's reconnector: each attempt dials the peer over `env.net.dial`
 * (giving up after `dialTimeoutMs`) and runs the resume handshake on the new stream.
 * Backoff between attempts is the pipe's business (`reconnectBackoffMs`).
 */
import type { Env } from "../../src/sim/env.ts";
import { handshake, PipeHandshakeError, type ResumingReconnector } from "./handshake.ts";

/** Where to dial, and the timeouts of one attempt. */
export interface DialingReconnectorOptions {
  readonly env: Env;
  /** The listening host's address and port. */
  readonly peer: string;
  readonly port: number;
  /** Host-local milliseconds before a dial gives up (ETIMEDOUT). */
  readonly dialTimeoutMs: number;
  /** Host-local milliseconds before a handshake gives up. */
  readonly handshakeTimeoutMs: number;
}

/** A reconnector that dials `peer:port` once per attempt. */
export function dialingReconnector(options: DialingReconnectorOptions): ResumingReconnector {
  const { env } = options;
  const handshakeOptions = {
    clock: env.clock,
    timeoutMs: options.handshakeTimeoutMs,
    probe: (name: string) => env.probe(name),
  };
  return async (readerSequenceNumber, signal) => {
    if (signal.aborted) throw new PipeHandshakeError("the pipe closed before the dial");
    const raw = await env.net.dial(options.peer, options.port, { timeoutMs: options.dialTimeoutMs });
    return handshake(raw, readerSequenceNumber, signal, handshakeOptions);
  };
}
