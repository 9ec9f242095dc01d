// What is under the pointer: an event, a violation line, a message arrow, an
// operation bar or a span. Each answers with the event to select.
import { laneAt, timeOf, xOf } from "./diagram-layout.js";
import { operationRectangle, spanRectangle } from "./draw-marks.js";
import { eventY, messageSegment } from "./draw-traffic.js";
import { firstAtOrAfter, firstEventAtOrAfter } from "./view-data.js";
import { eventShown } from "./view-state.js";

const EVENT_TOLERANCE_PIXELS = 6;
const ARROW_TOLERANCE_PIXELS = 4;
/** Arrows examined at most per hit test (a dense overview has more than anyone can point at). */
const ARROWS_EXAMINED_MAX = 60000;

/** The event to select at (x, y), or -1. */
export function hitTest(layout, data, state, viewport, x, y) {
  const lane = laneAt(layout, y);
  if (lane < 0) return -1;
  const event = eventNear(layout, data, state, viewport, lane, x, y);
  if (event >= 0) return event;
  for (const violation of data.violations) {
    if (Math.abs(xOf(layout, viewport, violation.time) - x) <= ARROW_TOLERANCE_PIXELS) return violation.event;
  }
  const message = messageNear(layout, data, state, viewport, x, y);
  if (message >= 0) return data.messages.send[message];
  const operation = operationAt(layout, data, viewport, lane, x, y);
  if (operation >= 0) return data.operations.invoke[operation];
  return spanAt(layout, data, viewport, lane, x, y);
}

function eventNear(layout, data, state, viewport, lane, x, y) {
  const tolerance = (EVENT_TOLERANCE_PIXELS / layout.width) * (viewport.end - viewport.start);
  const time = timeOf(layout, viewport, x);
  let best = -1;
  let bestDistance = Infinity;
  for (let i = firstEventAtOrAfter(data, time - tolerance); i < data.count && data.time[i] <= time + tolerance; i++) {
    if (data.lane[i] !== lane || !eventShown(state, data, i)) continue;
    const dy = Math.abs(eventY(layout, data, i) - y);
    if (dy > EVENT_TOLERANCE_PIXELS + 2) continue;
    const distance = Math.abs(xOf(layout, viewport, data.time[i]) - x) + dy;
    if (distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
  }
  return best;
}

function messageNear(layout, data, state, viewport, x, y) {
  const messages = data.messages;
  let best = -1;
  let bestDistance = ARROW_TOLERANCE_PIXELS;
  let examined = 0;
  const start = firstAtOrAfter(data.messageSendTime, messages.length, viewport.start - data.messageLatencyMax);
  for (let k = start; k < messages.length && examined < ARROWS_EXAMINED_MAX; k++) {
    const send = messages.send[k];
    if (data.time[send] > viewport.end) break;
    if (
      layout.laneTop[messages.from[k]] < 0 ||
      layout.laneTop[messages.to[k]] < 0 ||
      state.hiddenKinds.has(data.kind[send])
    )
      continue;
    examined++;
    const [x0, y0, x1, y1] = messageSegment(layout, data, viewport, k);
    if (x < Math.min(x0, x1) - bestDistance || x > Math.max(x0, x1) + bestDistance) continue;
    const distance = segmentDistance(x, y, x0, y0, x1, y1);
    if (distance < bestDistance) {
      best = k;
      bestDistance = distance;
    }
  }
  return best;
}

function segmentDistance(x, y, x0, y0, x1, y1) {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / lengthSquared));
  return Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy));
}

function inside(box, x, y, margin) {
  return (
    x >= box.x - margin &&
    x <= box.x + Math.max(box.width, 0) + margin &&
    y >= box.y - margin &&
    y <= box.y + box.height + margin
  );
}

function operationAt(layout, data, viewport, lane, x, y) {
  const operations = data.operations;
  const time = timeOf(layout, viewport, x);
  const tolerance = (EVENT_TOLERANCE_PIXELS / layout.width) * (viewport.end - viewport.start);
  const from = firstAtOrAfter(operations.start, operations.length, time - data.operationDurationMax - tolerance);
  for (let o = from; o < operations.length && operations.start[o] <= time + tolerance; o++) {
    if (operations.lane[o] === lane && inside(operationRectangle(layout, data, viewport, o), x, y, 4)) return o;
  }
  return -1;
}

function spanAt(layout, data, viewport, lane, x, y) {
  const spans = data.spans;
  for (let s = spans.length - 1; s >= 0; s--) {
    if (spans.lane[s] === lane && inside(spanRectangle(layout, data, viewport, s), x, y, 0)) return spans.event[s];
  }
  return -1;
}
