/**
 * The sweep's worker pool: N worker threads pull tasks as they finish (dynamic
 * scheduling, so slow seeds do not idle the others). With one worker, tasks run
 * inline in this thread (no thread start-up, same results).
 */
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { packageRoot } from "../../sim/package-root.ts";
import { executeTask } from "./execute.ts";
import type { SweepAnswer, SweepTask } from "./task.ts";

export async function runTasks(
  tasks: AsyncIterable<SweepTask> | Iterable<SweepTask>,
  workers: number,
  onAnswer: (answer: SweepAnswer) => void,
): Promise<void> {
  const iterator = (Symbol.asyncIterator in tasks ? tasks[Symbol.asyncIterator]() : toAsync(tasks as Iterable<SweepTask>)) as AsyncIterator<SweepTask>;
  if (workers <= 1) {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) onAnswer(await executeTask(next.value));
    return;
  }
  const entry = workerEntry();
  const threads = Array.from({ length: workers }, () => new Worker(entry));
  try {
    await Promise.all(threads.map((thread) => drive(thread, iterator, onAnswer)));
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

async function drive(thread: Worker, iterator: AsyncIterator<SweepTask>, onAnswer: (answer: SweepAnswer) => void): Promise<void> {
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    const task = next.value;
    const answer = await new Promise<SweepAnswer>((resolve, reject) => {
      const onMessage = (message: SweepAnswer) => {
        cleanup();
        resolve(message);
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      const cleanup = () => {
        thread.off("message", onMessage);
        thread.off("error", onError);
      };
      thread.on("message", onMessage);
      thread.on("error", onError);
      thread.postMessage(task);
    });
    onAnswer(answer);
  }
}

async function* toAsync(tasks: Iterable<SweepTask>): AsyncGenerator<SweepTask> {
  yield* tasks;
}
