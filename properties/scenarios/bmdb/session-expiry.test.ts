/**
 * The verdict on a live session's expiry (scenarios/bmdb/session-expiry.ts): excused only when no transaction of
 * any client committed from when the session's next poke fell due until its lease's end, and never before that
 * end. Each condition of the excuse is shown refusing a case that breaks only it.
 */
import { describe, expect, it } from "vitest";
import {
  judgeExpiry,
  newLeaseBook,
  POKE_ALLOWANCE_MS,
  type LeaseBook,
  type Poke,
} from "../../../scenarios/bmdb/session-expiry.ts";
import { LEASE_MARGIN_MS } from "../../../src/impl/bmdb/index.ts";

const INTERVAL_MS = 4_000;
/**
 * Seed 56 with --buggify at 3e4af2d, c3: its last poke sent at 928.6 ms and acknowledged at 937.8 ms; no leader from
 * 2,882 ms to 4,730 ms.
 */
const SENT_AT = 928.6;
const ACKED_AT = 937.8;
const LEASE_END = SENT_AT + INTERVAL_MS - LEASE_MARGIN_MS;
const DUE_BY = ACKED_AT + INTERVAL_MS / 2 + INTERVAL_MS / 10;

function bookWith(
  commits: readonly number[],
  pokes: readonly Poke[] = [{ sentAt: SENT_AT, ackedAt: ACKED_AT }],
): LeaseBook {
  const book = newLeaseBook();
  book.commits.push(...[...commits, ...pokes.map((poke) => poke.ackedAt)].sort((a, b) => a - b));
  book.pokes.set("s", [...pokes]);
  return book;
}

describe("bmdb-sessions: the verdict on a live session's expiry", () => {
  it("excuses an expiry after the lease's end when nobody committed from the poke's due time to that end (seed 56)", () => {
    const verdict = judgeExpiry(bookWith([1_500, 2_878.5, 4_814.7]), "s", INTERVAL_MS, 4_814.7);
    expect(verdict.excused, verdict.details).toBe(true);
  });

  it("refuses an expiry before the lease's end, however long the outage (a heartbeat that gave up at its first failed poke)", () => {
    const verdict = judgeExpiry(bookWith([1_500, 2_878.5]), "s", INTERVAL_MS, LEASE_END - 1);
    expect(verdict.excused, verdict.details).toBe(false);
  });

  it("refuses an expiry when another client committed while the session's poke was due", () => {
    for (const committedAt of [DUE_BY, (DUE_BY + LEASE_END) / 2, LEASE_END - POKE_ALLOWANCE_MS]) {
      const verdict = judgeExpiry(bookWith([1_500, committedAt]), "s", INTERVAL_MS, 4_814.7);
      expect(verdict.excused, `${committedAt} ms: ${verdict.details}`).toBe(false);
    }
  });

  it("refuses an expiry whose next poke fell due after the lease's end (a poke acknowledged too late to count)", () => {
    const poke = { sentAt: SENT_AT, ackedAt: SENT_AT + 1_200 };
    const verdict = judgeExpiry(bookWith([], [poke]), "s", INTERVAL_MS, LEASE_END + 500);
    expect(verdict.excused, verdict.details).toBe(false);
  });

  // Seed 6 with --buggify, c3: a poke sent 16.5 ms before the lease's end was acknowledged 18.9 ms after it; the
  // session had expired meanwhile, and the client saw it 200 ms later.
  it("judges by the poke before when the last was acknowledged after that one's lease ended (seed 6)", () => {
    const before = { sentAt: 11_810.4, ackedAt: 11_830 };
    const last = { sentAt: 15_293.9, ackedAt: 15_329.3 };
    const excused = judgeExpiry(bookWith([13_200], [before, last]), "s", INTERVAL_MS, 15_508.4);
    expect(excused.excused, excused.details).toBe(true);
    const committed = judgeExpiry(bookWith([14_900], [before, last]), "s", INTERVAL_MS, 15_508.4);
    expect(committed.excused, committed.details).toBe(false);
    // Acknowledged before the lease of the one before ended, the last poke's own lease still runs.
    const inTime = judgeExpiry(
      bookWith([13_200], [before, { sentAt: 15_200, ackedAt: 15_300 }]),
      "s",
      INTERVAL_MS,
      15_508.4,
    );
    expect(inTime.excused, inTime.details).toBe(false);
  });

  it("refuses an expiry of a session none of whose pokes was acknowledged, or when the commits of the window were forgotten", () => {
    expect(judgeExpiry(bookWith([]), "other", INTERVAL_MS, 4_814.7).excused).toBe(false);
    const book = bookWith([]);
    book.forgottenBefore = DUE_BY + 1;
    expect(judgeExpiry(book, "s", INTERVAL_MS, 4_814.7).excused).toBe(false);
  });
});
