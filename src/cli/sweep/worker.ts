/**
 * A sweep worker thread: runs tasks one at a time, each run isolated in its own world.
 */
import { parentPort } from "node:worker_threads";
import { executeTask } from "./execute.ts";
import type { SweepTask } from "./task.ts";

if (parentPort === null) throw new Error("sweep worker: not started as a worker thread");
const port = parentPort;
port.on("message", (task: SweepTask) => {
  void executeTask(task).then((answer) => port.postMessage(answer));
});
