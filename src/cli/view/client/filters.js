// The controls that choose what is shown: a checkbox per host, a menu of kinds
// (grouped by category, with counts), and the search box.
/* global document */
import { colorOfCategory } from "./palette.js";
import { refilter, setQuery } from "./view-state.js";

const SEARCH_DELAY_MS = 150;

/** Builds the host checkboxes in `element`; `onChange()` after each toggle. */
export function renderHostFilters(element, data, state, onChange) {
  element.replaceChildren();
  data.lanes.forEach((lane, index) => {
    const label = document.createElement("label");
    label.className = "chip";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = !state.hiddenLanes.has(index);
    box.dataset.lane = lane.name;
    box.addEventListener("change", () => {
      if (box.checked) state.hiddenLanes.delete(index);
      else state.hiddenLanes.add(index);
      refilter(state, data);
      onChange();
    });
    const count = document.createElement("small");
    count.textContent = String(data.laneCounts[index]);
    label.append(box, ` ${lane.name} `, count);
    element.append(label);
  });
}

/** Builds the kind menu in `element` (a `<details>`); `onChange()` after each toggle. */
export function renderKindFilters(element, data, state, onChange) {
  const summary = element.querySelector("summary");
  const menu = element.querySelector(".kind-menu");
  const boxes = [];
  const update = () => {
    summary.textContent = `Kinds (${data.kinds.length - state.hiddenKinds.size}/${data.kinds.length})`;
    for (const { box, kind } of boxes) box.checked = !state.hiddenKinds.has(kind);
    refilter(state, data);
    onChange();
  };
  const setKinds = (kinds, shown) => {
    for (const kind of kinds) {
      if (shown) state.hiddenKinds.delete(kind);
      else state.hiddenKinds.add(kind);
    }
    update();
  };
  const all = data.kinds.map((_, kind) => kind);
  menu.replaceChildren(
    button("all", () => setKinds(all, true)),
    button("none", () => setKinds(all, false)),
  );
  for (const category of data.categories) {
    const kinds = all
      .filter((kind) => data.kindCategories[kind] === category)
      .sort((a, b) => data.kinds[a].localeCompare(data.kinds[b]));
    const group = document.createElement("div");
    group.className = "kind-group";
    const heading = document.createElement("div");
    heading.className = "kind-category";
    heading.style.color = colorOfCategory(category);
    heading.append(
      category,
      " ",
      button("only", () => {
        state.hiddenKinds = new Set(all.filter((kind) => !kinds.includes(kind)));
        update();
      }),
      button("hide", () => setKinds(kinds, false)),
    );
    group.append(heading);
    for (const kind of kinds) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.dataset.kind = data.kinds[kind];
      box.addEventListener("change", () => setKinds([kind], box.checked));
      boxes.push({ box, kind });
      const count = document.createElement("small");
      count.textContent = String(data.kindCounts[kind]);
      label.append(box, ` ${data.kinds[kind]} `, count);
      group.append(label);
    }
    menu.append(group);
  }
  update();
}

function button(text, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "small";
  element.textContent = text;
  element.addEventListener("click", onClick);
  return element;
}

/** Wires the search box: the query applies a moment after typing stops, or at once on Enter. */
export function wireSearch(input, data, state, onChange) {
  let timer;
  const apply = () => {
    clearTimeout(timer);
    if (input.value === state.query) return;
    setQuery(state, data, input.value);
    onChange();
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(apply, SEARCH_DELAY_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") apply();
  });
}
