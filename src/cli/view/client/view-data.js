// Decodes the page's embedded data (see page-data.ts) into typed arrays, with the
// indexes the diagram needs: which message, operation or span an event belongs to.
import { categoryOf } from "./palette.js";

/** Reads and decodes the JSON of the data element. */
export function loadViewData(element) {
  const raw = JSON.parse(element.textContent);
  const events = raw.events;
  const count = events.time.length;
  const data = {
    title: raw.title,
    startMs: raw.startMs,
    endMs: raw.endMs,
    lanes: raw.lanes,
    kinds: raw.kinds,
    kindCategories: raw.kinds.map(categoryOf),
    texts: raw.texts,
    violations: raw.violations,
    tables: raw.tables,
    count,
    time: Float64Array.from(events.time),
    lane: Int32Array.from(events.lane),
    kind: Int32Array.from(events.kind),
    text: Int32Array.from(events.text),
    record: events.record === null ? null : Int32Array.from(events.record),
    messages: decodeColumns(raw.messages),
    spans: decodeColumns(raw.spans),
    operations: decodeColumns(raw.operations),
  };
  indexEvents(data);
  return data;
}

function decodeColumns(columns) {
  const decoded = {};
  let length = 0;
  for (const [name, values] of Object.entries(columns)) {
    decoded[name] = Float64Array.from(values);
    length = values.length;
  }
  decoded.length = length;
  return decoded;
}

/** Links events to what they belong to, and measures what the renderer culls by. */
function indexEvents(data) {
  const { messages, operations, spans, count } = data;
  data.eventMessage = new Int32Array(count).fill(-1);
  data.eventOperation = new Int32Array(count).fill(-1);
  data.eventSpan = new Int32Array(count).fill(-1);
  data.messageLatencyMax = 0;
  for (let m = 0; m < messages.length; m++) {
    data.eventMessage[messages.send[m]] = m;
    const end = messages.end[m];
    if (end >= 0) {
      data.eventMessage[end] = m;
      data.messageLatencyMax = Math.max(data.messageLatencyMax, data.time[end] - data.time[messages.send[m]]);
    }
  }
  data.operationDurationMax = 0;
  for (let o = 0; o < operations.length; o++) {
    data.eventOperation[operations.invoke[o]] = o;
    if (operations.complete[o] >= 0) data.eventOperation[operations.complete[o]] = o;
    data.operationDurationMax = Math.max(data.operationDurationMax, operations.end[o] - operations.start[o]);
  }
  for (let s = 0; s < spans.length; s++) if (data.eventSpan[spans.event[s]] === -1) data.eventSpan[spans.event[s]] = s;
  data.kindCounts = new Int32Array(data.kinds.length);
  data.laneCounts = new Int32Array(data.lanes.length);
  data.phaseEvents = [];
  for (let i = 0; i < count; i++) {
    data.kindCounts[data.kind[i]]++;
    data.laneCounts[data.lane[i]]++;
    if (data.kindCategories[data.kind[i]] === "phase") data.phaseEvents.push(i);
  }
  data.categories = [...new Set(data.kindCategories)];
  data.kindCategoryIndex = Int32Array.from(data.kindCategories, (category) => data.categories.indexOf(category));
  data.messageSendTime = Float64Array.from(messages.send, (send) => data.time[send]);
  data.lowerKinds = data.kinds.map((kind) => kind.toLowerCase());
  data.lowerTexts = data.texts.map((text) => text.toLowerCase());
  data.lowerLanes = data.lanes.map((lane) => lane.name.toLowerCase());
}

/** The trace record index of an event. */
export function recordIndexOf(data, position) {
  return data.record === null ? position : data.record[position];
}

/** First position whose time is at least `time` (events are sorted by time). */
export function firstEventAtOrAfter(data, time) {
  let low = 0;
  let high = data.count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (data.time[middle] < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** First index of a sorted column whose value is at least `value`. */
export function firstAtOrAfter(column, length, value) {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (column[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
