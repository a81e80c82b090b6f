/**
 * Reporter (pure): the HTML report's stylesheet, inlined into the page. System fonts only (nothing
 * to download or embed), light and dark schemes from the reader's setting, one column on a phone.
 * The chart palette lives here too (--c0 … --c7, Okabe–Ito's colour-blind-safe set plus two), and
 * the page's script reads it, so the canvas and the legend agree with the stylesheet.
 */
export const PAGE_STYLE = `
:root {
  --bg: #f5f6f8; --card: #ffffff; --text: #1d2330; --muted: #5b6475; --line: #dde1e8; --soft: #eef1f5;
  --accent: #2c5bd6; --ok: #1f7a3f; --ok-bg: #e3f4e8; --bad: #b3261e; --bad-bg: #fbe4e2; --warn: #8a5a00; --warn-bg: #fdf0d5;
  --info: #2c5bd6; --info-bg: #e6edfc; --bar: #e8793a; --bar-bg: #f3e3d8;
  --c0: #0072b2; --c1: #e69f00; --c2: #009e73; --c3: #cc79a7; --c4: #d55e00; --c5: #56b4e9; --c6: #7a6fd0; --c7: #8c8c2a;
  --grid: rgba(29, 35, 48, 0.09); --axis: #5b6475;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --card: #1b2029; --text: #e6e9ef; --muted: #9aa3b5; --line: #2e3543; --soft: #232a35;
    --accent: #7aa2ff; --ok: #6fd08c; --ok-bg: #17321f; --bad: #ff8a80; --bad-bg: #3a1c1a; --warn: #f1c26b; --warn-bg: #3a2e14;
    --info: #7aa2ff; --info-bg: #1c2540; --bar: #f0935a; --bar-bg: #3a2a20;
    --c0: #4fa3e0; --c1: #f2b63a; --c2: #3cc59a; --c3: #e08fc0; --c4: #ff7a3d; --c5: #8fd0f5; --c6: #a49af0; --c7: #c4c45a;
    --grid: rgba(230, 233, 239, 0.10); --axis: #9aa3b5;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif;
}
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.9em; }
a { color: var(--accent); }
.page { max-width: 1200px; margin: 0 auto; padding: 24px 20px 48px; }
header.top { display: flex; flex-wrap: wrap; align-items: flex-end; justify-content: space-between; gap: 12px; margin-bottom: 8px; }
header.top h1 { margin: 0; font-size: 26px; letter-spacing: -0.01em; }
header.top h1 span { color: var(--muted); font-weight: 500; }
.subtitle { color: var(--muted); margin: 2px 0 0; font-size: 14px; }
.badges { display: flex; flex-wrap: wrap; gap: 6px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12.5px; font-weight: 600; background: var(--soft); color: var(--muted); white-space: nowrap; }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.info { background: var(--info-bg); color: var(--info); }
nav.toc { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 14px 0 6px; font-size: 14px; }
nav.toc a { text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
section { margin-top: 28px; }
section > h2 { font-size: 19px; margin: 0 0 4px; }
section > p.lead { margin: 0 0 12px; color: var(--muted); font-size: 14px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04); min-width: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap: 16px; }
.card h3 { font-size: 15.5px; margin: 0 0 2px; }
.card p.note { margin: 0 0 10px; color: var(--muted); font-size: 13px; }
.chart { width: 100%; min-height: 220px; }
.chart .u-legend { font-size: 12.5px; text-align: left; margin-top: 4px; }
.chart .u-legend .u-series > * { padding: 2px 6px; }
.chart .u-legend th { font-weight: 500; }
.chart-error { color: var(--bad); font-size: 13px; }
details.numbers { margin-top: 8px; }
details.numbers > summary { cursor: pointer; color: var(--accent); font-size: 13px; user-select: none; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; margin-top: 6px; }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; vertical-align: top; }
table.data th { font-weight: 600; color: var(--muted); background: var(--soft); position: sticky; top: 0; }
table.data td.num, table.data th.num { text-align: right; }
table.data tbody th { font-weight: 600; color: var(--text); background: none; position: static; }
table.data td.wrap { white-space: normal; min-width: 16em; }
table.data tr:last-child td, table.data tr:last-child th { border-bottom: none; }
table.data tr.verdict-regressed td { background: var(--bad-bg); }
table.data tr.verdict-improved td { background: var(--ok-bg); }
table.data tr.verdict-plan-changed td { background: var(--warn-bg); }
table.data td.diff { background: var(--warn-bg); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 6px; vertical-align: baseline; }
ul.warnings { margin: 8px 0 0; padding-left: 0; list-style: none; }
ul.warnings li { margin: 4px 0; padding: 6px 10px; border-radius: 8px; background: var(--warn-bg); color: var(--text); font-size: 13.5px; }
ul.warnings li.info { background: var(--soft); }
.kv { display: grid; grid-template-columns: minmax(8em, max-content) 1fr; gap: 4px 16px; font-size: 13.5px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; overflow-wrap: anywhere; }
/* Plan trees: one card per path, nodes nested with connecting lines. */
.plan-head { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: baseline; margin-bottom: 8px; font-size: 13.5px; color: var(--muted); }
.plan-head strong { color: var(--text); font-size: 15.5px; }
ul.tree, ul.tree ul.kids { list-style: none; margin: 0; padding: 0; }
ul.tree ul.kids { margin-left: 14px; padding-left: 12px; border-left: 2px solid var(--line); }
ul.tree li { margin: 6px 0; position: relative; }
ul.tree ul.kids > li::before { content: ""; position: absolute; left: -12px; top: 14px; width: 10px; border-top: 2px solid var(--line); }
.node { border: 1px solid var(--line); border-radius: 10px; padding: 8px 10px; background: var(--card); }
.node.sev-critical { border-color: var(--bad); box-shadow: inset 3px 0 0 var(--bad); }
.node.sev-warning { border-color: var(--warn); box-shadow: inset 3px 0 0 var(--warn); }
.node.never { opacity: 0.6; }
.node-top { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; justify-content: space-between; }
.node-label { font-weight: 600; overflow-wrap: anywhere; }
.node-sub { color: var(--muted); font-size: 12px; margin-left: 6px; font-weight: 500; }
.node-time { font-variant-numeric: tabular-nums; font-size: 13px; white-space: nowrap; }
.bar { height: 6px; border-radius: 3px; background: var(--bar-bg); margin: 6px 0 4px; overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--bar); border-radius: 3px; }
.node-facts { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 12.5px; color: var(--muted); font-variant-numeric: tabular-nums; }
.node-facts .mis { color: var(--warn); font-weight: 600; }
.node-details { margin: 4px 0 0; padding: 0; list-style: none; font-size: 12px; color: var(--muted); }
.node-details li { margin: 1px 0; overflow-wrap: anywhere; }
.node-warn { margin: 6px 0 0; padding: 6px 8px; border-radius: 6px; font-size: 12.5px; background: var(--warn-bg); }
.node-warn.critical { background: var(--bad-bg); }
.node-warn.info { background: var(--soft); }
.node-warn b { text-transform: uppercase; font-size: 11px; letter-spacing: 0.04em; margin-right: 6px; }
.node-warn .hint { color: var(--muted); display: block; margin-top: 2px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; text-align: center; }
@media (max-width: 600px) {
  .page { padding: 14px 10px 32px; }
  header.top h1 { font-size: 21px; }
  .card { padding: 12px 10px; border-radius: 10px; }
  section { margin-top: 22px; }
  .kv { grid-template-columns: 1fr; gap: 0 0; }
  .kv dd { margin-bottom: 6px; }
  ul.tree ul.kids { margin-left: 6px; padding-left: 8px; }
  ul.tree ul.kids > li::before { left: -8px; width: 6px; }
}
@media print {
  body { background: #fff; }
  .card { box-shadow: none; break-inside: avoid; }
  details.numbers > *:not(summary) { display: block; }
}
`;
