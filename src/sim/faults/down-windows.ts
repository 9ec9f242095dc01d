/**
 * When a fault plan takes hosts down, counted as the swarm counts them
 * (swarm.ts, downKinds and recoveryMs): a crash until the host's next restart,
 * an isolation until the next heal (a heal undoes every partition and
 * isolation), a pause, and a crash or isolation with its own duration, for that
 * duration (a role target, "@leader", counts as a host of its own; one waiting
 * for the role's next holder from its time to the latest it may end); each window then stays open for
 * `recoveryMs` more, the time a host takes to rejoin. A crash never restarted
 * in the plan, or an isolation never healed, lasts until `untilMs` (the runner
 * heals everything when the safety phase ends).
 *
 * For scenarios that act on the world themselves (a controller that takes a
 * server out of a cluster for good) and must keep within the same budget as
 * the swarm: they act only outside every window.
 */
import type { FaultPlan } from "./plan.ts";
import type { SwarmKind } from "./swarm.ts";

export interface DownWindow {
  readonly host: string;
  readonly kind: "crash" | "isolate" | "pause";
  readonly startMs: number;
  /** When the host counts as up again (recovery included). */
  readonly endMs: number;
}

export interface DownWindowOptions {
  /** Kinds that take a host down (default: crash), as SwarmOptions.downKinds. */
  readonly kinds?: readonly SwarmKind[];
  readonly recoveryMs?: number;
  /** Where an unfinished episode ends (the end of the safety phase). */
  readonly untilMs: number;
}

/** The plan's down windows, in plan order (see the file comment). */
export function downWindows(plan: FaultPlan, options: DownWindowOptions): DownWindow[] {
  const kinds = options.kinds ?? ["crash"];
  const recoveryMs = options.recoveryMs ?? 0;
  const windows: DownWindow[] = [];
  plan.faults.forEach((event, index) => {
    const later = plan.faults.slice(index + 1);
    let end: number | undefined;
    // An event waiting for a role's next holder may strike as late as its wait allows.
    const latestStartMs =
      "next" in event && event.next !== undefined ? event.atMs + event.next.withinMs + event.next.delayMs : event.atMs;
    if (event.kind === "crash" && kinds.includes("crash") && event.durationMs !== undefined)
      end = latestStartMs + event.durationMs;
    else if (event.kind === "isolate" && kinds.includes("isolate") && event.durationMs !== undefined)
      end = latestStartMs + event.durationMs;
    else if (event.kind === "crash" && kinds.includes("crash"))
      end = later.find((next) => next.kind === "restart" && next.host === event.host)?.atMs ?? options.untilMs;
    else if (event.kind === "isolate" && kinds.includes("isolate"))
      end = later.find((next) => next.kind === "heal")?.atMs ?? options.untilMs;
    else if (event.kind === "pause" && kinds.includes("pause")) end = latestStartMs + event.durationMs;
    if (end === undefined || (event.kind !== "crash" && event.kind !== "isolate" && event.kind !== "pause")) return;
    windows.push({ host: event.host, kind: event.kind, startMs: event.atMs, endMs: end + recoveryMs });
  });
  return windows;
}

/** True if no window is open at any time in [fromMs, toMs]. */
export function clearOfWindows(windows: readonly DownWindow[], fromMs: number, toMs: number): boolean {
  return windows.every((window) => window.endMs < fromMs || window.startMs > toMs);
}
