/**
 * PolledList (list.go, v0.89): polls ListAllJournals every `intervalMs` of
 * host-local time, making its most recent result available through `list()`.
 * The first listing happens in `PolledList.create`, and its error is thrown;
 * later errors are logged and the poll goes on at the next interval.
 *
 * The update signal: like Gazette's single buffered channel, at most one signal
 * is pending at a time and one waiter takes it. A successful poll sends one
 * (dropped if one is already pending); `waitForUpdate()` takes the pending signal
 * or waits for the next. Polling stops when the signal aborts.
 *
 * Seams for test fixtures: a subclass overrides `takeListing` and `signalUpdate`,
 * and its static `create` builds the subclass.
 */
import type { Env } from "../../../sim/env.ts";
import { assert } from "../../../sim/assert.ts";
import type { JournalClient } from "../protocol/journal-client.ts";
import type { ListRequest, ListResponse } from "../protocol/messages.ts";
import { isCancellation, sleepOrAbort } from "./backoff.ts";
import { listAllJournals } from "./list.ts";

export interface PolledListOptions {
  signal?: AbortSignal;
}

export class PolledList {
  private response: ListResponse;
  private signalPending = false;
  private readonly waiters: Array<() => void> = [];
  private polls = 0;

  protected constructor(
    private readonly env: Env,
    private readonly client: JournalClient,
    private readonly intervalMs: number,
    private readonly request: ListRequest,
    first: ListResponse,
    private readonly options: PolledListOptions,
  ) {
    this.response = first;
  }

  /** NewPolledList: lists once (throwing its error), then polls in the background. */
  static async create(
    this: typeof PolledList,
    env: Env,
    client: JournalClient,
    intervalMs: number,
    request: ListRequest,
    options: PolledListOptions = {},
  ): Promise<PolledList> {
    assert(intervalMs > 0, "PolledList interval must be positive");
    const first = await listAllJournals(
      client,
      request,
      options.signal === undefined ? {} : { signal: options.signal },
    );
    const list = new this(env, client, intervalMs, request, first, options);
    void list.periodicRefresh();
    return list;
  }

  /** The most recent listing. */
  list(): ListResponse {
    return this.response;
  }

  /** Successful polls so far (the first listing excluded). */
  get pollCount(): number {
    return this.polls;
  }

  /** UpdateCh: resolves once an update is signalled (taking a pending signal at once). */
  waitForUpdate(): Promise<void> {
    if (this.signalPending) {
      this.signalPending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Seam: takes a successful poll's listing as the list's most recent. */
  protected takeListing(response: ListResponse): void {
    this.response = response;
  }

  /** Seam: signals an update (wakes one waiter, or leaves the signal pending). */
  protected signalUpdate(): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter();
    else this.signalPending = true;
  }

  private async periodicRefresh(): Promise<void> {
    const signal = this.options.signal;
    for (;;) {
      try {
        await sleepOrAbort(this.env.clock, this.intervalMs, signal);
      } catch (error) {
        if (isCancellation(error)) return;
        throw error;
      }
      try {
        const response = await listAllJournals(this.client, this.request, signal === undefined ? {} : { signal });
        this.takeListing(response);
        this.polls++;
        this.signalUpdate();
      } catch (error) {
        if (signal?.aborted) return;
        this.env.log.warn("periodic List refresh failed (will retry)", { error: String(error) });
      }
    }
  }
}
