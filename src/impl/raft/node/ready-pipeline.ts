/**
 * Carries out the core's readies in order, as ready.ts requires: make a batch of
 * consecutive readies durable with one fsync (group commit: the hard state first,
 * then the log), then send their messages, then, ready by ready, restore or apply
 * and report the rest. Only one drain runs at a time.
 *
 * A disk failure (a DiskError: EIO, ENOSPC) while persisting is fatal: what reached
 * the disk is unknown, so the node shuts down (hashicorp/raft panics) and a restart
 * recovers from what is durable. The same holds for a DiskError from the state
 * machine (applying an entry or restoring a snapshot). Any other error is a bug
 * and propagates.
 *
 * A batch with nothing to persist is not waited on, and a ready with nothing to
 * apply or report skips those steps: a follower's heartbeat answer leaves at once,
 * unless an earlier ready is still being carried out (it then waits its turn).
 *
 * Limits: at most READIES_PER_BATCH_MAX readies per fsync. Buggify point
 * "raft.delay-fsync" waits a little before an fsync (a slow disk).
 */
import { DiskError, type Env } from "../../../sim/env.ts";
import type { LogEntry, Message, Ready, SnapshotMetadata } from "../core/index.ts";
import type { LogStore } from "./log-store.ts";
import type { StableStore } from "./stable-store.ts";

/** Readies made durable by one fsync at most. */
export const READIES_PER_BATCH_MAX = 256;
/** Longest extra wait before an fsync at the buggify point, in ms. */
const FSYNC_DELAY_MS_MAX = 30;

/** What the pipeline needs from its node. */
export interface PipelineHost {
  readonly env: Env;
  readonly stable: StableStore;
  readonly log: LogStore;
  send(message: Message): void;
  /** Step 3: the state machine takes the installed snapshot's state. */
  restoreSnapshot(metadata: SnapshotMetadata): Promise<void>;
  /**
   * Step 3: one committed entry, in order; a promise when the FSM's apply is asynchronous (awaited before the next).
   */
  applyEntry(entry: LogEntry): void | Promise<void>;
  /** Step 4: leadership, verifications, transfer, snapshot requests, probes. */
  report(ready: Ready): Promise<void>;
  /** Persisting failed: the node must stop. */
  fail(operation: string, error: unknown): void;
  /** True when step 4 must run even for a ready that reports nothing (a snapshot retry is due). */
  reportDue(): boolean;
  /** Step 1 of `ready` is durable (for an observer). */
  persisted(ready: Ready): void;
  /** The log was compacted through `index` (for an observer). */
  compacted(index: number): void;
  /** Entries through `index` are committed (step 3 is about to apply them; for an observer). */
  committed(index: number): void;
  running(): boolean;
}

/** Carries out readies in the order they are enqueued (see the file's comment). */
export class ReadyPipeline {
  private readonly queue: Ready[] = [];
  /**
   * True while a drain runs. Set and cleared synchronously, so a ready enqueued as a drain ends is never left behind.
   */
  private active = false;
  private draining: Promise<void> = Promise.resolve();

  constructor(protected readonly host: PipelineHost) {}

  /** Queues a ready; the drain starts unless one runs. */
  enqueue(ready: Ready): void {
    this.queue.push(ready);
    if (this.active) return;
    this.active = true;
    const released = this.releaseAtOnce();
    if (released !== undefined && this.queue.length === 0 && !(this.host.running() && this.host.reportDue())) {
      this.active = false;
      return;
    }
    this.draining = this.drain(released);
  }

  /**
   * The start of a drain for a lone ready with nothing to persist or finish (a follower's answer, a leader's
   * heartbeats), without an async function: its messages leave as the drain would send them. Returns it, if so.
   */
  private releaseAtOnce(): Ready | undefined {
    const ready = this.queue[0];
    if (this.queue.length !== 1 || ready === undefined || !this.host.running()) return undefined;
    if (needsPersisting(ready) || needsFinishing(ready)) return undefined;
    this.queue.pop();
    const batch = [ready];
    this.release(batch, false);
    this.release(batch, true);
    return ready;
  }

  /**
   * Runs `task` between readies: once the drain in progress ended, and with no
   * ready carried out until `task` settles (those enqueued meanwhile wait, then
   * drain). What hashicorp/raft's FSM goroutine gives a snapshot request: no apply
   * runs while the FSM is captured.
   */
  async exclusive<T>(task: () => Promise<T>): Promise<T> {
    while (this.active) await this.draining;
    this.active = true;
    const run = task();
    this.draining = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await run;
    } finally {
      this.active = false;
      if (this.queue.length > 0) {
        this.active = true;
        this.draining = this.drain();
      }
    }
  }

  /** Resolves once nothing is being carried out. */
  async idle(): Promise<void> {
    while (this.active) await this.draining;
  }

  /** Carries out the queue; `released` is a ready whose messages `releaseAtOnce` sent already (step 4 may be due). */
  private async drain(released?: Ready): Promise<void> {
    try {
      if (released !== undefined) {
        if (!this.host.running()) return;
        if (this.host.reportDue()) await this.finish(released);
      }
      while (this.queue.length > 0 && this.host.running()) {
        const batch = this.queue.splice(0, READIES_PER_BATCH_MAX);
        this.release(batch, false);
        if (batch.some(needsPersisting)) {
          try {
            await this.persist(batch);
          } catch (error) {
            if (!(error instanceof DiskError)) throw error;
            this.host.fail("persist", error);
            return;
          }
          for (const ready of batch) if (needsPersisting(ready)) this.host.persisted(ready);
        }
        this.release(batch, true);
        for (const ready of batch) {
          if (!this.host.running()) return;
          if (needsFinishing(ready) || this.host.reportDue()) await this.finish(ready);
        }
      }
    } finally {
      this.active = false;
    }
  }

  /**
   * Step 2 for a whole batch: hands its messages to the node once they may leave.
   * The drain offers them before step 1 (`durable` false) and after it; they leave
   * only after, since a vote or an acknowledgement promises what is durable. A seam
   * for test fixtures, which let them leave early.
   */
  protected release(batch: readonly Ready[], durable: boolean): void {
    if (!durable) return;
    for (const ready of batch) for (const message of ready.messages) this.host.send(message);
  }

  /** Step 1 for a whole batch: the last hard state, then every log change in order, then one fsync. */
  private async persist(batch: readonly Ready[]): Promise<void> {
    let hardState;
    for (const ready of batch) hardState = ready.hardState ?? hardState;
    if (hardState !== undefined) await this.host.stable.save(hardState);
    const log = this.host.log;
    for (const ready of batch) {
      if (ready.snapshot !== undefined) await log.resetTo({ index: ready.snapshot.index, term: ready.snapshot.term });
      if (ready.truncateFrom !== undefined) await log.truncateFrom(ready.truncateFrom);
      await log.append(ready.entries);
    }
    if (this.host.env.buggify("raft.delay-fsync"))
      await this.host.env.clock.sleep(this.host.env.random.int(1, FSYNC_DELAY_MS_MAX));
    await log.sync();
  }

  /** Steps 3 and 4 for one ready. */
  private async finish(ready: Ready): Promise<void> {
    try {
      if (ready.snapshot !== undefined) await this.host.restoreSnapshot(ready.snapshot);
      const lastCommitted = ready.committed[ready.committed.length - 1];
      if (lastCommitted !== undefined) this.host.committed(lastCommitted.index);
      for (const entry of ready.committed) {
        const applying = this.host.applyEntry(entry);
        if (applying === undefined) continue;
        await applying;
        if (!this.host.running()) return;
      }
    } catch (error) {
      // The state machine's own files failed: its state is unknown (fsm.ts).
      if (!(error instanceof DiskError)) throw error;
      this.host.fail("apply", error);
      return;
    }
    if (ready.compactThrough !== undefined) {
      try {
        await this.host.log.compactThrough(ready.compactThrough);
        this.host.compacted(ready.compactThrough);
      } catch (error) {
        if (!(error instanceof DiskError)) throw error;
        this.host.fail("compact", error);
        return;
      }
    }
    await this.host.report(ready);
  }
}

/** Step 1 has work: something to make durable. */
function needsPersisting(ready: Ready): boolean {
  return (
    ready.hardState !== undefined ||
    ready.snapshot !== undefined ||
    ready.truncateFrom !== undefined ||
    ready.entries.length > 0
  );
}

/** Steps 3 and 4 have work: something to apply, compact or report. */
function needsFinishing(ready: Ready): boolean {
  return (
    ready.snapshot !== undefined ||
    ready.committed.length > 0 ||
    ready.compactThrough !== undefined ||
    ready.leadership !== undefined ||
    ready.verifications.length > 0 ||
    ready.transfer !== undefined ||
    ready.snapshotWanted ||
    ready.probes.length > 0
  );
}
