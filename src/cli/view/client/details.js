// The details of the selected event: its record, and what it belongs to (the
// other end of its message, its operation, the span it opened), with links.
/* global document */
import { formatTime } from "./time-axis.js";
import { recordIndexOf } from "./view-data.js";

/** Shows event `position` (or a hint when nothing is selected); `onSelect(position)` follows links. */
export function renderDetails(element, data, position, onSelect) {
  element.replaceChildren();
  if (position < 0) {
    element.append(paragraph("Click an event, an arrow or a bar in the diagram, or a row of the list.", "hint"));
    return;
  }
  const heading = document.createElement("h3");
  heading.textContent = data.kinds[data.kind[position]];
  const list = document.createElement("dl");
  addTerm(list, "record", `#${recordIndexOf(data, position)}`);
  addTerm(list, "time", `${formatTime(data.time[position])} ms`);
  addTerm(list, "host", data.lanes[data.lane[position]].name);
  const text = data.texts[data.text[position]];
  if (text.length > 0) addTerm(list, "fields", text);
  element.append(heading, list);
  const related = relatedLines(data, position);
  for (const { text: line, target } of related) {
    const item = paragraph(line, "related");
    if (target !== undefined && target >= 0 && target !== position) {
      const link = document.createElement("button");
      link.type = "button";
      link.className = "small";
      link.textContent = "go";
      link.addEventListener("click", () => onSelect(target));
      item.append(" ", link);
    }
    element.append(item);
  }
}

function relatedLines(data, position) {
  const lines = [];
  const message = data.eventMessage[position];
  if (message >= 0) {
    const messages = data.messages;
    const send = messages.send[message];
    const end = messages.end[message];
    const outcome = data.tables.messageOutcomes[messages.outcome[message]];
    const label = messages.label[message] >= 0 ? `${data.texts[messages.label[message]]} ` : "";
    const route = `${label}${data.lanes[messages.from[message]].name} → ${data.lanes[messages.to[message]].name}`;
    if (end < 0)
      lines.push({ text: `message ${route}: ${outcome}, sent at ${formatTime(data.time[send])} ms`, target: send });
    else {
      const latency = formatTime(data.time[end] - data.time[send]);
      lines.push({ text: `message ${route}: sent ${formatTime(data.time[send])} ms`, target: send });
      lines.push({ text: `${outcome} ${formatTime(data.time[end])} ms (after ${latency} ms)`, target: end });
    }
  }
  const operation = data.eventOperation[position];
  if (operation >= 0) {
    const operations = data.operations;
    const outcome = data.tables.operationOutcomes[operations.outcome[operation]];
    const name = data.texts[operations.op[operation]];
    lines.push({
      text: `operation ${name}: invoked ${formatTime(operations.start[operation])} ms`,
      target: operations.invoke[operation],
    });
    lines.push({
      text: `${outcome} at ${formatTime(operations.end[operation])} ms`,
      target: operations.complete[operation],
    });
    for (const line of violationLines(data, operation)) lines.push(line);
  }
  const span = data.eventSpan[position];
  if (span >= 0) {
    const spans = data.spans;
    const open = spans.open[span] === 1 ? " (still on when the trace ends)" : "";
    lines.push({
      text: `${data.texts[spans.label[span]]}: ${formatTime(spans.start[span])} → ${formatTime(spans.end[span])} ms${open}`,
    });
  }
  return lines;
}

/** What the linearizability violations say of operation `o`: its place in the prefix, or that it cannot be placed. */
function violationLines(data, o) {
  const lines = [];
  for (const violation of data.violations) {
    const named = violation.operations;
    if (named === undefined) continue;
    const rank = named.linearized.indexOf(o);
    if (o === named.unplaceable)
      lines.push({
        text: `cannot be placed after the ${named.linearized.length} linearized operations (${violation.invariant})`,
        target: violation.event,
      });
    else if (named.blocked.includes(o))
      lines.push({ text: `cannot come next either (${violation.invariant})`, target: violation.event });
    else if (rank >= 0)
      lines.push({
        text: `linearized ${rank + 1} of ${named.linearized.length} (${violation.invariant})`,
        target: violation.event,
      });
  }
  return lines;
}

function addTerm(list, term, value) {
  const name = document.createElement("dt");
  name.textContent = term;
  const description = document.createElement("dd");
  description.textContent = value;
  list.append(name, description);
}

function paragraph(text, className) {
  const element = document.createElement("p");
  element.className = className;
  element.textContent = text;
  return element;
}
