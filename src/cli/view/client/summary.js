// The page's header: what the run holds (the violations' banners are violations.js).
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
