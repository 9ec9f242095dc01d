// Marks over the lanes: shaded spans (down, paused, cut off, clogged, disk faults),
// operation bars coloured by outcome, violations, and the selection.
/* global document, Path2D */
import { rowY, xOf } from "./diagram-layout.js";
import { eventY, messageSegment } from "./draw-traffic.js";
import { OUTCOME_COLORS, SELECTION_COLOR, SPAN_STYLES, VIOLATION_COLOR } from "./palette.js";

const BAND_HEIGHT = 5;
const OPERATION_BAR_HEIGHT = 8;
const LABEL_WIDTH_MIN = 50;
/** Opacity of the operations a violation in focus does not name. */
const FADED_ALPHA = 0.18;
const hatchPatterns = new Map();

/** The rectangle of span `s` in its lane (whole lane, or a band). */
export function spanRectangle(layout, data, viewport, s) {
  const spans = data.spans;
  const style = SPAN_STYLES[data.tables.spanKinds[spans.kind[s]]];
  const top = layout.laneTop[spans.lane[s]];
  const height = layout.laneHeights[spans.lane[s]];
  const x0 = Math.max(xOf(layout, viewport, spans.start[s]), -2);
  const x1 = Math.min(xOf(layout, viewport, spans.end[s]), layout.width + 2);
  const width = Math.max(x1 - x0, 1.5);
  if (style.band === "top") return { x: x0, y: top + 2, width, height: BAND_HEIGHT, style };
  if (style.band === "bottom")
    return { x: x0, y: top + height - OPERATION_BAR_HEIGHT - BAND_HEIGHT - 5, width, height: BAND_HEIGHT, style };
  return { x: x0, y: top + 1, width, height: height - 2, style };
}

function hatch(context, color) {
  let pattern = hatchPatterns.get(color);
  if (pattern === undefined) {
    const tile = document.createElement("canvas");
    tile.width = 8;
    tile.height = 8;
    const tileContext = tile.getContext("2d");
    tileContext.strokeStyle = color;
    tileContext.lineWidth = 1.2;
    tileContext.beginPath();
    tileContext.moveTo(0, 8);
    tileContext.lineTo(8, 0);
    tileContext.stroke();
    pattern = context.createPattern(tile, "repeat");
    hatchPatterns.set(color, pattern);
  }
  return pattern;
}

/** Draws the spans in view; returns how many. */
export function drawSpans(context, layout, data, viewport) {
  const spans = data.spans;
  let drawn = 0;
  context.font = "11px system-ui, sans-serif";
  for (let s = 0; s < spans.length; s++) {
    if (spans.end[s] < viewport.start || spans.start[s] > viewport.end || layout.laneTop[spans.lane[s]] < 0) continue;
    const box = spanRectangle(layout, data, viewport, s);
    context.fillStyle = box.style.fill;
    context.fillRect(box.x, box.y, box.width, box.height);
    if (box.style.hatch !== null) {
      context.fillStyle = hatch(context, box.style.hatch);
      context.fillRect(box.x, box.y, box.width, box.height);
    }
    if (box.style.band === null && box.width > LABEL_WIDTH_MIN) {
      context.save();
      context.beginPath();
      context.rect(box.x, box.y, box.width, box.height);
      context.clip();
      context.fillStyle = "#1f2937";
      context.fillText(
        data.texts[spans.label[s]] + (spans.open[s] === 1 ? " …" : ""),
        Math.max(box.x, 0) + 4,
        box.y + 18,
      );
      context.restore();
    }
    drawn++;
  }
  return drawn;
}

/** The rectangle of operation `o`: a bar along the bottom of its lane. */
export function operationRectangle(layout, data, viewport, o) {
  const operations = data.operations;
  const x0 = xOf(layout, viewport, operations.start[o]);
  const x1 = xOf(layout, viewport, operations.end[o]);
  const lane = operations.lane[o];
  return {
    x: x0,
    y: layout.laneTop[lane] + layout.laneHeights[lane] - OPERATION_BAR_HEIGHT - 3,
    width: x1 - x0,
    height: OPERATION_BAR_HEIGHT,
  };
}

/**
 * Draws the operations in view (bars, or diamonds for completions without an invocation); returns how many.
 * While a violation is in focus (`state.focusOperations`), operations it does not name are faded.
 */
export function drawOperations(context, layout, data, state, viewport) {
  const operations = data.operations;
  const outcomes = data.tables.operationOutcomes;
  const focus = state.focusOperations;
  const paths = outcomes.map(() => new Path2D());
  const faded = outcomes.map(() => new Path2D());
  const lastPixel = new Float64Array(data.lanes.length * outcomes.length).fill(-Infinity);
  let drawn = 0;
  for (let o = 0; o < operations.length; o++) {
    if (operations.end[o] < viewport.start || operations.start[o] > viewport.end) continue;
    const lane = operations.lane[o];
    if (layout.laneTop[lane] < 0 || state.hiddenKinds.has(data.kind[operations.invoke[o]])) continue;
    const box = operationRectangle(layout, data, viewport, o);
    const key = lane * outcomes.length + operations.outcome[o];
    if (box.width < 1 && Math.floor(box.x) === lastPixel[key]) continue;
    lastPixel[key] = Math.floor(box.x);
    const path = (focus !== null && focus[o] === 0 ? faded : paths)[operations.outcome[o]];
    if (box.width < 3) {
      const middle = box.y + box.height / 2;
      path.moveTo(box.x, box.y - 1);
      path.lineTo(box.x + 4, middle);
      path.lineTo(box.x, box.y + box.height + 1);
      path.lineTo(box.x - 4, middle);
      path.closePath();
    } else {
      path.rect(box.x, box.y, box.width, box.height);
    }
    drawn++;
  }
  outcomes.forEach((outcome, index) => {
    context.fillStyle = OUTCOME_COLORS[outcome];
    context.fill(paths[index]);
    context.globalAlpha = FADED_ALPHA;
    context.fill(faded[index]);
    context.globalAlpha = 1;
  });
  return drawn;
}

/**
 * Violations: a red line through every lane, a marker on its lane, its name on top; an arrow at the edge when out of
 * view.
 */
export function drawViolations(context, layout, data, viewport) {
  context.save();
  context.font = "bold 12px system-ui, sans-serif";
  const top = layout.axisTop + layout.axisHeight;
  for (const violation of data.violations) {
    const x = xOf(layout, viewport, violation.time);
    const label = `⚠ ${violation.invariant}`;
    const labelWidth = context.measureText(label).width + 10;
    if (x < 0 || x > layout.width) {
      const left = x < 0;
      context.fillStyle = VIOLATION_COLOR;
      context.fillRect(left ? 0 : layout.width - labelWidth - 14, top + 2, labelWidth + 14, 18);
      context.fillStyle = "#ffffff";
      context.fillText(left ? `◀ ${label}` : `${label} ▶`, left ? 4 : layout.width - labelWidth - 10, top + 15);
      continue;
    }
    context.fillStyle = "rgba(220, 38, 38, 0.85)";
    context.fillRect(x - 1, top, 2.5, layout.height - top);
    if (layout.laneTop[violation.lane] >= 0) {
      const y = rowY(layout, violation.lane, 0.5);
      context.beginPath();
      context.moveTo(x, y - 9);
      context.lineTo(x + 9, y);
      context.lineTo(x, y + 9);
      context.lineTo(x - 9, y);
      context.closePath();
      context.fill();
    }
    const labelX = Math.min(Math.max(x - labelWidth / 2, 0), layout.width - labelWidth);
    context.fillStyle = VIOLATION_COLOR;
    context.fillRect(labelX, top + 2, labelWidth, 18);
    context.fillStyle = "#ffffff";
    context.fillText(label, labelX + 5, top + 15);
  }
  context.restore();
  return data.violations.length;
}

/** The selected event: a guide line, a ring, and its message, operation or span outlined. */
export function drawSelection(context, layout, data, state, viewport) {
  const position = state.selected;
  if (position < 0 || layout.laneTop[data.lane[position]] < 0) return;
  const x = xOf(layout, viewport, data.time[position]);
  const y = eventY(layout, data, position);
  context.save();
  context.strokeStyle = SELECTION_COLOR;
  context.setLineDash([4, 3]);
  context.beginPath();
  context.moveTo(x, layout.axisTop + layout.axisHeight);
  context.lineTo(x, layout.height);
  context.stroke();
  context.setLineDash([]);
  context.lineWidth = 2.5;
  const message = data.eventMessage[position];
  if (
    message >= 0 &&
    layout.laneTop[data.messages.from[message]] >= 0 &&
    layout.laneTop[data.messages.to[message]] >= 0
  ) {
    const [x0, y0, x1, y1] = messageSegment(layout, data, viewport, message);
    context.beginPath();
    context.moveTo(x0, y0);
    context.lineTo(x1, y1);
    context.stroke();
  }
  const operation = data.eventOperation[position];
  if (operation >= 0) {
    const box = operationRectangle(layout, data, viewport, operation);
    context.strokeRect(box.x - 1, box.y - 1, Math.max(box.width, 2) + 2, box.height + 2);
  }
  const span = data.eventSpan[position];
  if (span >= 0 && layout.laneTop[data.spans.lane[span]] >= 0) {
    const box = spanRectangle(layout, data, viewport, span);
    context.strokeRect(box.x, box.y, box.width, box.height);
  }
  context.beginPath();
  context.arc(x, y, 7, 0, Math.PI * 2);
  context.stroke();
  context.restore();
}
