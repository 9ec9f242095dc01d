// Colours and styles of the diagram, shared by the renderer and the legend.

/** Colour of each record category (the first dotted segment of a kind). */
export const CATEGORY_COLORS = {
  net: "#2563eb",
  disk: "#92400e",
  process: "#7c3aed",
  fault: "#ea580c",
  app: "#15803d",
  phase: "#111827",
  probe: "#0891b2",
  buggify: "#db2777",
  violation: "#dc2626",
};
export const OTHER_CATEGORY_COLOR = "#6b7280";

/** Where in a lane (fraction of its height) each category's ticks sit. */
export const CATEGORY_ROWS = {
  process: 0.24,
  fault: 0.24,
  phase: 0.24,
  app: 0.36,
  probe: 0.36,
  buggify: 0.36,
  net: 0.5,
  disk: 0.66,
  violation: 0.5,
};
export const OTHER_CATEGORY_ROW = 0.66;

/** Fill and meaning of each span kind; "band" spans are a strip, not the whole lane. */
export const SPAN_STYLES = {
  down: {
    fill: "rgba(17, 24, 39, 0.30)",
    hatch: "rgba(17, 24, 39, 0.55)",
    band: null,
    text: "host down (crash or stop → start)",
  },
  paused: { fill: "rgba(245, 158, 11, 0.28)", hatch: null, band: null, text: "process paused" },
  isolated: {
    fill: "rgba(220, 38, 38, 0.10)",
    hatch: "rgba(220, 38, 38, 0.45)",
    band: null,
    text: "isolated (until heal)",
  },
  partitioned: {
    fill: "rgba(220, 38, 38, 0.10)",
    hatch: "rgba(220, 38, 38, 0.45)",
    band: null,
    text: "partitioned (until heal)",
  },
  clogged: { fill: "rgba(234, 88, 12, 0.55)", hatch: null, band: "top", text: "outgoing link clogged" },
  "disk-faults": { fill: "rgba(146, 64, 14, 0.50)", hatch: null, band: "bottom", text: "disk faults on" },
  "link-quality": { fill: "rgba(234, 88, 12, 0.35)", hatch: null, band: "top", text: "links lossy / slow" },
};

export const MESSAGE_COLORS = {
  stream: "rgba(37, 99, 235, 0.55)",
  datagram: "rgba(8, 145, 178, 0.65)",
  dropped: "rgba(220, 38, 38, 0.8)",
  lost: "rgba(107, 114, 128, 0.8)",
};

export const OUTCOME_COLORS = { ok: "#16a34a", fail: "#dc2626", info: "#f59e0b", open: "#9ca3af" };

export const VIOLATION_COLOR = "#dc2626";
export const SELECTION_COLOR = "#f97316";
export const MATCH_COLOR = "rgba(250, 204, 21, 0.9)";

/** The colour of a kind, by its category. */
export function categoryOf(kind) {
  const dot = kind.indexOf(".");
  return dot === -1 ? kind : kind.slice(0, dot);
}

export function colorOfCategory(category) {
  return CATEGORY_COLORS[category] ?? OTHER_CATEGORY_COLOR;
}

export function rowOfCategory(category) {
  return CATEGORY_ROWS[category] ?? OTHER_CATEGORY_ROW;
}
