"""The stylesheet of the HTML diff report (inlined into every report; no external resource)."""

from __future__ import annotations

CSS = """
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #ffffff;
  --add: #1a7f37; --add-bg: #dafbe1; --add-word: #aceebb;
  --del: #cf222e; --del-bg: #ffebe9; --del-word: #ffcecb;
  --chg: #9a6700; --chg-bg: #fff8c5; --mov: #0969da; --mov-bg: #ddf4ff; --ren: #8250df; --ren-bg: #fbefff;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.5;
  font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  background: rgba(175, 184, 193, .2); padding: 1px 5px; border-radius: 6px; }
header { background: #24292f; color: #fff; padding: 24px 40px 20px; }
header .eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 11px; color: #9198a1; }
header h1 { margin: 6px 0 8px; font-size: 22px; font-weight: 600; word-break: break-all; }
header .arrow { color: #9198a1; margin: 0 6px; }
header .meta { color: #d1d9e0; font-size: 13px; }
header .meta code { background: rgba(255, 255, 255, .12); color: #fff; }
.status { margin-left: 10px; padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 12px; }
.status.changed { background: #bf8700; color: #fff; }
.status.same { background: var(--add); color: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 40px 60px; }
h2 { font-size: 17px; margin: 0 0 12px; padding-bottom: 8px; border-bottom: 1px solid var(--line); }
h2 code { font-size: 12px; margin-left: 6px; color: var(--muted); font-weight: 400; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin-bottom: 20px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.tile h3 { margin: 0 0 8px; font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.tile .kv { display: flex; justify-content: space-between; border-top: 1px dashed #eaeef2; padding: 2px 0; }
.tile .kv:first-of-type { border-top: 0; }
.tile .kv b { font-variant-numeric: tabular-nums; }
.tile .none { color: var(--muted); margin: 0; }
.tile.stale .big { font-size: 34px; font-weight: 600; color: var(--chg); line-height: 1.1; }
.tile.stale small { font-size: 15px; color: var(--muted); font-weight: 400; }
section.impact, section.group { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 20px; margin-bottom: 16px; }
.impact ul { list-style: none; padding: 0; margin: 0; }
.impact li { padding: 8px 0; border-top: 1px solid #eaeef2; }
.impact .reason { font-weight: 600; }
.impact .ids { margin-top: 4px; display: flex; flex-wrap: wrap; gap: 4px; }
.toc { display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 16px; }
.toc a { text-decoration: none; color: var(--fg); background: var(--card); border: 1px solid var(--line);
  border-radius: 999px; padding: 3px 10px; font-size: 12px; }
.toc .count { margin-left: 6px; background: var(--bg); border-radius: 999px; padding: 0 6px; color: var(--muted); }
ul.changes { list-style: none; padding: 0; margin: 0 0 8px; }
li.change { padding: 6px 0; border-top: 1px solid #eaeef2; }
li.change:first-child { border-top: 0; }
.detail { color: var(--muted); }
.badge { display: inline-block; min-width: 78px; text-align: center; font-size: 11px; font-weight: 600;
  border-radius: 999px; padding: 1px 8px; margin-right: 6px; text-transform: uppercase; letter-spacing: .03em; }
.badge.added { background: var(--add-bg); color: var(--add); }
.badge.removed { background: var(--del-bg); color: var(--del); }
.badge.changed, .badge.attr { background: var(--chg-bg); color: var(--chg); }
.badge.moved { background: var(--mov-bg); color: var(--mov); }
.badge.renamed { background: var(--ren-bg); color: var(--ren); }
.text-change { margin: 14px 0 6px; }
.text-head { margin-bottom: 6px; }
.sbs { display: grid; grid-template-columns: 1fr 1fr; border: 1px solid var(--line); border-radius: 6px;
  overflow: hidden; }
.sbs .col { padding: 4px 14px 8px; min-width: 0; overflow-wrap: anywhere; }
.sbs .col.old { background: #fffbfa; border-right: 1px solid var(--line); }
.sbs .col.new { background: #fbfffc; }
.sbs .colhead { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  margin: 4px 0; }
.sbs p { margin: 6px 0; }
.sbs p.empty { color: var(--muted); font-style: italic; }
del { background: var(--del-word); color: #82071e; text-decoration: line-through;
  text-decoration-color: rgba(130, 7, 30, .45); border-radius: 3px; padding: 0 1px; }
ins { background: var(--add-word); color: #044f1e; text-decoration: none; border-radius: 3px; padding: 0 1px; }
.skip { color: var(--muted); background: var(--bg); border-radius: 4px; padding: 0 6px; margin: 0 2px; }
.sbs p.skip { display: inline-block; margin: 2px 0; }
.md h1, .md h2, .md h3, .md h4, .md h5, .md h6 { font-size: 14px; margin: 10px 0 4px; padding: 0; border: 0; }
.md ul, .md ol { margin: 6px 0; padding-left: 22px; }
.md blockquote { margin: 6px 0; padding: 0 10px; color: var(--muted); border-left: 3px solid var(--line); }
.md a { color: var(--mov); }
.flags { border: 1px solid var(--line); border-radius: 8px; padding: 14px 20px; margin-bottom: 16px; }
.flags p { margin: 0 0 8px; }
.flags ul { list-style: none; padding: 0; margin: 0; }
.flags li { padding: 6px 0; border-top: 1px solid rgba(31, 35, 40, .08); }
.flags h2 .count { font-size: 12px; border-radius: 999px; padding: 1px 8px; margin-left: 6px; color: #fff; }
.flags.risk { background: var(--del-bg); border-color: #ff8182; border-left: 6px solid var(--del); }
.flags.risk h2 { color: #82071e; border-color: var(--del-word); }
.flags.risk h2 .count { background: var(--del); }
.flags.notable { background: var(--mov-bg); border-color: #80ccff; border-left: 6px solid var(--mov); }
.flags.notable h2 { color: #0a3069; border-color: #b6e3ff; }
.flags.notable h2 .count { background: var(--mov); }
.badge.risk { background: var(--del); color: #fff; }
.badge.notable { background: var(--mov); color: #fff; }
li.change.risk { background: var(--del-bg); box-shadow: inset 4px 0 0 var(--del); padding-left: 10px; }
li.change.notable { box-shadow: inset 4px 0 0 var(--mov); padding-left: 10px; }
.status.risk { background: var(--del); color: #fff; }
.same-msg { font-size: 16px; background: var(--add-bg); color: var(--add); border-radius: 8px; padding: 16px; }
@media (max-width: 900px) { .tiles { grid-template-columns: 1fr 1fr; } .sbs { grid-template-columns: 1fr; } }
"""
