// The violations: one line each in the header, details on demand, and for a
// linearizability violation what Porcupine shows: the key's operations, the
// longest linearizable prefix in order, and the operation that cannot be placed.
/* global document */
import { formatTime } from "./time-axis.js";

/** How much room the violation's range leaves around it, as a fraction of its length. */
const RANGE_MARGIN = 0.15;
/** Operations of the prefix shown before the unplaceable one when going to it. */
const PREFIX_SHOWN = 3;
/** Prefix operations listed in the details (the rest are counted). */
const PREFIX_LISTED_MAX = 200;

/** One line for operation `o`: `#80 read by c1: key=y value=null → output=7 (672.000 – 1 176.799 ms)`. */
export function operationText(data, o) {
  const operations = data.operations;
  const strip = (position) =>
    position < 0 ? "" : data.texts[data.text[position]].replace(/(^|\s)(op|id|process)=\S*/g, "").trim();
  const id = /(?:^|\s)id=(\S+)/.exec(data.texts[data.text[operations.invoke[o]]])?.[1];
  const asked = strip(operations.invoke[o]);
  const complete = operations.complete[o];
  const outcome = data.tables.operationOutcomes[operations.outcome[o]];
  const observed = complete >= 0 && complete !== operations.invoke[o] ? strip(complete) : "";
  const result =
    outcome === "ok" ? (observed ? ` → ${observed}` : " → ok") : ` → ${outcome}${observed ? ` ${observed}` : ""}`;
  const when = `${formatTime(operations.start[o])} – ${outcome === "open" ? "never completed" : `${formatTime(operations.end[o])} ms`}`;
  return `${id === undefined ? "" : `#${id} `}${data.texts[operations.op[o]]} by ${data.lanes[operations.lane[o]].name}${asked ? `: ${asked}` : ""}${result} (${when})`;
}

/**
 * The violation in one line: its first line of details, and for linearizability what cannot be placed after how many.
 */
export function violationHeadline(data, violation) {
  const first = violation.details.split("\n")[0];
  const named = violation.operations;
  if (named === undefined || named.unplaceable === undefined) return first;
  const o = named.unplaceable;
  const name = `${data.texts[data.operations.op[o]]} by ${data.lanes[data.operations.lane[o]].name}`;
  return `${first}: after ${named.linearized.length} linearized operations, ${name} at ${formatTime(data.operations.start[o])} ms cannot be placed`;
}

/**
 * The time range that tells the violation's story: the end of its prefix and the unplaceable operation, or the
 * violation itself.
 */
export function violationRange(data, violation, fallbackBeforeMs) {
  const named = violation.operations;
  if (named === undefined || named.unplaceable === undefined)
    return [violation.time - fallbackBeforeMs, violation.time + fallbackBeforeMs * 0.2];
  const operations = data.operations;
  const o = named.unplaceable;
  const shown = named.linearized.slice(-PREFIX_SHOWN);
  const start = Math.min(operations.start[o], ...shown.map((p) => operations.start[p]));
  // An operation that never completed runs to the end of the trace: show its beginning, not all of it.
  const end = Math.min(operations.end[o], operations.start[o] + Math.max(operations.start[o] - start, 1) * 2);
  const margin = Math.max(end - start, 0.01) * RANGE_MARGIN;
  return [start - margin, end + margin];
}

/** One banner per violation; `actions.show(index)` goes to it, `actions.select(position)` selects an event. */
export function renderViolations(element, data, actions) {
  element.replaceChildren();
  element.hidden = data.violations.length === 0;
  data.violations.forEach((violation, index) => {
    const banner = document.createElement("details");
    banner.className = "violation-banner";
    const line = document.createElement("summary");
    const title = document.createElement("strong");
    title.textContent = `⚠ ${violation.kind} violation: ${violation.invariant}`;
    const host = data.lanes[violation.lane].role === "world" ? "" : ` on ${data.lanes[violation.lane].name}`;
    const headline = document.createElement("span");
    headline.className = "headline";
    headline.textContent = ` — ${violationHeadline(data, violation)} · checked at ${formatTime(violation.time)} ms${host}`;
    const show = button("show", () => actions.show(index));
    show.className = "show";
    line.append(title, headline, show);
    banner.append(line, violationDetails(data, violation, actions.select));
    element.append(banner);
  });
}

function violationDetails(data, violation, select) {
  const body = document.createElement("div");
  body.className = "violation-details";
  const named = violation.operations;
  if (named !== undefined) {
    const key = named.key === undefined ? "" : ` of key ${JSON.stringify(named.key)}`;
    body.append(
      paragraph(
        `${named.operations.length} operations${key}; the longest linearizable prefix has ${named.linearized.length}:`,
      ),
    );
    const list = document.createElement("ol");
    for (const o of named.linearized.slice(0, PREFIX_LISTED_MAX)) list.append(operationItem(data, o, select));
    body.append(list);
    if (named.linearized.length > PREFIX_LISTED_MAX)
      body.append(paragraph(`… and ${named.linearized.length - PREFIX_LISTED_MAX} more`));
    body.append(paragraph("cannot come next:"));
    const blocked = document.createElement("ul");
    for (const o of named.blocked) {
      const item = operationItem(data, o, select);
      if (o === named.unplaceable) item.classList.add("unplaceable");
      blocked.append(item);
    }
    body.append(blocked);
  }
  const text = document.createElement("pre");
  text.textContent = violation.details;
  body.append(text);
  return body;
}

function operationItem(data, o, select) {
  const item = document.createElement("li");
  item.textContent = `${operationText(data, o)} `;
  item.append(button("go", () => select(data.operations.invoke[o])));
  return item;
}

function button(text, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "small";
  element.textContent = text;
  element.addEventListener("click", (event) => {
    event.preventDefault();
    onClick();
  });
  return element;
}

function paragraph(text) {
  const element = document.createElement("p");
  element.textContent = text;
  return element;
}
