"""`spec_lang.atomic.write_atomic`, the one way commands write an output file: all or nothing, and a link
in the way is replaced rather than written through (`delib diff -o` once overwrote a link's target)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spec_lang.atomic import write_atomic
from spec_lang.errors import DelibError, OutputError
from tests.compiler.compile_helpers import DIALECT_MINI, edited
from trainer.cli import app


@pytest.mark.parametrize("data", ["text, é\n", b"\x00bytes\xff"])
def test_writes_text_and_bytes_creating_the_folder(data: str | bytes, tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.txt"
    write_atomic(target, data)
    assert target.read_bytes() == (data.encode() if isinstance(data, str) else data)
    assert os.listdir(target.parent) == ["out.txt"]  # no temporary file left


def test_the_new_file_has_the_usual_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    write_atomic(tmp_path / "out.txt", "x")
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_link_is_replaced_and_its_target_left_alone(tmp_path: Path) -> None:
    precious, link = tmp_path / "precious.txt", tmp_path / "report.html"
    precious.write_text("keep me\n")
    link.symlink_to(precious)
    write_atomic(link, "<html>")
    assert not link.is_symlink() and link.read_text() == "<html>"
    assert precious.read_text() == "keep me\n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    (tmp_path / "sub").write_text("a file where a folder should be")
    with pytest.raises(OutputError) as info:
        write_atomic(tmp_path / "sub" / "out.txt", "new")
    assert isinstance(info.value, DelibError) and info.value.exit_code == 2
    assert str(info.value).startswith(f"{tmp_path / 'sub' / 'out.txt'}: cannot write (")
    assert target.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["out.txt", "sub"]


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_delib_diff_output_replaces_a_link(fmt: str, tmp_path: Path) -> None:
    new = edited(DIALECT_MINI, tmp_path, "# Weapons", "# Arms", name="new.md")
    precious, link = tmp_path / "precious.txt", tmp_path / f"report.{fmt}"
    precious.write_text("keep me\n")
    link.symlink_to(precious)
    result = CliRunner().invoke(app, ["diff", str(DIALECT_MINI), str(new), "-f", fmt, "-o", str(link)])
    assert result.exit_code == 1, result.output
    assert precious.read_text() == "keep me\n"
    assert not link.is_symlink() and link.stat().st_size > 0
