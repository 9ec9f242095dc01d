/**
 * The exit codes of `dst`, one meaning each, so a script can branch on them
 * (README.md, "Exit codes", lists them per command).
 */

/** Done: the run passed, or the replay of a passing counterexample passed identically. */
export const EXIT_OK = 0;
/** The run had violations (a sweep: some run failed); a replay reproduced its violations exactly. */
export const EXIT_VIOLATION = 1;
/**
 * Bad input, refused with one `dst:` line on stderr: options, files, a plan that does not fit, an output path that
 * cannot be written.
 */
export const EXIT_USAGE = 2;
/** Replay: the counterexample recorded violations, and the run now passes (a fix, or changed code). */
export const EXIT_REPLAY_NOW_PASSES = 3;
/** Replay: the run diverged from the recording (another fingerprint or other violations). */
export const EXIT_REPLAY_DIVERGED = 4;
/**
 * Sweep and merge with --fail-on-gaps: no run failed, and a declared rare state was reached by fewer than 1% of its
 * scenario's runs.
 */
export const EXIT_RARE_STATE_GAPS = 5;
