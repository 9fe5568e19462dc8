"""The HTML diff report: one self-contained, well-formed file with every spec text escaped, that headless
Chromium renders."""

from __future__ import annotations

import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from spec_lang import Spec, load, parse
from spec_lang.diff import diff_specs
from spec_lang.report_html import render_html
from tests.paths import release

CHROMIUM = Path("/usr/bin/chromium")
BASE = (Path(__file__).parent / "fixtures" / "diff" / "base.md").read_text(encoding="utf-8")
VOID = {"meta", "br", "hr", "img", "input", "link"}


def _safe_link(href: str | None, attrs: list[tuple[str, str | None]]) -> bool:
    if href is None or href.startswith("#"):
        return href is not None
    scheme = href.split(":", 1)[0].lower() if ":" in href.split("/", 1)[0] else ""
    return scheme in ("", "http", "https", "mailto") and ("rel", "nofollow noopener noreferrer") in attrs


class _Checker(HTMLParser):
    """Records nesting errors, anything that would load an external resource or run a script, and unsafe links."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:  # a link loads nothing, but it must be a safe one, opened without a referrer
            if name == "src" or name.startswith("on") or (name == "href" and not _safe_link(value, attrs)):
                self.problems.append(f"{tag} {name}={value}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()


def check(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.problems == [] and checker.stack == [], (checker.problems[:5], checker.stack)
    assert "url(" not in html and "@import" not in html
    return checker


def spec(text: str, name: str) -> Spec:
    return parse(text, name).spec


def test_report_is_self_contained_well_formed_and_marks_words() -> None:
    new_text = (BASE.replace("trigger locks, gun safes", "trigger locks, cable locks, gun safes")
                .replace("{#legacy_notes}", "{#archive_notes}").replace("authority=developer", "authority=root")
                .replace("Read the category that matches the request in full, and the summary of\nevery other one.",
                         "Read the category that matches the request in full.\n\nThen read every other summary."))
    old, new = spec(BASE, "old.md"), spec(new_text, "new.md")
    html = render_html(diff_specs(old, new), old, new)
    tags = check(html).tags
    assert tags["del"] >= 1 and tags["ins"] >= 2 and tags["style"] == 1
    assert "<ins>cable locks,</ins>" in html and "archive_notes" in html
    groups = [line.split("</h2>")[0] for line in html.split("<h2>")[1:]]  # grouped by top-level section
    assert groups == ['Notable changes <span class="count">1</span>', "Impact", 'Overview <code>overview</code>',
                      'Categories <code>categories</code>']  # the flags first (authority raised: notable)


def test_spec_text_is_escaped() -> None:
    evil = BASE.replace("Refuse briefly and kindly", "Refuse <script>alert('x')</script> & <b>briefly</b>")
    evil = evil.replace("## Privacy {#privacy", "## Privacy <img src=x onerror=alert(1)> {#privacy")
    old, new = spec(BASE, "old.md"), spec(evil, "new<&>.md")
    html = render_html(diff_specs(old, new), old, new)
    check(html)
    assert "<script" not in html and "<img" not in html and "<b>briefly" not in html
    assert "&lt;script&gt;" in html and "new&lt;&amp;&gt;.md" in html


def test_no_change_and_cosmetic_reports() -> None:
    old = spec(BASE, "a.md")
    same = render_html(diff_specs(old, old), old, old)
    assert "no change" in same and check(same)
    wrapped = spec(BASE.replace("quarterly reviews by\nthe policy team", "quarterly\nreviews by the policy team"),
                   "b.md")
    cosmetic = render_html(diff_specs(old, wrapped), old, wrapped)
    assert "cosmetic changes only" in cosmetic


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed (/usr/bin/chromium); "
                    "`make test` installs it with apt-get install chromium")
def test_release_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    old, new = load(str(release("2025-04-11"))).spec, load(str(release("2025-09-12"))).spec
    report = tmp_path / "report.html"
    report.write_text(render_html(diff_specs(old, new), old, new), encoding="utf-8")
    check(report.read_text(encoding="utf-8"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    png = tmp_path / "report.png"
    subprocess.run([str(CHROMIUM), *flags, f"--screenshot={png}", "--window-size=1280,2000", report.as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert png.exists(), "chromium wrote no screenshot"
    assert _png_size(png) == (1280, 2000)
    assert png.stat().st_size > 50_000  # a rendered page, not a blank one
    dom = subprocess.run([str(CHROMIUM), *flags, "--dump-dom", report.as_uri()], capture_output=True, text=True,
                         timeout=120, check=False).stdout
    assert "love_humanity" in dom and "<del>" in dom and "<ins>" in dom
