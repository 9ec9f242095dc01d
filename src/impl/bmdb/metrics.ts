/**
 * BMDB's metrics (the seed's metrics package): counters of sessions started,
 * transactions started, retried and failed (per processor: the component using
 * the session), and work started and finished by result (per process). Plain
 * counters read with `snapshot()`; an exporter is the caller's business.
 */

export type WorkResult = "finished" | "canceled" | "failed";

/** Labelled counters, by name then labels ("processor=x,process=y"). */
export class BmdbMetrics {
  private readonly counters = new Map<string, number>();

  /** The recorder of one processor (component); "" when the session named none. */
  recorder(processor = ""): ProcessorRecorder {
    return new ProcessorRecorder(this, processor);
  }

  add(name: string, labels: Readonly<Record<string, string>>, delta = 1): void {
    const key = `${name}{${Object.entries(labels)
      .map(([label, value]) => `${label}=${value}`)
      .join(",")}}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + delta);
  }

  /** Every counter, `name{label=value,...}` to count, sorted by key. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counters.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** The sum of a counter over all its labels. */
  total(name: string): number {
    let sum = 0;
    for (const [key, value] of this.counters) if (key.startsWith(`${name}{`)) sum += value;
    return sum;
  }
}

export class ProcessorRecorder {
  constructor(
    private readonly metrics: BmdbMetrics,
    private readonly processor: string,
  ) {}

  onSessionStarted(): void {
    this.metrics.add("bmdb_sessions_started_total", { processor: this.processor });
  }

  /** Attempt 1 is a new transaction; later attempts are retries. */
  onTransactionStarted(attempt: number): void {
    if (attempt <= 1) this.metrics.add("bmdb_transactions_started_total", { processor: this.processor });
    else this.metrics.add("bmdb_transactions_retried_total", { processor: this.processor });
  }

  onTransactionFailed(): void {
    this.metrics.add("bmdb_transactions_failed_total", { processor: this.processor });
  }

  onSessionsCollected(count: number): void {
    if (count > 0) this.metrics.add("bmdb_sessions_collected_total", { processor: this.processor }, count);
  }

  withProcess(process: string): ProcessRecorder {
    return new ProcessRecorder(this.metrics, this.processor, process);
  }
}

export class ProcessRecorder {
  constructor(
    private readonly metrics: BmdbMetrics,
    private readonly processor: string,
    private readonly process: string,
  ) {}

  onWorkStarted(): void {
    this.metrics.add("bmdb_work_started_total", { processor: this.processor, process: this.process });
  }

  onWorkFinished(result: WorkResult): void {
    this.metrics.add("bmdb_work_finished_total", { processor: this.processor, process: this.process, result });
  }
}
