// What the reader chose: hidden and collapsed lanes, hidden kinds, the search,
// the selection, arrow labels; and the events that pass all of it (the event list's rows).

export function createViewState(data) {
  const state = {
    hiddenLanes: new Set(),
    /** Lanes drawn as a thin strip (their records still count as shown). */
    collapsedLanes: new Set(),
    /** Shrink lanes so that all fit in view. */
    fitLanes: false,
    /** Label arrows with their RPC method where there is room. */
    arrowLabels: true,
    hiddenKinds: new Set(),
    query: "",
    /** Per event, 1 when it matches the search (null without a search). */
    matches: null,
    matchCount: 0,
    /** Positions of the events that pass the filters and the search, ascending. */
    filtered: new Int32Array(0),
    selected: -1,
    hovered: -1,
    /** Per operation, 1 when the violation in focus names it; null when no violation is in focus. */
    focusOperations: null,
  };
  refilter(state, data);
  return state;
}

/** True when the event's lane and kind are shown (the search aside). */
export function eventShown(state, data, position) {
  return !state.hiddenLanes.has(data.lane[position]) && !state.hiddenKinds.has(data.kind[position]);
}

/**
 * Sets the search: space-separated terms that must all occur in the kind, the host or the fields; `#123` is record 123.
 */
export function setQuery(state, data, query) {
  state.query = query;
  const terms = query
    .toLowerCase()
    .split(/\s+/)
    .filter((term) => term.length > 0);
  if (terms.length === 0) {
    state.matches = null;
    state.matchCount = 0;
  } else {
    const tests = terms.map((term) => termTest(data, term));
    const matches = new Uint8Array(data.count);
    let matchCount = 0;
    for (let i = 0; i < data.count; i++) {
      if (tests.every((test) => test(i))) {
        matches[i] = 1;
        matchCount++;
      }
    }
    state.matches = matches;
    state.matchCount = matchCount;
  }
  refilter(state, data);
}

function termTest(data, term) {
  if (/^#\d+$/.test(term)) {
    const record = Number(term.slice(1));
    return (i) => (data.record === null ? i : data.record[i]) === record;
  }
  const kinds = Uint8Array.from(data.lowerKinds, (kind) => (kind.includes(term) ? 1 : 0));
  const texts = Uint8Array.from(data.lowerTexts, (text) => (text.includes(term) ? 1 : 0));
  const lanes = Uint8Array.from(data.lowerLanes, (lane) => (lane.includes(term) ? 1 : 0));
  return (i) => kinds[data.kind[i]] === 1 || texts[data.text[i]] === 1 || lanes[data.lane[i]] === 1;
}

/** Recomputes the list of events that pass the filters and the search. */
export function refilter(state, data) {
  const filtered = new Int32Array(data.count);
  let length = 0;
  for (let i = 0; i < data.count; i++) {
    if (state.matches !== null && state.matches[i] === 0) continue;
    if (!eventShown(state, data, i)) continue;
    filtered[length++] = i;
  }
  state.filtered = filtered.subarray(0, length);
}

/** Index of `position` in the filtered list, or of the first row after it. */
export function filteredIndexOf(state, position) {
  const filtered = state.filtered;
  let low = 0;
  let high = filtered.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (filtered[middle] < position) low = middle + 1;
    else high = middle;
  }
  return low;
}
