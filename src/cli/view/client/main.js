// The page: loads the data, builds the diagram, the list, the filters and the
// details, keeps them in step, and exposes `window.__dstView` (a summary and a
// few actions) for tests and for the console.
/* global document, window, ResizeObserver */
import { createDiagram } from "./diagram.js";
import { renderDetails } from "./details.js";
import { createEventList } from "./event-list.js";
import { renderHostFilters, renderKindFilters, wireSearch } from "./filters.js";
import { renderLegend } from "./legend.js";
import { renderSummary } from "./summary.js";
import { formatMs } from "./time-axis.js";
import { loadViewData } from "./view-data.js";
import { createViewState, refilter } from "./view-state.js";
import { renderViolations, violationRange } from "./violations.js";
import { createViewport, fitViewport, revealTime, showRange, zoomViewport } from "./viewport.js";

/** How much of the run the "violation" button shows before a violation (fraction of the run, at least 2 ms). */
const VIOLATION_WINDOW_FRACTION = 0.03;
const VIOLATION_WINDOW_MS_MIN = 2;

function start() {
  const root = document.getElementById("dst-view");
  const data = loadViewData(document.getElementById("dst-view-data"));
  const state = createViewState(data);
  const viewport = createViewport(data);
  const find = (id) => document.getElementById(id);
  let violationIndex = -1;
  const select = (position, source) => {
    state.selected = position;
    if (position >= 0 && source !== "diagram") revealTime(viewport, data.time[position]);
    if (position >= 0 && source !== "list") list.scrollTo(position);
    renderDetails(find("details"), data, position, (target) => select(target, "details"));
    list.render();
    diagram.schedule();
  };
  // A linearizability violation is shown at the operation that cannot be placed (not at the final check), the others
  // faded.
  const showViolation = (index) => {
    const violation = data.violations[index];
    if (violation === undefined) return;
    violationIndex = index;
    const before = Math.max((data.endMs - data.startMs) * VIOLATION_WINDOW_FRACTION, VIOLATION_WINDOW_MS_MIN);
    const [start, end] = violationRange(data, violation, before);
    showRange(viewport, start, end);
    state.focusOperations = focusOf(data, violation);
    const unplaceable = violation.operations?.unplaceable;
    select(unplaceable === undefined ? violation.event : data.operations.invoke[unplaceable], "violation");
  };
  const clearFocus = () => {
    state.focusOperations = null;
    diagram.schedule();
  };
  const onDraw = () => {
    const span = viewport.end - viewport.start;
    const decimals = span < 1 ? 3 : span < 100 ? 2 : 0;
    find("range").textContent =
      `${formatMs(viewport.start, decimals)} – ${formatMs(viewport.end, decimals)} ms (${formatMs(span, decimals)} ms in view)`;
  };
  const list = createEventList(find("event-list"), data, state, (position) => select(position, "list"));
  const diagram = createDiagram(
    {
      canvas: find("diagram-canvas"),
      labels: find("lane-labels"),
      scroller: find("diagram-scroller"),
      tooltip: find("tooltip"),
    },
    data,
    state,
    viewport,
    { onSelect: (position) => select(position, "diagram"), onDraw },
  );
  const onFilter = () => {
    find("list-count").textContent =
      `${state.filtered.length.toLocaleString("en")} of ${data.count.toLocaleString("en")} events`;
    diagram.resize();
    list.render();
  };
  renderSummary(find("summary"), data);
  renderViolations(find("violations"), data, {
    show: showViolation,
    select: (position) => select(position, "details"),
  });
  renderLegend(find("legend"));
  renderHostFilters(find("host-filters"), data, state, onFilter);
  renderKindFilters(find("kind-filter"), data, state, onFilter);
  wireSearch(find("search"), data, state, onFilter);
  wireToolbar(find, data, viewport, diagram, {
    nextViolation: () => showViolation((violationIndex + 1) % Math.max(data.violations.length, 1)),
    clearFocus,
  });
  wireLaneControls(find, state, diagram);
  renderDetails(find("details"), data, -1, () => {});
  const resizeObserver = new ResizeObserver(() => diagram.resize());
  resizeObserver.observe(find("diagram-scroller"));
  resizeObserver.observe(find("diagram-canvas").parentElement);
  onFilter();
  list.renderNow();
  exposeSummary(root, data, state, viewport, diagram, list, { select, showViolation, onFilter });
}

/** Per operation, 1 when `violation` names it (a linearizability violation's key); null for other violations. */
function focusOf(data, violation) {
  const named = violation.operations;
  if (named === undefined) return null;
  const focus = new Uint8Array(data.operations.length);
  for (const o of [...named.operations, ...named.linearized, ...named.blocked]) focus[o] = 1;
  return focus;
}

function wireToolbar(find, data, viewport, diagram, hooks) {
  const middle = () => (viewport.start + viewport.end) / 2;
  const actions = {
    "zoom-in": () => zoomViewport(viewport, middle(), 0.5),
    "zoom-out": () => zoomViewport(viewport, middle(), 2),
    "zoom-fit": () => {
      fitViewport(viewport);
      hooks.clearFocus();
    },
    "zoom-violation": hooks.nextViolation,
  };
  for (const [id, action] of Object.entries(actions)) {
    find(id).addEventListener("click", () => {
      action();
      diagram.schedule();
    });
  }
  find("zoom-violation").disabled = data.violations.length === 0;
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof window.HTMLInputElement || event.ctrlKey || event.metaKey) return;
    const key = { "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", 0: "zoom-fit", v: "zoom-violation" }[event.key];
    if (key !== undefined) find(key).click();
    if (event.key === "Escape") hooks.clearFocus();
    if (event.key === "/") {
      event.preventDefault();
      find("search").focus();
    }
  });
}

/** The lane controls: "Fit lanes" shrinks every lane into view (or back), "labels" toggles the arrows' labels. */
function wireLaneControls(find, state, diagram) {
  const fit = find("fit-lanes");
  fit.addEventListener("click", () => {
    state.fitLanes = !state.fitLanes;
    fit.setAttribute("aria-pressed", String(state.fitLanes));
    diagram.resize();
  });
  const labels = find("arrow-labels");
  labels.addEventListener("change", () => {
    state.arrowLabels = labels.checked;
    diagram.schedule();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "l" && !(event.target instanceof window.HTMLInputElement) && !event.ctrlKey && !event.metaKey)
      fit.click();
  });
}

function exposeSummary(root, data, state, viewport, diagram, list, actions) {
  const outcomes = data.tables.messageOutcomes;
  const messageCount = (outcome) =>
    Array.from(data.messages.outcome).filter((code) => outcomes[code] === outcome).length;
  const summary = {
    ready: true,
    lanes: data.lanes.map((lane) => lane.name),
    events: data.count,
    messages: data.messages.length,
    messagesDelivered: messageCount("delivered"),
    spans: data.spans.length,
    operations: data.operations.length,
    violations: data.violations.map((violation) => ({
      invariant: violation.invariant,
      time: violation.time,
      host: data.lanes[violation.lane].name,
      unplaceable: violation.operations?.unplaceable ?? -1,
      linearized: violation.operations?.linearized.length ?? 0,
    })),
    drawn: () => diagram.drawn(),
    view: () => ({ start: viewport.start, end: viewport.end }),
    listRows: () => list.shownRows(),
    filtered: () => state.filtered.length,
    selected: () => state.selected,
    focused: () =>
      state.focusOperations === null ? 0 : state.focusOperations.reduce((total, value) => total + value, 0),
    operationInvoke: (o) => data.operations.invoke[o],
    select: (position) => actions.select(position, "api"),
    showViolation: actions.showViolation,
    showRange: (start, end) => {
      showRange(viewport, start, end);
      diagram.draw();
    },
    toggleLane: (name) => diagram.toggleLane(data.lanes.findIndex((lane) => lane.name === name)),
    hideLane: (name) => {
      state.hiddenLanes.add(data.lanes.findIndex((lane) => lane.name === name));
      refilter(state, data);
      actions.onFilter();
    },
    redraw: () => diagram.draw(),
  };
  window.__dstView = summary;
  root.dataset.lanes = summary.lanes.join(",");
  root.dataset.events = String(summary.events);
  root.dataset.messages = String(summary.messages);
  root.dataset.violations = String(summary.violations.length);
  root.dataset.ready = "true";
}

start();
