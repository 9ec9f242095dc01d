/**
 * Persister (Gazette's fragment.Persister): uploads completed spools to the
 * first store of their journal's spec, in the background.
 *
 * A primary's spool is attempted at once; a replica's waits PERSIST_INTERVAL_MS
 * twice first (Gazette's qC → qB → qA rotation), by which time the primary has
 * usually persisted the same content-addressed fragment and the upload finds it
 * there (an idempotent no-op). Each round makes up to `attemptsPerRound` attempts
 * with the client's backoff; a failed round is retried PERSIST_INTERVAL_MS later,
 * for as long as the process lives. A crash loses the queue: that is expected,
 * the other replicas hold and persist the same spools.
 *
 * Not persisted: empty fragments (Begin == End) and journals without stores
 * (Gazette keeps them local only). The queue is bounded: beyond `queueLimit` a
 * spool is refused (logged, traced, probed) and spoolComplete returns false.
 * `persist` is the same as a promise (for a replica that waits for the upload).
 *
 * Seam for test fixtures: a subclass overrides `retriesFailedRound`.
 */
import type { Env } from "../../../../sim/env.ts";
import { assert } from "../../../../sim/assert.ts";
import { backoff } from "../../client/backoff.ts";
import { fragmentContentLength, type Fragment } from "../../protocol/fragment.ts";
import type { FragmentStore } from "../../protocol/journal-spec.ts";
import { ErrCancelled } from "../../protocol/journal-client.ts";
import { ErrPersistQueueFull } from "./errors.ts";
import type { LocalContent } from "../types.ts";

/** Gazette's persistInterval: the period of retry rounds. */
export const PERSIST_INTERVAL_MS = 60_000;
export const PERSIST_QUEUE_LIMIT_DEFAULT = 1_024;
export const PERSIST_ATTEMPTS_PER_ROUND_DEFAULT = 4;
/** Uploads running at once. */
export const PERSIST_CONCURRENCY_DEFAULT = 4;

/** What the persister needs of the store client. */
export interface PersistClient {
  persist(store: FragmentStore, fragment: Fragment, content: Uint8Array, signal?: AbortSignal): Promise<Fragment>;
}

export interface PersisterOptions {
  queueLimit?: number;
  attemptsPerRound?: number;
  roundIntervalMs?: number;
  concurrency?: number;
  /** Stops the persister (besides the process's lifetime). */
  signal?: AbortSignal;
}

export interface SpoolCompleteOptions {
  /** This broker is the journal's primary: attempt at once (default true). */
  primary?: boolean;
}

interface Job {
  fragment: Fragment;
  content: LocalContent;
  store: FragmentStore;
  onPersisted: ((persisted: Fragment) => void) | undefined;
  /** Called once when the job ends without being persisted (the persister stopped, or gave up). */
  onAbandoned?: (error: unknown) => void;
  done?: boolean;
}

export class Persister {
  private readonly queueLimit: number;
  private readonly attemptsPerRound: number;
  private readonly roundIntervalMs: number;
  private readonly concurrency: number;
  private readonly signal: AbortSignal;
  private readonly stopped: Promise<never>;
  private readonly jobs = new Set<Job>();
  private running = 0;
  private readonly slotWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private idleWaiters: Array<() => void> = [];
  private persistedCount = 0;

  constructor(
    private readonly env: Env,
    private readonly client: PersistClient,
    private readonly options: PersisterOptions = {},
  ) {
    this.queueLimit = options.queueLimit ?? PERSIST_QUEUE_LIMIT_DEFAULT;
    this.attemptsPerRound = options.attemptsPerRound ?? PERSIST_ATTEMPTS_PER_ROUND_DEFAULT;
    this.roundIntervalMs = options.roundIntervalMs ?? PERSIST_INTERVAL_MS;
    this.concurrency = options.concurrency ?? PERSIST_CONCURRENCY_DEFAULT;
    assert(
      this.queueLimit > 0 && this.attemptsPerRound > 0 && this.concurrency > 0,
      "Persister: limits must be positive",
    );
    // Not the lifetime's signal: a dead process runs nothing more (its pending work stays pending), so only an explicit
    // stop cancels.
    this.signal = options.signal ?? new AbortController().signal;
    let stop: (error: unknown) => void = () => undefined;
    this.stopped = new Promise<never>((_, reject) => {
      stop = reject;
    });
    this.stopped.catch(() => undefined);
    this.signal.addEventListener(
      "abort",
      () => {
        stop(new ErrCancelled(this.signal.reason));
        for (const waiter of this.slotWaiters.splice(0)) waiter.reject(new ErrCancelled(this.signal.reason));
      },
      { once: true },
    );
  }

  /** Sleeps `ms`, or rejects with ErrCancelled when the persister stops (one abort listener for every sleeper). */
  private sleep(ms: number): Promise<void> {
    if (this.signal.aborted) return Promise.reject(new ErrCancelled(this.signal.reason));
    return Promise.race([this.env.clock.sleep(ms), this.stopped]);
  }

  /**
   * SpoolComplete: queues the completed spool `fragment` (content readable through
   * `content`) for `stores[0]`. Returns false when it is not queued: empty, no
   * stores, or the queue is full (refused).
   */
  spoolComplete(
    fragment: Fragment,
    content: LocalContent,
    stores: readonly FragmentStore[],
    onPersisted?: (persisted: Fragment) => void,
    options: SpoolCompleteOptions = {},
  ): boolean {
    return this.enqueue(fragment, content, stores, onPersisted, undefined, options.primary ?? true);
  }

  /**
   * spoolComplete as a promise: resolves with the persisted fragment, or with
   * undefined when it is not to be persisted (empty, no stores); rejects with
   * ErrPersistQueueFull when refused, and with ErrCancelled when the persister
   * stops first (a crash leaves it pending, as everything of a dead process).
   */
  persist(
    fragment: Fragment,
    content: LocalContent,
    stores: readonly FragmentStore[],
    primary = true,
  ): Promise<Fragment | undefined> {
    if (fragmentContentLength(fragment) === 0 || stores.length === 0) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      if (!this.enqueue(fragment, content, stores, resolve, reject, primary))
        reject(this.signal.aborted ? new ErrCancelled(this.signal.reason) : new ErrPersistQueueFull(this.queueLimit));
    });
  }

  private enqueue(
    fragment: Fragment,
    content: LocalContent,
    stores: readonly FragmentStore[],
    onPersisted: ((persisted: Fragment) => void) | undefined,
    onAbandoned: ((error: unknown) => void) | undefined,
    primary: boolean,
  ): boolean {
    if (fragmentContentLength(fragment) === 0) return false;
    const store = stores[0];
    if (store === undefined) {
      this.env.trace("gazette.broker.persist-skipped", {
        journal: fragment.journal,
        begin: fragment.begin,
        end: fragment.end,
        reason: "no stores",
      });
      return false;
    }
    if (this.signal.aborted) return false;
    if (this.jobs.size >= this.queueLimit) {
      this.env.log.warn("persister queue full: dropping spool (other replicas persist it)", {
        journal: fragment.journal,
        begin: fragment.begin,
        end: fragment.end,
        limit: this.queueLimit,
      });
      this.env.trace("gazette.broker.persist-refused", {
        journal: fragment.journal,
        begin: fragment.begin,
        end: fragment.end,
      });
      this.env.probe("gazette.broker.persist-queue-full");
      return false;
    }
    const job: Job = { fragment, content, store, onPersisted };
    if (onAbandoned !== undefined) job.onAbandoned = onAbandoned;
    this.jobs.add(job);
    void this.run(job, primary);
    return true;
  }

  /** Spools queued or uploading. */
  pending(): number {
    return this.jobs.size;
  }

  /** Spools persisted so far. */
  persisted(): number {
    return this.persistedCount;
  }

  /** Resolves once nothing is pending (at once if nothing is). */
  idle(): Promise<void> {
    if (this.jobs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Seam: whether a spool whose round of attempts failed is retried a round interval later (always: it is persisted
   * eventually).
   */
  protected retriesFailedRound(): boolean {
    return true;
  }

  private async run(job: Job, primary: boolean): Promise<void> {
    try {
      if (!primary) await this.sleep(2 * this.roundIntervalMs);
      for (let round = 0; ; round++) {
        if (await this.attemptRound(job)) return;
        if (!this.retriesFailedRound()) return;
        this.env.probe("gazette.broker.persist-round-failed");
        this.env.log.warn("persist round failed (will retry)", {
          journal: job.fragment.journal,
          begin: job.fragment.begin,
          round,
          nextInMs: this.roundIntervalMs,
        });
        await this.sleep(this.roundIntervalMs);
      }
    } catch (error) {
      if (!(error instanceof ErrCancelled)) throw error;
    } finally {
      if (job.done !== true)
        job.onAbandoned?.(this.signal.aborted ? new ErrCancelled(this.signal.reason) : new Error("persist abandoned"));
      this.jobs.delete(job);
      if (this.jobs.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** One round of attempts; true once persisted. */
  private async attemptRound(job: Job): Promise<boolean> {
    await this.acquireSlot();
    try {
      let persisted: Fragment | undefined;
      for (let attempt = 0; attempt < this.attemptsPerRound; attempt++) {
        if (attempt > 0) await this.sleep(backoff(attempt - 1));
        try {
          const { fragment } = job;
          const content = await job.content.read(fragment.begin, fragmentContentLength(fragment));
          persisted = await this.client.persist(job.store, fragment, content, this.signal);
          break;
        } catch (error) {
          if (error instanceof ErrCancelled || this.signal.aborted)
            throw error instanceof ErrCancelled ? error : new ErrCancelled(this.signal.reason);
          this.env.log.warn("failed to persist Spool (will retry)", {
            journal: job.fragment.journal,
            begin: job.fragment.begin,
            end: job.fragment.end,
            attempt,
            error: String(error),
          });
        }
      }
      if (persisted === undefined) return false;
      job.done = true;
      this.persistedCount += 1;
      this.env.trace("gazette.broker.persisted", {
        journal: persisted.journal,
        begin: persisted.begin,
        end: persisted.end,
        store: job.store,
        modTime: persisted.modTime,
      });
      try {
        job.onPersisted?.(persisted);
      } catch (error) {
        this.env.log.error("persister: onPersisted callback failed", {
          journal: persisted.journal,
          begin: persisted.begin,
          error: String(error),
        });
      }
      return true;
    } finally {
      this.releaseSlot();
    }
  }

  /** Waits for an upload slot; rejects with ErrCancelled once the persister stops. */
  private acquireSlot(): Promise<void> {
    if (this.signal.aborted) return Promise.reject(new ErrCancelled(this.signal.reason));
    if (this.running < this.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.slotWaiters.push({ resolve, reject }));
  }

  /** Hands the slot to the next waiter, or frees it. */
  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next !== undefined) next.resolve();
    else this.running -= 1;
  }
}
