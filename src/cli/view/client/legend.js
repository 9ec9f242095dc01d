// The legend: what each colour, shade and mark of the diagram means.
/* global document */
import {
  CATEGORY_COLORS,
  MESSAGE_COLORS,
  OTHER_CATEGORY_COLOR,
  OUTCOME_COLORS,
  SPAN_STYLES,
  VIOLATION_COLOR,
} from "./palette.js";

const MESSAGE_TEXTS = {
  stream: "stream segment: send → deliver",
  datagram: "datagram: send → deliver",
  dropped: "dropped (×)",
  lost: "never delivered (reset or trace end)",
};
const OUTCOME_TEXTS = {
  ok: "operation ok",
  fail: "operation failed (no effect)",
  info: "operation unknown (info)",
  open: "operation never completed",
};

/** Fills `element` with the legend. */
export function renderLegend(element) {
  const sections = [
    [
      "Records (ticks)",
      [...Object.entries(CATEGORY_COLORS), ["other", OTHER_CATEGORY_COLOR]].map(([name, color]) =>
        swatch("tick", color, name),
      ),
    ],
    [
      "Messages (arrows)",
      Object.entries(MESSAGE_COLORS).map(([name, color]) => swatch("line", color, MESSAGE_TEXTS[name])),
    ],
    [
      "Spans (shading)",
      Object.values(SPAN_STYLES).map((style) =>
        swatch(style.band === null ? "area" : "band", style.fill, style.text, style.hatch),
      ),
    ],
    [
      "Operations (bars)",
      Object.entries(OUTCOME_COLORS).map(([name, color]) => swatch("bar", color, OUTCOME_TEXTS[name])),
    ],
    ["Checks", [swatch("violation", VIOLATION_COLOR, "violation (red line, ◆ on its host)")]],
  ];
  element.replaceChildren();
  for (const [title, items] of sections) {
    const heading = document.createElement("h4");
    heading.textContent = title;
    const list = document.createElement("ul");
    if (items.length > 8) list.className = "columns";
    list.append(...items);
    element.append(heading, list);
  }
}

function swatch(shape, color, text, hatch) {
  const item = document.createElement("li");
  const mark = document.createElement("span");
  mark.className = `swatch swatch-${shape}`;
  mark.style.setProperty("--swatch", color);
  if (hatch) mark.style.backgroundImage = `repeating-linear-gradient(135deg, ${hatch} 0 1.5px, transparent 1.5px 6px)`;
  const label = document.createElement("span");
  label.textContent = text;
  item.append(mark, label);
  return item;
}
