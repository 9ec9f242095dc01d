// The event list: one row per event that passes the filters and the search, but
// only the rows in sight exist in the page (a trace may hold millions).
/* global document, requestAnimationFrame */
import { colorOfCategory } from "./palette.js";
import { formatTime } from "./time-axis.js";
import { recordIndexOf } from "./view-data.js";
import { filteredIndexOf } from "./view-state.js";

export const ROW_HEIGHT = 22;
/** Browsers cap an element's height; past this the scroll position maps to rows by ratio. */
const SPACER_PIXELS_MAX = 8000000;

/**
 * Builds the list in `scroller` (holding `.list-spacer` and `.list-rows`); `onSelect(position)` on click or arrow keys.
 */
export function createEventList(scroller, data, state, onSelect) {
  const spacer = scroller.querySelector(".list-spacer");
  const rows = scroller.querySelector(".list-rows");
  const pool = [];
  let scheduled = false;
  let shownRows = 0;

  const geometry = () => {
    const total = state.filtered.length;
    const exact = total * ROW_HEIGHT;
    const spacerHeight = Math.min(exact, SPACER_PIXELS_MAX);
    return {
      total,
      height: scroller.clientHeight,
      spacerHeight,
      scaled: exact > SPACER_PIXELS_MAX,
      visible: Math.ceil(scroller.clientHeight / ROW_HEIGHT),
    };
  };
  const firstRow = (shape) => {
    if (!shape.scaled) return Math.floor(scroller.scrollTop / ROW_HEIGHT);
    const ratio = scroller.scrollTop / Math.max(shape.spacerHeight - shape.height, 1);
    return Math.round(ratio * Math.max(shape.total - shape.visible, 0));
  };
  const render = () => {
    scheduled = false;
    const shape = geometry();
    spacer.style.height = `${shape.spacerHeight}px`;
    const first = Math.min(firstRow(shape), Math.max(shape.total - 1, 0));
    const count = Math.max(Math.min(shape.visible + 1, shape.total - first), 0);
    rows.style.transform = `translateY(${shape.scaled ? scroller.scrollTop : first * ROW_HEIGHT}px)`;
    while (pool.length < count) pool.push(createRow(rows));
    pool.forEach((row, index) => {
      row.style.display = index < count ? "" : "none";
      if (index < count) fillRow(row, data, state, state.filtered[first + index]);
    });
    shownRows = count;
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(render);
  };
  const scrollTo = (position) => {
    const index = filteredIndexOf(state, position);
    if (state.filtered[index] !== position) return;
    const shape = geometry();
    if (shape.scaled) {
      scroller.scrollTop = (index / Math.max(shape.total - shape.visible, 1)) * (shape.spacerHeight - shape.height);
    } else {
      const top = index * ROW_HEIGHT;
      if (top < scroller.scrollTop || top + ROW_HEIGHT > scroller.scrollTop + shape.height)
        scroller.scrollTop = top - shape.height / 2 + ROW_HEIGHT / 2;
    }
    render();
  };
  scroller.addEventListener("scroll", schedule);
  rows.addEventListener("click", (event) => {
    const row = event.target.closest(".event-row");
    if (row !== null) onSelect(Number(row.dataset.position));
  });
  scroller.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    event.preventDefault();
    const current = filteredIndexOf(state, state.selected);
    const listed = state.filtered[current] === state.selected;
    const next = event.key === "ArrowDown" ? (listed ? current + 1 : current) : current - 1;
    const position = state.filtered[Math.min(Math.max(next, 0), state.filtered.length - 1)];
    if (position !== undefined) onSelect(position);
  });
  return { render: schedule, renderNow: render, scrollTo, shownRows: () => shownRows };
}

function createRow(rows) {
  const row = document.createElement("div");
  row.className = "event-row";
  for (const name of ["index", "time", "host", "kind", "text"]) {
    const cell = document.createElement("span");
    cell.className = `cell-${name}`;
    row.append(cell);
  }
  rows.append(row);
  return row;
}

function fillRow(row, data, state, position) {
  const [index, time, host, kind, text] = row.children;
  row.dataset.position = String(position);
  row.classList.toggle("selected", position === state.selected);
  row.classList.toggle("violation", data.kindCategories[data.kind[position]] === "violation");
  index.textContent = `#${recordIndexOf(data, position)}`;
  time.textContent = formatTime(data.time[position]);
  host.textContent = data.lanes[data.lane[position]].name;
  kind.textContent = data.kinds[data.kind[position]];
  kind.style.color = colorOfCategory(data.kindCategories[data.kind[position]]);
  text.textContent = data.texts[data.text[position]];
  text.title = text.textContent;
}
