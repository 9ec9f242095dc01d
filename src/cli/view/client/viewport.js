// The visible window of virtual time: zoom about a point, pan, fit, centre.

/** The narrowest window, in ms (times are kept to the microsecond). */
export const VIEW_SPAN_MS_MIN = 0.01;
/** Room left around the run when fitting, as a fraction of its length. */
const FIT_MARGIN = 0.015;

export function createViewport(data) {
  const range = Math.max(data.endMs - data.startMs, VIEW_SPAN_MS_MIN);
  const viewport = {
    fullStart: data.startMs - range * FIT_MARGIN,
    fullEnd: data.endMs + range * FIT_MARGIN * 2,
    start: 0,
    end: 1,
  };
  fitViewport(viewport);
  return viewport;
}

export function fitViewport(viewport) {
  viewport.start = viewport.fullStart;
  viewport.end = viewport.fullEnd;
}

/** Keeps the window inside the run and no narrower than the minimum. */
function clampViewport(viewport) {
  const fullSpan = viewport.fullEnd - viewport.fullStart;
  let span = Math.min(Math.max(viewport.end - viewport.start, VIEW_SPAN_MS_MIN), fullSpan);
  let start = viewport.start;
  if (start < viewport.fullStart) start = viewport.fullStart;
  if (start + span > viewport.fullEnd) start = viewport.fullEnd - span;
  viewport.start = start;
  viewport.end = start + span;
}

/** Zooms by `factor` (below 1 zooms in) keeping `time` at the same place on screen. */
export function zoomViewport(viewport, time, factor) {
  const ratio = (time - viewport.start) / (viewport.end - viewport.start);
  const span = Math.max((viewport.end - viewport.start) * factor, VIEW_SPAN_MS_MIN);
  viewport.start = time - ratio * span;
  viewport.end = viewport.start + span;
  clampViewport(viewport);
}

export function panViewport(viewport, deltaMs) {
  viewport.start += deltaMs;
  viewport.end += deltaMs;
  clampViewport(viewport);
}

/** Shows [start, end] (widened to the minimum span). */
export function showRange(viewport, start, end) {
  const middle = (start + end) / 2;
  const span = Math.max(end - start, VIEW_SPAN_MS_MIN);
  viewport.start = middle - span / 2;
  viewport.end = middle + span / 2;
  clampViewport(viewport);
}

/** Centres `time` unless it is already well inside the window. */
export function revealTime(viewport, time) {
  const span = viewport.end - viewport.start;
  if (time > viewport.start + span * 0.05 && time < viewport.end - span * 0.05) return;
  viewport.start = time - span / 2;
  viewport.end = time + span / 2;
  clampViewport(viewport);
}
