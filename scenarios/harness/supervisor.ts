/**
 * The orchestrator of a cluster's server processes, shared by every cluster kit:
 * it starts a server, waits for it to stop, and starts it again, for as long as
 * the run lasts, as Kubernetes restarts a failing pod. Between two starts it
 * waits a backoff that doubles from RESTART_BACKOFF_MS_INITIAL up to
 * RESTART_BACKOFF_MS_MAX, with jitter, and drops back to the initial one once a
 * server ran RESTART_BACKOFF_RESET_MS. Every failed start and every stop is
 * counted by name (the run's summary reports them): nothing is restarted silently.
 *
 * A server that stops on purpose (a clean shutdown, a member that left) is not
 * started again. The loop lives in the host's process: a crash ends it, and the
 * fault plan's restart starts a new one.
 */
import type { Env } from "../../src/sim/env.ts";

/** The first wait before starting a failed server again, in host-local ms. */
export const RESTART_BACKOFF_MS_INITIAL = 100;
/** The longest wait between two starts. */
export const RESTART_BACKOFF_MS_MAX = 2_000;
/** A server that ran this long before it stopped starts again after the initial backoff. */
export const RESTART_BACKOFF_RESET_MS = 10_000;

/**
 * The restart backoff policy, one per supervised server: the wait before the next
 * start doubles from RESTART_BACKOFF_MS_INITIAL up to RESTART_BACKOFF_MS_MAX, and
 * drops back to the initial one after a server ran RESTART_BACKOFF_RESET_MS.
 * `supervise` adds jitter to it; a kit that restarts the whole host process
 * (dqlite's) uses it as it is.
 */
export class RestartBackoff {
  private nextMs = RESTART_BACKOFF_MS_INITIAL;

  /** The wait before starting a server again that ran `ranMs` before it stopped (0 for a failed start). */
  after(ranMs: number): number {
    if (ranMs >= RESTART_BACKOFF_RESET_MS) this.nextMs = RESTART_BACKOFF_MS_INITIAL;
    const waitMs = this.nextMs;
    this.nextMs = Math.min(RESTART_BACKOFF_MS_MAX, waitMs * 2);
    return waitMs;
  }
}

/** One server under supervision. */
export interface Supervised<T> {
  /** Starts the server; a throw is a failed start (counted as `start:<error name>`). */
  start(): Promise<T>;
  /**
   * Runs until the server stops: undefined when it stopped on purpose, else why it failed (counted as
   * `stopped:<reason>`).
   */
  run(server: T): Promise<string | undefined>;
  /** True when the server must not be started (again): it left the cluster. */
  retired?(): boolean;
}

/** Supervises one server forever (see the file's comment); `failures` counts what happened by name. */
export async function supervise<T>(env: Env, failures: Record<string, number>, server: Supervised<T>): Promise<void> {
  const count = (name: string) => (failures[name] = (failures[name] ?? 0) + 1);
  // Its own stream: the jitter shifts none of the server's draws.
  const random = env.random.fork("supervisor");
  const backoff = new RestartBackoff();
  const wait = async (ranMs: number) => {
    const backoffMs = backoff.after(ranMs);
    await env.clock.sleep(backoffMs / 2 + random.float(0, backoffMs / 2));
  };
  while (server.retired?.() !== true) {
    let running: T;
    try {
      running = await server.start();
    } catch (error) {
      count(`start:${error instanceof Error ? error.name : "unknown"}`);
      await wait(0);
      continue;
    }
    const startedAt = env.clock.monotonic();
    const failed = await server.run(running);
    if (failed === undefined) return;
    count(`stopped:${failed}`);
    await wait(env.clock.monotonic() - startedAt);
  }
}
