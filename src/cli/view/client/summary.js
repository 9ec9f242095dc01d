// The page's header: what the run holds, and each violation in a banner that leads to it.
/* global document */
import { formatTime } from "./time-axis.js";

/** Counts of the run in one line. */
export function renderSummary(element, data) {
  const messages = data.messages;
  const outcomes = data.tables.messageOutcomes;
  const count = (outcome) => {
    let total = 0;
    for (let k = 0; k < messages.length; k++) if (outcomes[messages.outcome[k]] === outcome) total++;
    return total;
  };
  const hosts = data.lanes.filter((lane) => lane.role === "host").map((lane) => lane.name);
  element.textContent = [
    `${data.count.toLocaleString("en")} records`,
    `${formatTime(data.startMs)} – ${formatTime(data.endMs)} ms of virtual time`,
    `hosts ${hosts.join(", ")}`,
    `${messages.length.toLocaleString("en")} messages (${count("delivered")} delivered, ${count("dropped")} dropped, ${count("lost")} never delivered)`,
    `${data.spans.length} fault/state spans`,
    `${data.operations.length} operations`,
  ].join(" · ");
}

/** One banner per violation; `onShow(index)` when its button is pressed. */
export function renderViolations(element, data, onShow) {
  element.replaceChildren();
  element.hidden = data.violations.length === 0;
  data.violations.forEach((violation, index) => {
    const banner = document.createElement("div");
    banner.className = "violation-banner";
    const title = document.createElement("strong");
    title.textContent = `⚠ ${violation.kind} violation: ${violation.invariant}`;
    const where = document.createElement("span");
    const host = data.lanes[violation.lane].role === "world" ? "" : ` on ${data.lanes[violation.lane].name}`;
    where.textContent = ` at ${formatTime(violation.time)} ms${host}: ${violation.details}`;
    const show = document.createElement("button");
    show.type = "button";
    show.textContent = "show";
    show.addEventListener("click", () => onShow(index));
    banner.append(title, where, " ", show);
    element.append(banner);
  });
}
