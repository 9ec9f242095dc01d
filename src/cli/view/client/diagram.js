// The space-time diagram: a canvas redrawn from the data on each change (only
// what is in view), lane labels beside it (click one to collapse its lane), and
// the pointer: drag to pan, wheel to zoom, click to select, hover for a tooltip.
// Lanes that do not fit scroll vertically, under an axis that stays on top.
/* global document, window, requestAnimationFrame */
import { computeLayout, timeOf } from "./diagram-layout.js";
import { drawAxis, drawGrid, drawLanes, drawPhases } from "./draw-background.js";
import { drawOperations, drawSelection, drawSpans, drawViolations } from "./draw-marks.js";
import { drawViolationOperations } from "./draw-violation-operations.js";
import { drawArrowLabels, drawEvents, drawMatches, drawMessages } from "./draw-traffic.js";
import { hitTest } from "./hit-testing.js";
import { formatTime } from "./time-axis.js";
import { panViewport, zoomViewport } from "./viewport.js";

const WHEEL_ZOOM_RATE = 0.0015;
const CLICK_MOVE_PIXELS_MAX = 3;
/** Lanes lower than this show their name only, in a smaller font. */
const SHORT_LANE_PIXELS = 36;

/** `parts`: { canvas, labels, scroller, tooltip }; `hooks`: { onSelect(position), onDraw(drawn) }. */
export function createDiagram(parts, data, state, viewport, hooks) {
  const { canvas, labels, scroller, tooltip } = parts;
  const context = canvas.getContext("2d");
  let layout = computeLayout(data, state, 1, 1);
  let scheduled = false;
  let drawn = {};
  const draw = () => {
    scheduled = false;
    const ratio = window.devicePixelRatio || 1;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, layout.width, layout.height);
    layout.axisTop = Math.min(scroller.scrollTop, Math.max(layout.height - layout.axisHeight, 0));
    drawLanes(context, layout, data);
    const spans = drawSpans(context, layout, data, viewport);
    drawGrid(context, layout, viewport);
    const operations = drawOperations(context, layout, data, state, viewport);
    const marked = drawViolationOperations(context, layout, data, viewport);
    const { drawn: messages, labelled } = drawMessages(context, layout, data, state, viewport);
    const events = drawEvents(context, layout, data, state, viewport);
    const labels = drawArrowLabels(context, layout, data, labelled);
    const matches = drawMatches(context, layout, data, state, viewport);
    // The axis last but for the violations and the selection: lanes scrolled under it stay hidden.
    drawAxis(context, layout, viewport);
    drawPhases(context, layout, data, viewport);
    const violations = drawViolations(context, layout, data, viewport);
    drawSelection(context, layout, data, state, viewport);
    drawn = {
      events,
      messages,
      labels,
      spans,
      operations,
      marked,
      matches,
      violations,
      lanes: layout.shown.length,
      axisTop: layout.axisTop,
    };
    hooks.onDraw(drawn);
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(draw);
  };
  const resize = () => {
    layout = computeLayout(data, state, Math.max(canvas.parentElement.clientWidth, 100), scroller.clientHeight);
    const ratio = window.devicePixelRatio || 1;
    canvas.style.width = `${layout.width}px`;
    canvas.style.height = `${layout.height}px`;
    canvas.width = Math.round(layout.width * ratio);
    canvas.height = Math.round(layout.height * ratio);
    renderLaneLabels(labels, data, layout, state, toggleLane);
    draw();
  };
  const toggleLane = (lane) => {
    if (state.collapsedLanes.has(lane)) state.collapsedLanes.delete(lane);
    else state.collapsedLanes.add(lane);
    resize();
  };
  scroller.addEventListener("scroll", schedule);
  wirePointer(canvas, tooltip, data, state, viewport, () => layout, { schedule, onSelect: hooks.onSelect });
  return { schedule, resize, draw, toggleLane, drawn: () => drawn, layout: () => layout };
}

function renderLaneLabels(element, data, layout, state, onToggle) {
  element.replaceChildren();
  element.style.height = `${layout.height}px`;
  const axis = document.createElement("div");
  axis.className = "axis-label";
  axis.style.height = `${layout.axisHeight}px`;
  axis.textContent = "virtual time →";
  element.append(axis);
  for (const lane of layout.shown) {
    const label = document.createElement("div");
    const world = data.lanes[lane].role === "world";
    const collapsed = state.collapsedLanes.has(lane);
    const short = layout.laneHeights[lane] < SHORT_LANE_PIXELS;
    label.className = `lane-label${world ? " world" : ""}${collapsed ? " collapsed" : ""}${short ? " short" : ""}`;
    label.dataset.lane = data.lanes[lane].name;
    label.title = collapsed ? "click to expand" : "click to collapse";
    label.addEventListener("click", () => onToggle(lane));
    label.style.top = `${layout.laneTop[lane]}px`;
    label.style.height = `${layout.laneHeights[lane]}px`;
    const name = document.createElement("strong");
    name.textContent = world ? "world" : data.lanes[lane].name;
    const count = document.createElement("small");
    const records = data.laneCounts[lane];
    count.textContent = world
      ? `phases, global faults · ${records}`
      : `${records.toLocaleString("en")} record${records === 1 ? "" : "s"}`;
    label.append(name, count);
    element.append(label);
  }
}

function wirePointer(canvas, tooltip, data, state, viewport, currentLayout, actions) {
  let drag;
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  };
  canvas.addEventListener("mousedown", (event) => {
    const { x } = point(event);
    drag = { x, lastX: x, moved: false };
  });
  window.addEventListener("mouseup", (event) => {
    if (drag === undefined) return;
    const wasClick = !drag.moved;
    drag = undefined;
    if (!wasClick || event.target !== canvas) return;
    const { x, y } = point(event);
    actions.onSelect(hitTest(currentLayout(), data, state, viewport, x, y), "diagram");
  });
  canvas.addEventListener("mousemove", (event) => {
    const { x, y } = point(event);
    const layout = currentLayout();
    if (drag !== undefined) {
      if (Math.abs(x - drag.x) > CLICK_MOVE_PIXELS_MAX) drag.moved = true;
      if (drag.moved) panViewport(viewport, ((drag.lastX - x) / layout.width) * (viewport.end - viewport.start));
      drag.lastX = x;
      tooltip.hidden = true;
      actions.schedule();
      return;
    }
    showTooltip(tooltip, data, hitTest(layout, data, state, viewport, x, y), x, y);
  });
  canvas.addEventListener("mouseleave", () => {
    tooltip.hidden = true;
  });
  canvas.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const layout = currentLayout();
      const { x } = point(event);
      const span = viewport.end - viewport.start;
      if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
        panViewport(viewport, ((event.shiftKey ? event.deltaY : event.deltaX) / layout.width) * span);
      } else {
        zoomViewport(viewport, timeOf(layout, viewport, x), Math.exp(event.deltaY * WHEEL_ZOOM_RATE));
      }
      actions.schedule();
    },
    { passive: false },
  );
  canvas.addEventListener("dblclick", (event) => {
    zoomViewport(viewport, timeOf(currentLayout(), viewport, point(event).x), 0.4);
    actions.schedule();
  });
}

function showTooltip(tooltip, data, position, x, y) {
  if (position < 0) {
    tooltip.hidden = true;
    return;
  }
  tooltip.hidden = false;
  const text = data.texts[data.text[position]];
  tooltip.textContent = `${data.kinds[data.kind[position]]} · ${data.lanes[data.lane[position]].name} · ${formatTime(data.time[position])} ms${text ? `\n${text}` : ""}`;
  tooltip.style.left = `${x + 14}px`;
  tooltip.style.top = `${y + 14}px`;
}
