"""Spec text in the HTML diff report: Markdown rendered as safe HTML, with the changed words marked over it.

Rendering is safe by construction: raw HTML in spec text is escaped (`html=False`), links go through
markdown-it's `validateLink` (no `javascript:`, `vbscript:`, `file:` or `data:` URL becomes a link) and get
`rel="nofollow noopener noreferrer"`, and images are not rendered (an image would load an external resource:
`![alt](url)` shows as `!` and a link).

A word diff is shown as two columns, before and after, each the Markdown of its side rendered with its changed
words marked `<del>` (before) or `<ins>` (after). The marks are placed in the Markdown source as sentinel
characters at word boundaries, and after rendering they wrap each text run they cover, so they never break
the HTML nesting even when a change crosses a bold span or a paragraph. Unchanged paragraphs are elided
(`…`), keeping whole paragraphs so that no emphasis or list is cut in two; a heading just before a shown
paragraph is kept for orientation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from spec_lang._diff_model import Chunk, ChunkOp
from spec_lang._diff_words import BREAK

# Sentinels: Tai Xuan Jing symbols (Unicode category So, which CommonMark counts as punctuation, so a mark
# next to `**` keeps it an opener or closer). Spec text never needs them; any in it are dropped.
_SKIP, _DEL, _INS, _END, _TOUCH = "\U0001d300", "\U0001d301", "\U0001d302", "\U0001d303", "\U0001d304"
_OPEN = {"delete": _DEL, "insert": _INS}
_ANY = re.compile("[\U0001d300-\U0001d304]")
_MARK = re.compile(f"([{_DEL}{_INS}{_END}])")
_TAG = re.compile(r"(<[^>]*>)")
_BLOCK_START = re.compile(rf"^([{_DEL}{_INS}{_END}]+)((?:#{{1,6}}|[-*+]|\d{{1,9}}[.)]|>)[ \t]+)", re.M)
"""Marks before a line's block marker (`### `, `- `, `> `), which would stop it being one: moved after it
(`_TOUCH` stays: it is removed before rendering)."""


def _link_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "xhtmlOut": False}).disable("image")
    md.add_render_rule("link_open", _link_open)
    return md


_MD = _markdown()
"""Not the parser's instance (`parser._MD`): that one reads raw HTML (`html=True`), which must not be rendered."""


def render_inline(text: str) -> str:
    """One line of spec text (a rule, a title) as inline HTML."""
    return str(_MD.renderInline(_ANY.sub("", text))).strip()


def _side_source(chunks: tuple[Chunk, ...], which: ChunkOp) -> str:
    """The Markdown of one side, its changed runs wrapped in sentinels; `_TOUCH` where only the other side changed
    (not next to a change of this side: that one is shown already)."""
    parts = []
    for n, c in enumerate(chunks):
        text = _ANY.sub("", c.text)
        if c.op == "equal":
            parts.append(text)
        elif c.op == which:
            body = text.rstrip()
            parts.append(_OPEN[which] + body + _END + text[len(body):])
        elif all(other.op != which for other in chunks[max(n - 1, 0):n + 2]):
            parts.append(_TOUCH)
    return _BLOCK_START.sub(r"\2\1", "".join(parts))


def _elide(source: str) -> str:
    """Changed paragraphs (and a heading just before one); each run of the others becomes one `_SKIP`."""
    paras = source.split(BREAK)
    touched: list[bool] = []
    inside = False
    for n, para in enumerate(paras):
        rest = para.lstrip(_TOUCH) if n else para
        if rest != para:  # the other side changed between this paragraph and the last: show the last, as context
            touched[n - 1] = True
        touched.append(inside or bool(_ANY.search(rest)))
        marks = _MARK.findall(para)
        inside = marks[-1] != _END if marks else inside
    keep = {n for n, t in enumerate(touched) if t}
    keep |= {n - 1 for n in keep if n and paras[n - 1].lstrip(_DEL + _INS + _END + _TOUCH).startswith("#")}
    out: list[str] = []
    for n, para in enumerate(paras):
        if not _ANY.sub("", para).strip():  # only where the other side changed: nothing to show
            continue
        if n in keep:
            out.append(para)
        elif not out or out[-1] != _SKIP:
            out.append(_SKIP)
    return BREAK.join(out)


def _marked(html: str) -> str:
    """Sentinels turned into `<del>`/`<ins>` around each text run they cover (tags are never split)."""
    out: list[str] = []
    tag: str | None = None
    for part in _TAG.split(html):
        if part.startswith("<"):
            out.append(_ANY.sub("", part))
            continue
        for piece in _MARK.split(part):
            if piece in (_DEL, _INS, _END):
                tag = {_DEL: "del", _INS: "ins"}.get(piece)
            elif piece:
                out.append(f"<{tag}>{piece}</{tag}>" if tag and piece.strip() else piece)
    return "".join(out)


def render_side(chunks: tuple[Chunk, ...], which: ChunkOp) -> str:
    """One column: the `delete` (before) or `insert` (after) side of a word diff, rendered and marked."""
    source = _elide(_side_source(chunks, which))
    if not _ANY.sub("", source).strip():
        return '<p class="empty">(no text)</p>'
    html = str(_MD.render(source.replace(_TOUCH, "")))
    html = html.replace(f"<p>{_SKIP}</p>", '<p class="skip">…</p>')
    return _marked(html).strip()


def side_by_side(chunks: tuple[Chunk, ...]) -> str:
    """Two columns, before and after, each rendered Markdown with the changed words marked."""
    return ('<div class="sbs"><div class="col old md"><div class="colhead">Before</div>'
            f'{render_side(chunks, "delete")}</div><div class="col new md"><div class="colhead">After</div>'
            f'{render_side(chunks, "insert")}</div></div>')
