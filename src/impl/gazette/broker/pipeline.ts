/**
 * The replication pipeline of a journal's primary (Gazette's broker/pipeline.go):
 * the primary's own spool plus one ordered channel per peer of the route.
 *
 * Gazette keeps one Replicate stream per peer; here each message is one unary
 * call (replicate-wire.ts), so a channel runs its calls one after the other, in
 * the order they were scattered, while the channels of different peers run in
 * parallel. `scatter` applies a message to the local spool (unless told not
 * to) and queues it on every healthy channel without waiting for answers;
 * `gather*` waits for each channel's queued calls and reads the answer to the
 * last acknowledged message. A channel's first failure (transport error,
 * refusal, a non-OK answer to a message that asked no acknowledgement) is
 * sticky: later messages are not sent on it, and `sendErr`/`recvErr` report
 * it. A failed pipeline is torn down by its owner and rebuilt (and synced) by
 * the next append, as in Gazette.
 *
 * Every call has a deadline (`callDeadlineMs`), and every channel's queue is
 * bounded (`queueMax`): `scatter` waits for a channel to drain below it.
 * Buggify ("gazette.broker.replication-stream-reset", asked by the replica for
 * each new pipeline): with `resetAtCommit`, the streams reset once, after the
 * peers applied that commit (`scatter`'s `answersLost`: their answers are lost).
 */
import { assert } from "../../../sim/assert.ts";
import { fragmentContentLength, type Fragment } from "../protocol/fragment.ts";
import { copyLabelSet } from "../protocol/labels.ts";
import { routesEquivalent, type Header, type ProcessSpecId } from "../protocol/route.ts";
import type { Spool } from "./fragment/spool.ts";
import type { ReplicateTransport } from "./replicate-wire.ts";
import type { Registers, ReplicateRequest, ReplicateResponse } from "./types.ts";

/** Messages queued on one peer channel at most before `scatter` waits. */
export const PIPELINE_QUEUE_MAX = 64;
/** Default deadline of one Replicate call of a pipeline (host-local ms). */
export const PIPELINE_CALL_DEADLINE_MS_DEFAULT = 5_000;
/** At the buggify point, a pipeline's streams reset at one of its first this many commits. */
export const PIPELINE_RESET_COMMITS_MAX = 8;

export interface PipelineOptions {
  callDeadlineMs?: number;
  queueMax?: number;
  /** Buggify: the streams reset once the peers applied this commit of the pipeline (1: its first); never by default. */
  resetAtCommit?: number;
}

/** What gatherSync learned (Gazette's rollToOffset, rollToRegisters, readThroughRev). */
export interface SyncResult {
  /** 0, or the offset every replica must roll to before the pipeline is in sync. */
  rollToOffset: number;
  /** The registers of the peer with the greatest offset, to adopt. */
  rollToRegisters?: Registers;
  /** 0, or an etcd revision a peer has a different route at: re-resolve at it. */
  readThroughRevision: number;
  /** A peer holds other content at or past our end (only looked for with `pendingLocal`). */
  diverged: boolean;
  /** A peer answered with a fragment ending beyond ours: it holds content this primary does not. */
  peerAhead: boolean;
}

/** What a sync does with a peer holding a greater offset than the primary: `result` gathers the answers so far. */
export type PeerAheadRule = (result: SyncResult, fragment: Fragment, registers: Registers | undefined) => void;

/** Gazette's rule: roll every replica forward to the greatest peer offset, and adopt that peer's registers. */
export const ROLL_FORWARD_TO_PEER_AHEAD: PeerAheadRule = (result, fragment, registers) => {
  result.diverged = true;
  if (fragment.end > result.rollToOffset) {
    result.rollToOffset = fragment.end;
    if (registers !== undefined) result.rollToRegisters = copyLabelSet(registers);
  }
};

/** A peer's answer or failure violated the protocol, or the peer failed. */
export class ErrPipelinePeer extends Error {
  override readonly name = "ErrPipelinePeer";
  constructor(
    readonly peer: ProcessSpecId,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(`${peer.zone}/${peer.suffix}: ${message}`);
  }
}

class PeerChannel {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly acks: ReplicateResponse[] = [];
  error: Error | undefined;

  constructor(
    readonly peer: ProcessSpecId,
    private readonly transport: ReplicateTransport,
    private readonly deadlineMs: number,
  ) {}

  get queued(): number {
    return this.pending;
  }

  /**
   * Queues `request`; with `answerLost`, its answer is dropped once the peer applied it and the channel fails (a reset
   * stream).
   */
  send(request: ReplicateRequest, answerLost = false): void {
    this.pending++;
    this.tail = this.tail.then(async () => {
      try {
        if (this.error !== undefined) return;
        const response = await this.transport(this.peer, request, { deadlineMs: this.deadlineMs });
        if (answerLost) {
          this.error = new ErrPipelinePeer(this.peer, "replication stream reset (answer lost)");
          return;
        }
        if (request.acknowledge) this.acks.push(response);
        else if (response.status !== "OK")
          this.error = new ErrPipelinePeer(this.peer, `no acknowledgement requested but status ${response.status}`);
      } catch (error) {
        this.error = new ErrPipelinePeer(this.peer, error instanceof Error ? error.message : String(error), error);
      } finally {
        this.pending--;
      }
    });
  }

  /** Waits until every queued message was answered. */
  async drain(): Promise<void> {
    await this.tail;
  }

  /** The answer to the oldest acknowledged message not yet read, once everything queued was answered. */
  async receive(): Promise<ReplicateResponse | undefined> {
    await this.tail;
    return this.acks.shift();
  }
}

export class Pipeline {
  private readonly channels: Array<PeerChannel | undefined>;
  private localError: Error | undefined;
  private readonly recvErrs: Array<Error | undefined>;
  private readonly queueMax: number;
  private readonly resetAtCommit: number | undefined;
  private commits = 0;

  constructor(
    /** Names this pipeline in its messages (ReplicateRequest.pipeline). */
    readonly id: string,
    /** The primary's resolved header: its route is the pipeline's. */
    readonly header: Header,
    /** The primary's own spool. */
    readonly spool: Spool,
    transport: ReplicateTransport,
    options: PipelineOptions = {},
  ) {
    const route = header.route;
    assert(route.primary >= 0 && route.primary < route.members.length, "pipeline: the route needs a primary");
    const deadlineMs = options.callDeadlineMs ?? PIPELINE_CALL_DEADLINE_MS_DEFAULT;
    this.queueMax = options.queueMax ?? PIPELINE_QUEUE_MAX;
    this.resetAtCommit = options.resetAtCommit;
    this.channels = route.members.map((member, index) =>
      index === route.primary ? undefined : new PeerChannel(member, transport, deadlineMs),
    );
    this.recvErrs = route.members.map(() => undefined);
  }

  get route(): Header["route"] {
    return this.header.route;
  }

  /** The peers (route members other than the primary). */
  get peers(): ProcessSpecId[] {
    return this.channels.flatMap((channel) => (channel === undefined ? [] : [channel.peer]));
  }

  /**
   * Applies `request` to the local spool (unless `local` is false) and queues it
   * to every healthy peer, with the header re-addressed to each peer; with
   * `answersLost`, every peer's answer is dropped after the peer applied it.
   */
  async scatter(request: ReplicateRequest, options: { local?: boolean; answersLost?: boolean } = {}): Promise<void> {
    for (const channel of this.channels) {
      if (channel === undefined || channel.error !== undefined) continue;
      if (channel.queued >= this.queueMax) await channel.drain();
      const header =
        request.header === undefined ? {} : { header: { ...request.header, processId: { ...channel.peer } } };
      channel.send(
        {
          ...request,
          ...header,
          ...(request.registers === undefined ? {} : { registers: copyLabelSet(request.registers) }),
        },
        options.answersLost === true,
      );
    }
    if (options.local === false || this.localError !== undefined) return;
    try {
      const { response } = await this.spool.apply(request, true);
      // Every proposal applied here derives from the spool itself.
      assert(response.status === "OK", `pipeline: the primary's spool refused its own proposal (${response.status})`);
    } catch (error) {
      this.localError = error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Counts a commit about to be scattered; true when its answers are to be lost (`resetAtCommit`). */
  commitAnswersLost(): boolean {
    this.commits++;
    return this.commits === this.resetAtCommit;
  }

  /** The first failure known so far: the local spool's, then a peer's. */
  sendErr(): Error | undefined {
    return this.localError ?? this.channels.find((channel) => channel?.error !== undefined)?.error;
  }

  /** The first failure found by a gather. */
  recvErr(): Error | undefined {
    return this.recvErrs.find((error) => error !== undefined);
  }

  /** True once anything failed: the pipeline must be torn down. */
  get broken(): boolean {
    return this.sendErr() !== undefined || this.recvErr() !== undefined;
  }

  /** Waits for every channel, and returns each peer's answer to its last acknowledged message. */
  async gather(): Promise<Array<ReplicateResponse | undefined>> {
    return Promise.all(
      this.channels.map(async (channel, index) => {
        if (channel === undefined || this.recvErrs[index] !== undefined) return undefined;
        const response = await channel.receive();
        if (channel.error !== undefined) this.recvErrs[index] = channel.error;
        else if (response === undefined)
          this.recvErrs[index] = new ErrPipelinePeer(channel.peer, "expected an acknowledgement");
        return this.recvErrs[index] === undefined ? response : undefined;
      }),
    );
  }

  /** gather, treating any non-OK answer as an error. */
  async gatherOK(): Promise<void> {
    const responses = await this.gather();
    responses.forEach((response, index) => {
      if (response !== undefined && response.status !== "OK") {
        this.recvErrs[index] = new ErrPipelinePeer(
          this.route.members[index] as ProcessSpecId,
          `unexpected !OK response: ${response.status}`,
        );
      }
    });
  }

  /**
   * gather the answers to a synchronizing proposal (Gazette's gatherSync): the
   * greatest peer offset beyond ours to roll to (with that peer's registers),
   * our own offset when a peer rolled an empty fragment there and cannot extend
   * ours or holds less than ours (a deviation: Gazette's peers roll forward
   * first, replica.ts), or an etcd revision at which a peer holds a different
   * route. `onPeerAhead` (a seam for test fixtures) is ROLL_FORWARD_TO_PEER_AHEAD.
   */
  async gatherSync(options: { pendingLocal?: boolean; onPeerAhead?: PeerAheadRule } = {}): Promise<SyncResult> {
    const onPeerAhead = options.onPeerAhead ?? ROLL_FORWARD_TO_PEER_AHEAD;
    const responses = await this.gather();
    const result: SyncResult = { rollToOffset: 0, readThroughRevision: 0, diverged: false, peerAhead: false };
    responses.forEach((response, index) => {
      if (response === undefined) return;
      const peer = this.route.members[index] as ProcessSpecId;
      switch (response.status) {
        case "OK":
          return;
        case "WRONG_ROUTE": {
          const header = response.header;
          if (
            header !== undefined &&
            !routesEquivalent(header.route, this.route) &&
            header.etcd.revision > this.header.etcd.revision
          ) {
            result.readThroughRevision = Math.max(result.readThroughRevision, header.etcd.revision);
          } else {
            this.recvErrs[index] = new ErrPipelinePeer(
              peer,
              `unexpected WRONG_ROUTE (revision ${header?.etcd.revision ?? "none"})`,
            );
          }
          return;
        }
        case "PROPOSAL_MISMATCH": {
          const fragment = response.fragment;
          assert(fragment !== undefined, "pipeline: PROPOSAL_MISMATCH carries the peer's fragment (validated)");
          if (fragment.end > this.spool.fragment.end) {
            // The peer holds a greater offset: roll forward to it and adopt its registers.
            result.peerAhead = true;
            onPeerAhead(result, fragment, response.registers);
          } else if (fragment.end === this.spool.fragment.end && fragmentContentLength(fragment) === 0) {
            // The peer rolled to our end but cannot extend our content: roll there too.
            result.rollToOffset = Math.max(result.rollToOffset, fragment.end);
          } else if (fragment.end < this.spool.fragment.end) {
            // The peer holds less and did not roll past our content (a first sync: replica.ts): roll everyone to our
            // end.
            result.rollToOffset = Math.max(result.rollToOffset, this.spool.fragment.end);
          } else if (options.pendingLocal === true && fragment.end === this.spool.fragment.end) {
            // Other content ending where our pending commit ends: the peer's wins, then roll past both.
            result.diverged = true;
            result.rollToOffset = Math.max(result.rollToOffset, fragment.end);
            if (response.registers !== undefined && result.rollToRegisters === undefined)
              result.rollToRegisters = copyLabelSet(response.registers);
          } else {
            this.recvErrs[index] = new ErrPipelinePeer(
              peer,
              `unexpected PROPOSAL_MISMATCH: [${fragment.begin}, ${fragment.end})`,
            );
          }
          return;
        }
        default:
          this.recvErrs[index] = new ErrPipelinePeer(peer, `unexpected status ${response.status}`);
      }
    });
    return result;
  }

  /** Waits for every queued call to settle (teardown: nothing is left in flight). */
  async drain(): Promise<void> {
    await Promise.all(this.channels.map((channel) => channel?.drain()));
  }
}
