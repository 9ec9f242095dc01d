/**
 * Rows for overlapping intervals: each interval goes to the first row free at its
 * start, so that no two intervals of a row overlap (a track of a trace viewer
 * must nest its slices; ours do not, so they get rows of their own).
 */

/** The row of each interval (same order as given). */
export function assignRows(intervals: ReadonlyArray<{ startMs: number; endMs: number }>): number[] {
  const order = intervals
    .map((_, index) => index)
    .sort(
      (a, b) => (intervals[a] as { startMs: number }).startMs - (intervals[b] as { startMs: number }).startMs || a - b,
    );
  const rowEnds: number[] = [];
  const rows = new Array<number>(intervals.length).fill(0);
  for (const index of order) {
    const interval = intervals[index] as { startMs: number; endMs: number };
    let row = rowEnds.findIndex((end) => end <= interval.startMs);
    if (row === -1) {
      row = rowEnds.length;
      rowEnds.push(interval.endMs);
    } else {
      rowEnds[row] = interval.endMs;
    }
    rows[index] = row;
  }
  return rows;
}
