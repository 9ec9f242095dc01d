/**
 * The viewer page: one self-contained HTML file (inline style, data and script;
 * nothing is fetched) holding the space-time diagram of a run.
 */
import { clientScript } from "./client-bundle.ts";
import type { DiagramModel } from "./diagram-types.ts";
import { pageDataJson, pageDataOf } from "./page-data.ts";
import { PAGE_STYLE } from "./page-style.ts";

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The page for a diagram. */
export function viewPageHtml(model: DiagramModel): string {
  const title = escapeHtml(model.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${title} · dst view</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<div id="dst-view" style="display: contents">
<header>
  <h1>${title}</h1>
  <div id="summary"></div>
  <div id="violations" hidden></div>
</header>
<div class="toolbar">
  <div class="group">
    <button type="button" id="zoom-out" title="zoom out (-)">−</button>
    <button type="button" id="zoom-in" title="zoom in (+)">+</button>
    <button type="button" id="zoom-fit" title="whole run (0)">Fit</button>
    <button type="button" id="zoom-violation" title="next violation (v)">⚠ Violation</button>
    <button type="button" id="fit-lanes" aria-pressed="false" title="shrink lanes so that all fit in view (l); click a lane's name to collapse it">Fit lanes</button>
    <label class="chip" title="label arrows with their RPC method where there is room"><input type="checkbox" id="arrow-labels" checked> labels</label>
  </div>
  <div class="group"><span class="caption">Hosts</span><span id="host-filters" class="group"></span></div>
  <details id="kind-filter"><summary>Kinds</summary><div class="kind-menu"></div></details>
  <span class="caption">wheel: zoom · drag: pan · click: select · wheel over names: scroll lanes</span>
  <span id="range"></span>
</div>
<main>
  <div id="diagram-scroller">
    <div id="lane-labels"></div>
    <div class="canvas-holder"><canvas id="diagram-canvas" aria-label="space-time diagram"></canvas><div id="tooltip" hidden></div></div>
  </div>
  <aside>
    <h2>Selection</h2>
    <div id="details"></div>
    <h2>Legend</h2>
    <div id="legend"></div>
  </aside>
</main>
<section class="events">
  <div class="events-header">
    <h2>Events</h2>
    <input id="search" type="search" placeholder="search kind, host, fields (all words must match; #123 = record 123) — press /" autocomplete="off">
    <span id="list-count"></span>
  </div>
  <div class="list-head"><span>#</span><span style="text-align: right">time (ms)</span><span>host</span><span>kind</span><span>fields</span></div>
  <div id="event-list" tabindex="0"><div class="list-spacer"></div><div class="list-rows"></div></div>
</section>
</div>
<script type="application/json" id="dst-view-data">${pageDataJson(pageDataOf(model))}</script>
<script>${clientScript()}</script>
</body>
</html>
`;
}
