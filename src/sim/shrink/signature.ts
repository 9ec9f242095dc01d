/**
 * What "the same failure" means while shrinking: the first violation's invariant,
 * its kind and (by default) the host it was reported on.
 *
 * The host is part of the signature by default because sweeps group failures by
 * invariant, kind and host (`violationSignature` in src/cli/report.ts uses the same
 * text), so a minimal counterexample lands in the same group as its original; and
 * an invariant broken on another host is often another path to the failure. With
 * `sameHost: false` the host may differ, which lets a shrink go further on systems
 * where any replica can be the one that notices.
 */
import type { Violation } from "../world.ts";

/** How strict "the same failure" is. */
export interface SignatureOptions {
  /** Whether the host is part of the signature (default true). */
  sameHost?: boolean;
}

/** "kind invariant @host" (the host only when it is part of the signature and the violation has one). */
export function failureSignature(violation: Violation, options: SignatureOptions = {}): string {
  const host = (options.sameHost ?? true) && violation.host !== undefined ? ` @${violation.host}` : "";
  return `${violation.kind} ${violation.invariant}${host}`;
}
