// Where things go on the canvas: the time axis on top, then one lane per shown
// host (the world lane, which holds few records, is lower than the others). A
// collapsed lane is a thin strip; with "fit lanes" every lane shrinks so that
// all fit in view. Lanes that still do not fit scroll under the axis, which
// stays on top (`axisTop` follows the scroll).

export const AXIS_HEIGHT = 40;
export const LANE_HEIGHT_MIN = 44;
export const LANE_HEIGHT_MAX = 110;
/** The least height of a lane when all lanes are fitted in view. */
export const FITTED_LANE_HEIGHT_MIN = 14;
export const COLLAPSED_LANE_HEIGHT = 16;
/** The world lane's height relative to a host's. */
const WORLD_LANE_SHARE = 0.6;
const BOTTOM_MARGIN = 4;

/** Lays out the shown lanes in `width` × `availableHeight` CSS pixels (taller when lanes do not fit). */
export function computeLayout(data, state, width, availableHeight) {
  const shown = [];
  for (let lane = 0; lane < data.lanes.length; lane++) if (!state.hiddenLanes.has(lane)) shown.push(lane);
  const collapsed = (lane) => state.collapsedLanes.has(lane);
  const share = (lane) => (data.lanes[lane].role === "world" ? WORLD_LANE_SHARE : 1);
  const shares = shown.reduce((total, lane) => total + (collapsed(lane) ? 0 : share(lane)), 0);
  const collapsedHeight = shown.filter(collapsed).length * COLLAPSED_LANE_HEIGHT;
  const fitting = (availableHeight - AXIS_HEIGHT - BOTTOM_MARGIN - collapsedHeight) / Math.max(shares, 1);
  const unit = Math.min(Math.max(fitting, state.fitLanes ? FITTED_LANE_HEIGHT_MIN : LANE_HEIGHT_MIN), LANE_HEIGHT_MAX);
  const laneTop = new Float64Array(data.lanes.length).fill(-1);
  const laneHeights = new Float64Array(data.lanes.length);
  let top = AXIS_HEIGHT;
  for (const lane of shown) {
    laneTop[lane] = top;
    laneHeights[lane] = collapsed(lane) ? COLLAPSED_LANE_HEIGHT : Math.floor(unit * share(lane));
    top += laneHeights[lane];
  }
  return { width, height: top + BOTTOM_MARGIN, laneTop, laneHeights, shown, axisHeight: AXIS_HEIGHT, axisTop: 0 };
}

export function xOf(layout, viewport, time) {
  return ((time - viewport.start) / (viewport.end - viewport.start)) * layout.width;
}

export function timeOf(layout, viewport, x) {
  return viewport.start + (x / layout.width) * (viewport.end - viewport.start);
}

/** The lane under `y`, or -1 (also under the axis, which covers the lanes scrolled beneath it). */
export function laneAt(layout, y) {
  if (y < layout.axisTop + layout.axisHeight) return -1;
  for (const lane of layout.shown) {
    if (y >= layout.laneTop[lane] && y < layout.laneTop[lane] + layout.laneHeights[lane]) return lane;
  }
  return -1;
}

/** The y of a row (a fraction of the lane's height) in a lane. */
export function rowY(layout, lane, row) {
  return layout.laneTop[lane] + row * layout.laneHeights[lane];
}
