/**
 * Deliberately broken BMDB sessions, one bug each, built through the connection's
 * seam (ConnectionOptions.rules): BMDB's own rules with one decision bent. Only a
 * run that names a variant uses them; the shipping code in src/impl never does.
 * This is the single copy: the BMDB scenarios offer these variants (`dst run
 * <scenario> --variant <name>`), and the BMDB properties import them (`withVariant`).
 */
import { DEFAULT_SESSION_RULES, type ConnectionOptions, type SessionRules } from "../../src/impl/bmdb/index.ts";

/** The sessions' broken variants and what each gets wrong. */
export const BMDB_BROKEN_VARIANTS = {
  "no-session-check": "transact runs without checking the session, so an expired session's heartbeat and work go on",
  "no-session-collection": "expired sessions are never collected: their work is never released",
  "seed-heartbeat-condition":
    "the seed's heartbeat condition: a transient poke failure ends the session at once while its deadline is still ahead",
  "no-lease":
    "a session trusts itself until its heartbeat gives up (the seed's behaviour): a cut-off holder works past its deadline",
  "unchecked-session":
    "both of the above: no session check in transactions and no lease, so nothing tells a collected session it is gone",
  "seed-unconditional-history":
    "the seed's Cancel, Finish and Fail: the history event is recorded even when the work row is already gone (a retry after an unknown outcome that did commit records a second terminal event)",
} as const;

export type BmdbBrokenVariant = keyof typeof BMDB_BROKEN_VARIANTS;

const BROKEN_RULES: Readonly<Record<BmdbBrokenVariant, SessionRules>> = {
  "no-session-check": { ...DEFAULT_SESSION_RULES, checkSessionInTransaction: false },
  "no-session-collection": { ...DEFAULT_SESSION_RULES, collectExpiredSessions: false },
  // The seed's inverted condition: it gives up while the deadline is still ahead.
  "seed-heartbeat-condition": { ...DEFAULT_SESSION_RULES, heartbeatGivesUp: (nowMs, deadlineMs) => deadlineMs > nowMs },
  "no-lease": { ...DEFAULT_SESSION_RULES, expireAtLeaseEnd: false },
  "unchecked-session": { ...DEFAULT_SESSION_RULES, checkSessionInTransaction: false, expireAtLeaseEnd: false },
  "seed-unconditional-history": { ...DEFAULT_SESSION_RULES, historyOnlyWithWorkRow: false },
};

/** The rules of `variant` (undefined: BMDB's own); the named variant must exist. */
export function sessionRulesOf(variant: string | undefined): SessionRules | undefined {
  if (variant === undefined) return undefined;
  const rules = (BROKEN_RULES as Readonly<Record<string, SessionRules>>)[variant];
  if (rules === undefined) throw new Error(`no broken BMDB session named "${variant}"`);
  return rules;
}

/** Whether `variant` names a broken session (the provisioning scenario also offers its agents' variants). */
export function isSessionVariant(variant: string | undefined): variant is BmdbBrokenVariant {
  return variant !== undefined && Object.hasOwn(BMDB_BROKEN_VARIANTS, variant);
}

/** `options` whose sessions run `variant` (unchanged for undefined): what a scenario or test passes. */
export function withVariant<T extends Partial<ConnectionOptions>>(options: T, variant: string | undefined): T {
  if (variant === undefined) return options;
  return { ...options, rules: sessionRulesOf(variant) };
}
