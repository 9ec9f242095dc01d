/**
 * Labels for the arrows of RPC frames: what a reader needs to tell one call's
 * traffic from another's.
 *
 * The send records of RPC frames (`net.message.send` in the objects wire mode,
 * `net.stream.send` of the segment that carries the frame in the frames mode) carry
 * the frame's type and call id, the method on requests and notifications, and the
 * kind the sender named where it gave one (src/sim/net/rpc/frame-labels.ts).
 * A request or notification is labelled with its kind, else its method (a Raft
 * message reads `append-entries`, not `raft.message`); any other frame of the same
 * call (response, error, message, end, cancel, credit) with that and its type,
 * e.g. `kv.put response`, found by the connection, the two hosts and the call id.
 * A frame whose request the trace lacks gets its type alone. Segments of other
 * byte streams and datagrams carry no frame: no label.
 */

/**
 * Calls remembered at most (the oldest are forgotten first: a call that never ended must not grow the map for ever).
 */
export const CALLS_REMEMBERED_MAX = 100_000;

/** Frames after which a call can have no more traffic. */
const FINAL_FRAMES: ReadonlySet<string> = new Set(["response", "error", "end"]);

export class RpcCallLabels {
  /** Method by call: connection, caller, callee, call id. */
  private readonly methods = new Map<string, string>();

  /** The label of a message sent by `host` with the send record's `fields`, if it is an RPC frame. */
  label(host: string, fields: Record<string, unknown>): string | undefined {
    const frame = fields.frame;
    if (typeof frame !== "string" || typeof fields.to !== "string") return undefined;
    const method =
      typeof fields.kind === "string" ? fields.kind : typeof fields.method === "string" ? fields.method : undefined;
    if (frame === "request" || frame === "notification") {
      if (method !== undefined && frame === "request")
        this.remember(callKey(fields.connection, host, fields.to, fields.call), method);
      return method ?? frame;
    }
    // Client frames (cancel, credit) go caller → callee; server frames the other way.
    const fromCaller = frame === "cancel" || frame === "credit";
    const key = fromCaller
      ? callKey(fields.connection, host, fields.to, fields.call)
      : callKey(fields.connection, fields.to, host, fields.call);
    const known = this.methods.get(key);
    if (known !== undefined && FINAL_FRAMES.has(frame)) this.methods.delete(key);
    return known === undefined ? frame : `${known} ${frame}`;
  }

  private remember(key: string, method: string): void {
    this.methods.set(key, method);
    if (this.methods.size > CALLS_REMEMBERED_MAX) {
      const oldest = this.methods.keys().next().value;
      if (oldest !== undefined) this.methods.delete(oldest);
    }
  }
}

function callKey(connection: unknown, caller: string, callee: string, call: unknown): string {
  return `${String(connection)}\u0000${caller}\u0000${callee}\u0000${String(call)}`;
}
