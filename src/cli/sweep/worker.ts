/**
 * A sweep worker thread: runs tasks one at a time, each run isolated in its own world.
 * It resolves scenario names in the same catalogue as the command that started it:
 * the config module the pool hands over in workerData (pool.ts), else the bundled
 * scenarios.
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadCatalogue, selectCatalogue } from "../scenario-catalogue.ts";
import { executeTask } from "./execute.ts";
import type { SweepTask, SweepWorkerData } from "./task.ts";

if (parentPort === null) throw new Error("sweep worker: not started as a worker thread");
const port = parentPort;
const { configPath } = (workerData ?? {}) as Partial<SweepWorkerData>;
const loaded = loadCatalogue({ config: configPath }).then(selectCatalogue);
port.on("message", (task: SweepTask) => {
  void loaded
    .then(() => executeTask(task))
    .then(
      (answer) => port.postMessage(answer),
      (error: unknown) => port.postMessage({ id: task.id, ok: false, error: String(error) }),
    );
});
