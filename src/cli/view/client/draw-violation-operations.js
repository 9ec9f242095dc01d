// The operations a linearizability violation names, over their bars: the
// longest linearizable prefix numbered in linearization order, the other blocked
// operations outlined, and the one that cannot be placed outlined in red.
import { operationRectangle } from "./draw-marks.js";
import { VIOLATION_COLOR } from "./palette.js";

const PREFIX_COLOR = "#166534";
const BLOCKED_COLOR = "#d97706";
/** Numbers closer than this on one lane would overlap: the later one is left out. */
const NUMBER_SPACING_PIXELS = 14;

/** True when operation `o` is in view on a shown lane. */
function inView(layout, data, viewport, o) {
  const operations = data.operations;
  return (
    operations.end[o] >= viewport.start &&
    operations.start[o] <= viewport.end &&
    layout.laneTop[operations.lane[o]] >= 0
  );
}

/** Draws the marks of every linearizability violation; returns how many operations were marked. */
export function drawViolationOperations(context, layout, data, viewport) {
  let marked = 0;
  context.save();
  context.font = "bold 10px system-ui, sans-serif";
  context.textBaseline = "bottom";
  for (const violation of data.violations) {
    const named = violation.operations;
    if (named === undefined) continue;
    marked += drawPrefix(context, layout, data, viewport, named.linearized);
    for (const o of named.blocked) {
      if (o === named.unplaceable || !inView(layout, data, viewport, o)) continue;
      outline(context, layout, data, viewport, o, BLOCKED_COLOR, 1.5);
      marked++;
    }
    if (named.unplaceable !== undefined && inView(layout, data, viewport, named.unplaceable)) {
      const box = outline(context, layout, data, viewport, named.unplaceable, VIOLATION_COLOR, 3);
      context.fillStyle = VIOLATION_COLOR;
      context.fillText("✗ cannot be placed", Math.max(box.x, 2), box.y - 3);
      marked++;
    }
  }
  context.restore();
  return marked;
}

function drawPrefix(context, layout, data, viewport, linearized) {
  const lastNumberX = new Map();
  let marked = 0;
  linearized.forEach((o, rank) => {
    if (!inView(layout, data, viewport, o)) return;
    const box = outline(context, layout, data, viewport, o, PREFIX_COLOR, 1.5);
    marked++;
    const lane = data.operations.lane[o];
    const x = Math.max(box.x, 2);
    if (x - (lastNumberX.get(lane) ?? -Infinity) < NUMBER_SPACING_PIXELS) return;
    lastNumberX.set(lane, x);
    context.fillStyle = PREFIX_COLOR;
    context.fillText(String(rank + 1), x, box.y - 1);
  });
  return marked;
}

function outline(context, layout, data, viewport, o, color, width) {
  const box = operationRectangle(layout, data, viewport, o);
  context.strokeStyle = color;
  context.lineWidth = width;
  context.strokeRect(box.x - 1, box.y - 1, Math.max(box.width, 2) + 2, box.height + 2);
  return box;
}
