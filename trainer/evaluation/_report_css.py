"""The stylesheet of the evaluation report (inlined; no external resource). Colours follow the spec-diff report."""

from __future__ import annotations

CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #ffffff;
  --good: #1a7f37; --good-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9; --warn: #9a6700; --warn-bg: #fff8c5; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  background: rgba(175, 184, 193, .2); padding: 1px 5px; border-radius: 6px; }
header { background: #24292f; color: #fff; padding: 24px 40px 20px; }
header .eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 11px; color: #9198a1; }
header h1 { margin: 6px 0 8px; font-size: 22px; font-weight: 600; }
header .meta { color: #d1d9e0; font-size: 13px; }
header .meta code { background: rgba(255, 255, 255, .12); color: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 40px 60px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
  margin-bottom: 16px; }
h2 { font-size: 17px; margin: 0 0 12px; padding-bottom: 8px; border-bottom: 1px solid var(--line); }
h3 { font-size: 13px; margin: 14px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
p.note { color: var(--muted); margin: 6px 0 0; font-size: 12px; }
.tiles { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; margin-bottom: 16px; }
.tile { min-width: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.tile h4 { margin: 0 0 6px; font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.tile .row { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
.tile .model { font-size: 12px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.tile .big { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .ci { font-size: 11px; color: var(--muted); font-variant-numeric: tabular-nums; }
.delta { font-weight: 600; font-size: 12px; border-radius: 999px; padding: 1px 8px; }
.delta.up { background: var(--good-bg); color: var(--good); }
.delta.down { background: var(--bad-bg); color: var(--bad); }
.delta.flat { background: var(--bg); color: var(--muted); }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.charts > div { min-width: 0; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11px; text-transform: uppercase;
  letter-spacing: .04em; border-bottom: 1px solid var(--line); padding: 6px 8px; }
td { border-bottom: 1px solid #eaeef2; padding: 6px 8px; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.num small { display: block; color: var(--muted); font-size: 10px; }
tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
td.hi { background: var(--good-bg); } td.mid { background: var(--warn-bg); } td.lo { background: var(--bad-bg); }
td.na { color: var(--muted); text-align: right; }
.worst td { font-size: 12px; }
.worst .text { max-width: 360px; overflow-wrap: anywhere; white-space: pre-wrap; }
.pill { display: inline-block; font-size: 11px; font-weight: 600; border-radius: 999px; padding: 0 8px;
  background: var(--bg); color: var(--muted); border: 1px solid var(--line); }
.pill.cut { background: var(--warn-bg); color: var(--warn); border-color: transparent; }
.warning { background: var(--warn-bg); color: var(--warn); border-radius: 8px; padding: 8px 12px; margin: 0 0 16px; }
.pill.refuse { background: var(--bad-bg); color: var(--bad); border-color: transparent; }
.pill.comply { background: var(--good-bg); color: var(--good); border-color: transparent; }
.pill.safe_complete { background: var(--warn-bg); color: var(--warn); border-color: transparent; }
@media (max-width: 1000px) { .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .charts { grid-template-columns: 1fr; } }
"""
