/**
 * The page's style sheet (inline: the page loads nothing from anywhere).
 */
export const PAGE_STYLE = `
:root { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; }
* { box-sizing: border-box; }
body { margin: 0; height: 100vh; display: flex; flex-direction: column; background: #f3f4f6; }
header { padding: 8px 14px; background: #fff; border-bottom: 1px solid #e5e7eb; }
header h1 { font-size: 16px; margin: 0 0 2px; }
#summary { color: #4b5563; font-size: 12px; }
.violation-banner { margin-top: 6px; padding: 4px 10px; background: #fef2f2; border: 1px solid #fca5a5; border-left: 6px solid #dc2626; color: #7f1d1d; border-radius: 4px; }
.violation-banner summary { display: flex; align-items: baseline; gap: 4px; cursor: pointer; white-space: nowrap; }
.violation-banner summary .headline { overflow: hidden; text-overflow: ellipsis; min-width: 0; flex: 1 1 auto; }
.violation-banner strong { color: #b91c1c; }
.violation-banner .show { flex: 0 0 auto; }
.violation-details { max-height: 30vh; overflow: auto; font-size: 12px; padding: 4px 0 2px 16px; }
.violation-details p { margin: 4px 0 2px; }
.violation-details ol, .violation-details ul { margin: 0; padding-left: 28px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.violation-details li.unplaceable { color: #b91c1c; font-weight: 600; }
.violation-details pre { white-space: pre-wrap; margin: 6px 0 0; color: #374151; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; padding: 6px 14px; background: #fff; border-bottom: 1px solid #e5e7eb; }
.toolbar .group { display: flex; align-items: center; gap: 4px; flex-wrap: wrap; }
.toolbar .caption { color: #6b7280; font-size: 12px; }
button { font: inherit; padding: 2px 9px; border: 1px solid #d1d5db; background: #fff; border-radius: 4px; cursor: pointer; }
button:hover { background: #f3f4f6; }
button:disabled { opacity: 0.4; cursor: default; }
button.small { padding: 0 5px; font-size: 11px; margin-left: 3px; }
#zoom-violation { border-color: #fca5a5; color: #b91c1c; font-weight: 600; }
.chip { border: 1px solid #d1d5db; border-radius: 12px; padding: 1px 8px; background: #f9fafb; white-space: nowrap; cursor: pointer; }
.chip small, .kind-menu small { color: #6b7280; }
#kind-filter { position: relative; }
#kind-filter summary { cursor: pointer; border: 1px solid #d1d5db; border-radius: 4px; padding: 2px 9px; list-style: none; }
#kind-filter .kind-menu { position: absolute; z-index: 5; background: #fff; border: 1px solid #d1d5db; box-shadow: 0 4px 14px rgba(0, 0, 0, 0.15); padding: 8px 10px; max-height: 60vh; overflow: auto; width: 340px; margin-top: 4px; }
.kind-group label { display: block; padding-left: 10px; white-space: nowrap; }
.kind-category { font-weight: 600; margin-top: 6px; }
#range { color: #374151; font-variant-numeric: tabular-nums; margin-left: auto; font-size: 12px; }
main { flex: 1 1 auto; display: flex; min-height: 0; }
#diagram-scroller { flex: 1 1 auto; display: flex; align-items: flex-start; overflow-y: auto; overflow-x: hidden; background: #fff; min-width: 0; }
#lane-labels { flex: 0 0 150px; position: relative; border-right: 1px solid #d1d5db; background: #fff; }
.axis-label { position: sticky; top: 0; z-index: 2; background: #fff; display: flex; align-items: flex-end; justify-content: flex-end; padding: 0 10px 13px; color: #6b7280; font-size: 11px; border-bottom: 1px solid #9ca3af; }
.lane-label { position: absolute; left: 0; right: 0; display: flex; flex-direction: column; justify-content: center; padding: 0 10px; border-bottom: 1px solid #e5e7eb; overflow: hidden; cursor: pointer; }
.lane-label:hover { background: #f3f4f6; }
.lane-label.short strong { font-size: 12px; line-height: 1; }
.lane-label.short small { display: none; }
.lane-label.collapsed { color: #6b7280; }
.lane-label.collapsed strong::before { content: "▸ "; }
#fit-lanes[aria-pressed="true"] { background: #dbeafe; border-color: #93c5fd; }
.lane-label strong { font-size: 15px; }
.lane-label small { color: #6b7280; font-size: 11px; white-space: nowrap; }
.lane-label.world { background: #f3f4f6; }
.lane-label.world strong { font-style: italic; color: #4b5563; font-size: 13px; }
.canvas-holder { flex: 1 1 auto; position: relative; min-width: 0; }
canvas { display: block; cursor: crosshair; }
#tooltip { position: absolute; pointer-events: none; background: rgba(17, 24, 39, 0.92); color: #fff; padding: 4px 7px; border-radius: 4px; font-size: 12px; white-space: pre; max-width: 560px; overflow: hidden; z-index: 4; }
aside { flex: 0 0 300px; overflow: auto; background: #fff; border-left: 1px solid #e5e7eb; padding: 6px 12px; }
aside h2 { font-size: 11px; text-transform: uppercase; letter-spacing: 0.05em; color: #6b7280; margin: 8px 0 4px; }
#details h3 { font-size: 14px; margin: 2px 0 6px; word-break: break-all; }
#details dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; margin: 0; }
#details dt { color: #6b7280; }
#details dd { margin: 0; word-break: break-word; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
#details p { margin: 5px 0; }
#details .hint { color: #6b7280; }
#legend h4 { margin: 8px 0 2px; font-size: 12px; }
#legend ul { list-style: none; padding: 0; margin: 0; }
#legend ul.columns { display: grid; grid-template-columns: 1fr 1fr; }
#legend li { display: flex; align-items: center; gap: 7px; font-size: 12px; margin: 1px 0; }
.swatch { flex: 0 0 auto; display: inline-block; width: 22px; height: 12px; }
.swatch-tick { width: 3px; background: var(--swatch); margin: 0 9px 0 10px; }
.swatch-line { height: 2px; background: var(--swatch); }
.swatch-area { background-color: var(--swatch); border: 1px solid rgba(0, 0, 0, 0.1); }
.swatch-band { height: 5px; background: var(--swatch); }
.swatch-bar { height: 8px; background: var(--swatch); border-radius: 2px; }
.swatch-violation { width: 3px; height: 14px; background: var(--swatch); margin: 0 9px 0 10px; }
section.events { flex: 0 0 32vh; display: flex; flex-direction: column; background: #fff; border-top: 2px solid #d1d5db; min-height: 140px; }
.events-header { display: flex; gap: 10px; align-items: center; padding: 5px 14px; }
.events-header h2 { font-size: 13px; margin: 0; }
#search { flex: 0 1 440px; font: inherit; padding: 3px 8px; border: 1px solid #d1d5db; border-radius: 4px; }
#list-count { color: #6b7280; font-size: 12px; }
.list-head, .event-row { display: grid; grid-template-columns: 72px 104px 84px 200px 1fr; gap: 8px; padding: 0 14px; height: 22px; line-height: 22px; white-space: nowrap; }
.list-head { font-weight: 600; color: #6b7280; border-bottom: 1px solid #e5e7eb; font-size: 12px; }
#event-list { flex: 1 1 auto; overflow-y: auto; position: relative; outline: none; }
.list-rows { position: absolute; left: 0; right: 0; top: 0; will-change: transform; }
.event-row { cursor: pointer; font-size: 12px; font-variant-numeric: tabular-nums; }
.event-row span { overflow: hidden; text-overflow: ellipsis; }
.event-row:hover { background: #f3f4f6; }
.event-row.violation { background: #fee2e2; font-weight: 600; }
.event-row.selected { background: #ffedd5; box-shadow: inset 3px 0 #f97316; }
.cell-index { color: #9ca3af; }
.cell-time { text-align: right; }
.cell-text { font-family: ui-monospace, Menlo, Consolas, monospace; color: #374151; }
`;
