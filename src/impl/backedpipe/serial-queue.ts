/**
 * SerialQueue: runs async tasks one at a time, in the order they were enqueued
 * (a FIFO async mutex). Concurrent writes of a BackedWriter, and concurrent reads of
 * a BackedReader, take their turns through one, so they complete in call order.
 * Its length is the caller's concurrency: it holds one promise per waiting task.
 */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `task` once every task enqueued before it has settled; settles as `task` does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.then(ignore, ignore);
    return result;
  }
}

function ignore(): void {}
