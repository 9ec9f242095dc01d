/**
 * The sweep's worker pool: N worker threads pull tasks as they finish (dynamic
 * scheduling, so slow seeds do not idle the others). With one worker, tasks run
 * inline in this thread (no thread start-up, same results). An abort (a hunt's
 * first failure) stops the pool at once: runs in flight on other threads are
 * abandoned with their threads, unanswered.
 */
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { packageRoot } from "../../sim/package-root.ts";
import { activeCatalogue } from "../scenario-catalogue.ts";
import { executeTask } from "./execute.ts";
import type { SweepAnswer, SweepTask, SweepWorkerData } from "./task.ts";

export interface RunTasksOptions {
  /** Stops the pool: no task starts after it aborts, no answer is delivered, threads are terminated. */
  signal?: AbortSignal;
}

export async function runTasks(
  tasks: AsyncIterable<SweepTask> | Iterable<SweepTask>,
  workers: number,
  onAnswer: (answer: SweepAnswer) => void,
  { signal }: RunTasksOptions = {},
): Promise<void> {
  const iterator = (
    Symbol.asyncIterator in tasks ? tasks[Symbol.asyncIterator]() : toAsync(tasks as Iterable<SweepTask>)
  ) as AsyncIterator<SweepTask>;
  const stopped = () => signal?.aborted === true;
  if (workers <= 1) {
    while (!stopped()) {
      const next = await iterator.next();
      if (next.done === true) return;
      const answer = await executeTask(next.value);
      if (!stopped()) onAnswer(answer);
    }
    return;
  }
  const entry = workerEntry();
  // Each thread loads the same config as this one, so every name resolves to the same scenario.
  const workerData: SweepWorkerData = { configPath: (await activeCatalogue()).configPath };
  const threads = Array.from({ length: workers }, () => new Worker(entry, { workerData }));
  const aborted = new Promise<void>((resolve) => {
    if (stopped()) resolve();
    signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    await Promise.race([Promise.all(threads.map((thread) => drive(thread, iterator, onAnswer, signal))), aborted]);
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
}

/**
 * The module a worker thread starts from: the bundled worker when this code runs
 * from dist/ (bin/build.mjs defines DST_BUNDLED there), else the entry that loads
 * the TypeScript sources.
 */
function workerEntry(): URL | string {
  if (typeof DST_BUNDLED !== "undefined") return join(packageRoot(), "dist", "sweep-worker.mjs");
  return new URL("./worker-entry.mjs", import.meta.url);
}

/** Defined (as true) only in the bundles that bin/build.mjs writes. */
declare const DST_BUNDLED: boolean | undefined;

async function drive(
  thread: Worker,
  iterator: AsyncIterator<SweepTask>,
  onAnswer: (answer: SweepAnswer) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const stopped = () => signal?.aborted === true;
  while (!stopped()) {
    const next = await iterator.next();
    if (next.done === true || stopped()) return;
    const answer = await answerOf(thread, next.value, signal);
    // An abort while the run went on: its thread is being terminated, its answer is not wanted.
    if (answer === undefined || stopped()) return;
    onAnswer(answer);
  }
}

/** Posts `task` to `thread` and waits for its answer; undefined when an abort terminated the thread first. */
function answerOf(thread: Worker, task: SweepTask, signal: AbortSignal | undefined): Promise<SweepAnswer | undefined> {
  return new Promise<SweepAnswer | undefined>((resolve, reject) => {
    const onMessage = (message: SweepAnswer) => {
      cleanup();
      resolve(message);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      if (signal?.aborted === true) resolve(undefined);
      else reject(new Error(`sweep worker exited (code ${code}) during ${task.scenario} seed ${task.seed}`));
    };
    const cleanup = () => {
      thread.off("message", onMessage);
      thread.off("error", onError);
      thread.off("exit", onExit);
    };
    thread.on("message", onMessage);
    thread.on("error", onError);
    thread.on("exit", onExit);
    thread.postMessage(task);
  });
}

async function* toAsync(tasks: Iterable<SweepTask>): AsyncGenerator<SweepTask> {
  yield* tasks;
}
