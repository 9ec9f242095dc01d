/**
 * A deliberately broken supervisor, never used by the scenarios: it gives up after
 * 20 starts, as the clusters' supervisors did before they learnt to restart for
 * as long as the run lasts.
 */
import type { Env } from "../../../../src/sim/env.ts";
import { supervise, type Supervised } from "../../../../scenarios/harness/supervisor.ts";

export async function cappedSupervise<T>(
  env: Env,
  failures: Record<string, number>,
  server: Supervised<T>,
): Promise<void> {
  let starts = 0;
  await supervise(env, failures, { ...server, retired: () => ++starts > 20 || server.retired?.() === true });
}
