// The traffic of the run: a tick per record (culled to one per pixel, lane and
// category), an arrow per message (labelled with its RPC method where there is
// room), and rings around the events the search found.
/* global Path2D */
import { rowY, xOf } from "./diagram-layout.js";
import { MATCH_COLOR, MESSAGE_COLORS, colorOfCategory, rowOfCategory } from "./palette.js";
import { firstAtOrAfter, firstEventAtOrAfter } from "./view-data.js";
import { eventShown } from "./view-state.js";

const TICK_HALF_HEIGHT = 5;
const ARROW_HEAD_PIXELS = 6;
/** Beyond this many arrows in view, arrows get no heads (they would be a smear anyway). */
const ARROW_HEADS_MAX = 8000;
const MATCH_RINGS_MAX = 20000;
/** Labels drawn at most per frame (beyond, a reader could not read them anyway). */
const ARROW_LABELS_MAX = 400;
const LABEL_FONT = "10px system-ui, sans-serif";
const LABEL_HEIGHT = 12;
const NET_ROW = 0.5;

/** The y of an event's tick. */
export function eventY(layout, data, position) {
  return rowY(layout, data.lane[position], rowOfCategory(data.kindCategories[data.kind[position]]));
}

/** Draws the shown events in view; returns how many ticks were drawn. */
export function drawEvents(context, layout, data, state, viewport) {
  const categories = data.categories.length;
  const paths = data.categories.map(() => new Path2D());
  const lastPixel = new Float64Array(data.lanes.length * categories).fill(-1);
  const scale = layout.width / (viewport.end - viewport.start);
  const last = firstEventAtOrAfter(data, viewport.end + 1e-9);
  let drawn = 0;
  for (let i = firstEventAtOrAfter(data, viewport.start); i < last; i++) {
    if (!eventShown(state, data, i)) continue;
    const category = data.kindCategoryIndex[data.kind[i]];
    const pixel = Math.floor((data.time[i] - viewport.start) * scale);
    const key = data.lane[i] * categories + category;
    if (lastPixel[key] === pixel) continue;
    lastPixel[key] = pixel;
    const y = eventY(layout, data, i);
    paths[category].rect(pixel - 0.5, y - TICK_HALF_HEIGHT, 2, TICK_HALF_HEIGHT * 2);
    drawn++;
  }
  data.categories.forEach((category, index) => {
    context.fillStyle = colorOfCategory(category);
    context.fill(paths[index]);
  });
  return drawn;
}

/**
 * Draws the messages in view as arrows from send to delivery; returns how many, and the arrows to label (for
 * drawArrowLabels).
 */
export function drawMessages(context, layout, data, state, viewport) {
  const messages = data.messages;
  const styles = ["stream", "datagram", "dropped", "lost"];
  const lines = styles.map(() => new Path2D());
  const heads = styles.map(() => new Path2D());
  const outcomes = data.tables.messageOutcomes;
  let drawn = 0;
  const labelled = [];
  for (
    let k = firstAtOrAfter(data.messageSendTime, messages.length, viewport.start - data.messageLatencyMax);
    k < messages.length;
    k++
  ) {
    const send = messages.send[k];
    if (data.time[send] > viewport.end) break;
    const end = messages.end[k];
    if ((end >= 0 ? data.time[end] : data.time[send]) < viewport.start) continue;
    if (
      layout.laneTop[messages.from[k]] < 0 ||
      layout.laneTop[messages.to[k]] < 0 ||
      state.hiddenKinds.has(data.kind[send])
    )
      continue;
    const outcome = outcomes[messages.outcome[k]];
    const style = outcome === "delivered" ? (messages.datagram[k] === 1 ? 1 : 0) : outcome === "dropped" ? 2 : 3;
    const [x0, y0, x1, y1] = messageSegment(layout, data, viewport, k);
    lines[style].moveTo(x0, y0);
    lines[style].lineTo(x1, y1);
    if (outcome !== "delivered") addCross(lines[style], x1, y1);
    else if (drawn < ARROW_HEADS_MAX) addHead(heads[style], x0, y0, x1, y1);
    if (state.arrowLabels && messages.label[k] >= 0 && labelled.length < ARROW_LABELS_MAX * 4)
      labelled.push([k, x0, y0, x1, y1]);
    drawn++;
  }
  context.lineWidth = drawn > ARROW_HEADS_MAX ? 0.6 : 1;
  styles.forEach((style, index) => {
    context.strokeStyle = MESSAGE_COLORS[style];
    context.fillStyle = MESSAGE_COLORS[style];
    context.stroke(lines[index]);
    context.fill(heads[index]);
  });
  context.lineWidth = 1;
  return { drawn, labelled };
}

/**
 * Labels at the middle of their arrows (drawn over the ticks), skipping any that would overlap one already drawn;
 * returns how many.
 */
export function drawArrowLabels(context, layout, data, labelled) {
  context.save();
  context.font = LABEL_FONT;
  context.textBaseline = "middle";
  const boxes = [];
  for (const [k, x0, y0, x1, y1] of labelled) {
    if (boxes.length >= ARROW_LABELS_MAX) break;
    const text = data.texts[data.messages.label[k]];
    const width = context.measureText(text).width + 4;
    const x = (x0 + x1) / 2 - width / 2;
    const y = (y0 + y1) / 2 - LABEL_HEIGHT / 2;
    if (x < 0 || x + width > layout.width || y < layout.axisTop + layout.axisHeight) continue;
    if (
      boxes.some(
        (box) => x < box.x + box.width && box.x < x + width && y < box.y + LABEL_HEIGHT && box.y < y + LABEL_HEIGHT,
      )
    )
      continue;
    boxes.push({ x, y, width });
    context.fillStyle = "rgba(255, 255, 255, 0.85)";
    context.fillRect(x, y, width, LABEL_HEIGHT);
    context.fillStyle = "#1e3a8a";
    context.fillText(text, x + 2, y + LABEL_HEIGHT / 2);
  }
  context.restore();
  return boxes.length;
}

/** The arrow of message `k`: from the send to the delivery, or a short stub toward the receiver. */
export function messageSegment(layout, data, viewport, k) {
  const messages = data.messages;
  const send = messages.send[k];
  const end = messages.end[k];
  const x0 = xOf(layout, viewport, data.time[send]);
  const y0 = rowY(layout, messages.from[k], NET_ROW);
  const yTarget = rowY(layout, messages.to[k], NET_ROW);
  if (end >= 0) return [x0, y0, xOf(layout, viewport, data.time[end]), yTarget];
  const rise = yTarget === y0 ? -layout.laneHeights[messages.from[k]] * 0.25 : (yTarget - y0) * 0.3;
  return [x0, y0, x0 + 14, y0 + rise];
}

function addHead(path, x0, y0, x1, y1) {
  const length = Math.hypot(x1 - x0, y1 - y0);
  if (length < ARROW_HEAD_PIXELS * 2) return;
  const ux = (x1 - x0) / length;
  const uy = (y1 - y0) / length;
  path.moveTo(x1, y1);
  path.lineTo(
    x1 - ux * ARROW_HEAD_PIXELS - uy * ARROW_HEAD_PIXELS * 0.5,
    y1 - uy * ARROW_HEAD_PIXELS + ux * ARROW_HEAD_PIXELS * 0.5,
  );
  path.lineTo(
    x1 - ux * ARROW_HEAD_PIXELS + uy * ARROW_HEAD_PIXELS * 0.5,
    y1 - uy * ARROW_HEAD_PIXELS - ux * ARROW_HEAD_PIXELS * 0.5,
  );
  path.closePath();
}

function addCross(path, x, y) {
  const size = 3.5;
  path.moveTo(x - size, y - size);
  path.lineTo(x + size, y + size);
  path.moveTo(x - size, y + size);
  path.lineTo(x + size, y - size);
}

/** Rings around the shown events that match the search; returns how many. */
export function drawMatches(context, layout, data, state, viewport) {
  if (state.matches === null) return 0;
  const path = new Path2D();
  const last = firstEventAtOrAfter(data, viewport.end + 1e-9);
  let drawn = 0;
  for (let i = firstEventAtOrAfter(data, viewport.start); i < last && drawn < MATCH_RINGS_MAX; i++) {
    if (state.matches[i] === 0 || !eventShown(state, data, i)) continue;
    const x = xOf(layout, viewport, data.time[i]);
    const y = eventY(layout, data, i);
    path.moveTo(x + 6, y);
    path.arc(x, y, 6, 0, Math.PI * 2);
    drawn++;
  }
  context.strokeStyle = MATCH_COLOR;
  context.lineWidth = 2.5;
  context.stroke(path);
  context.lineWidth = 1;
  return drawn;
}
