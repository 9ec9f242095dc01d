// The diagram's frame: lane backgrounds, the time axis with its grid, and the run's phases.
/* global Path2D */
import { rowY, xOf } from "./diagram-layout.js";
import { decimalsFor, formatMs, tickStep } from "./time-axis.js";

const AXIS_TICK_SPACING_PIXELS = 120;
const TEXT_COLOR = "#374151";

export function drawLanes(context, layout, data) {
  layout.shown.forEach((lane, order) => {
    const top = layout.laneTop[lane];
    const height = layout.laneHeights[lane];
    const world = data.lanes[lane].role === "world";
    context.fillStyle = world ? "#f3f4f6" : order % 2 === 0 ? "#ffffff" : "#f9fafb";
    context.fillRect(0, top, layout.width, height);
    context.strokeStyle = "#e5e7eb";
    context.lineWidth = 1;
    context.beginPath();
    context.moveTo(0, Math.round(top + height) - 0.5);
    context.lineTo(layout.width, Math.round(top + height) - 0.5);
    const middle = Math.round(rowY(layout, lane, 0.5)) + 0.5;
    context.moveTo(0, middle);
    context.lineTo(layout.width, middle);
    context.strokeStyle = "#eef0f3";
    context.stroke();
  });
}

/** Grid lines through the lanes at the axis's labelled ticks. */
export function drawGrid(context, layout, viewport) {
  const step = tickStep(viewport.end - viewport.start, layout.width, AXIS_TICK_SPACING_PIXELS);
  const grid = new Path2D();
  for (let tick = Math.ceil(viewport.start / step) * step; tick <= viewport.end; tick += step) {
    const x = Math.round(xOf(layout, viewport, tick)) + 0.5;
    grid.moveTo(x, layout.axisHeight);
    grid.lineTo(x, layout.height);
  }
  context.strokeStyle = "rgba(156, 163, 175, 0.25)";
  context.stroke(grid);
}

/**
 * The axis band with labelled ticks in virtual ms and minor ticks, at `layout.axisTop` (on top of the lanes scrolled
 * under it).
 */
export function drawAxis(context, layout, viewport) {
  const span = viewport.end - viewport.start;
  const step = tickStep(span, layout.width, AXIS_TICK_SPACING_PIXELS);
  const decimals = decimalsFor(step);
  const bottom = layout.axisTop + layout.axisHeight;
  context.fillStyle = "#ffffff";
  context.fillRect(0, layout.axisTop, layout.width, layout.axisHeight);
  context.strokeStyle = "#9ca3af";
  context.beginPath();
  context.moveTo(0, bottom - 0.5);
  context.lineTo(layout.width, bottom - 0.5);
  context.stroke();
  const minor = step / 5;
  const ticks = new Path2D();
  context.font = "12px system-ui, sans-serif";
  context.fillStyle = TEXT_COLOR;
  context.textBaseline = "alphabetic";
  context.textAlign = "center";
  for (let tick = Math.ceil(viewport.start / minor) * minor; tick <= viewport.end; tick += minor) {
    const x = Math.round(xOf(layout, viewport, tick)) + 0.5;
    const major = Math.abs(tick / step - Math.round(tick / step)) < 1e-6;
    ticks.moveTo(x, bottom - (major ? 9 : 4));
    ticks.lineTo(x, bottom);
    if (!major) continue;
    const label = `${formatMs(tick, decimals)} ms`;
    const half = context.measureText(label).width / 2 + 2;
    context.fillText(label, Math.min(Math.max(x, half), layout.width - half), bottom - 13);
  }
  context.strokeStyle = "#6b7280";
  context.stroke(ticks);
  context.textAlign = "left";
}

/** Phase boundaries (`phase.*` records) as dashed lines, named in the axis band (close names share a label). */
export function drawPhases(context, layout, data, viewport) {
  context.save();
  context.setLineDash([3, 4]);
  context.strokeStyle = "rgba(17, 24, 39, 0.45)";
  context.font = "bold 11px system-ui, sans-serif";
  context.textAlign = "left";
  const labels = [];
  for (const i of data.phaseEvents) {
    const time = data.time[i];
    if (time < viewport.start || time > viewport.end) continue;
    const x = Math.round(xOf(layout, viewport, time)) + 0.5;
    context.beginPath();
    context.moveTo(x, layout.axisTop + 2);
    context.lineTo(x, layout.height);
    context.stroke();
    const name = data.kinds[data.kind[i]].slice("phase.".length);
    const previous = labels[labels.length - 1];
    if (previous !== undefined && x < previous.x + context.measureText(previous.text).width + 12)
      previous.text += ` · ${name}`;
    else labels.push({ x, text: name });
  }
  for (const { x, text } of labels) {
    const width = context.measureText(text).width;
    const left = Math.min(x + 2, layout.width - width - 8);
    context.fillStyle = "rgba(255, 255, 255, 0.9)";
    context.fillRect(left, layout.axisTop + 1, width + 6, 13);
    context.fillStyle = "#111827";
    context.fillText(text, left + 3, layout.axisTop + 11);
  }
  context.restore();
}
