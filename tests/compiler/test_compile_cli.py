"""`delib compile` as a user runs it: exit codes, what it prints, and what it writes (or not)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler import load_bundle
from tests.compiler.compile_helpers import DIALECT_MINI, MODEL_SPEC_MINI, edit_rule, file_ids
from trainer.cli import app, main

runner = CliRunner()


def _policies(tmp_path: Path) -> Path:
    """A folder like `policies/`: one spec and a README that `expand` skips."""
    folder = tmp_path / "policies"
    folder.mkdir()
    shutil.copy(DIALECT_MINI, folder / "mini.md")
    (folder / "README.md").write_text("# Not a spec\n")
    return folder


def _compile(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["compile", *args, "--tokenizer", "approx"])
    return result.exit_code, result.stdout, result.stderr


def test_compile_folder_then_recompile(tmp_path: Path) -> None:
    folder, out = _policies(tmp_path), tmp_path / "build" / "bundle"
    code, stdout, _ = _compile(str(folder), "-o", str(out))
    assert code == 0
    assert "compiled 2 categories (mini @ " in stdout and f"into {out}: 2 written, 0 unchanged, 0 removed" in stdout
    assert "system prompt tokens (approx-chars/4): " in stdout
    assert load_bundle(out).categories == ("weapons", "insults")
    before = file_ids(out)
    code, stdout, _ = _compile(str(folder), "-o", str(out))
    assert code == 0 and "0 written, 2 unchanged, 0 removed" in stdout
    assert file_ids(out) == before


def test_check(tmp_path: Path) -> None:
    folder, out = _policies(tmp_path), tmp_path / "bundle"
    code, _, stderr = _compile(str(folder), "-o", str(out), "--check")
    assert code == 1 and "no bundle here" in stderr and not out.exists()
    _compile(str(folder), "-o", str(out))
    code, stdout, _ = _compile(str(folder), "-o", str(out), "--check")
    assert code == 0 and f"{out} is up to date (2 categories)" in stdout
    (folder / "mini.md").write_text(edit_rule(DIALECT_MINI.read_text(), "weapons.c1"))
    before = file_ids(out)
    code, _, stderr = _compile(str(folder), "-o", str(out), "--check")
    assert code == 1
    assert f"{out} is out of date:\n  spec revision changed: mini\n  stale categories: weapons\n" in stderr
    assert f"run `delib compile {folder} -o {out}` to update it" in stderr
    assert file_ids(out) == before  # --check writes nothing


def test_lint_errors_exit_1_and_write_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text(DIALECT_MINI.read_text().replace("[?](#insults)", "[?](#insultz)"))
    code, _, stderr = _compile(str(bad), "-o", str(tmp_path / "bundle"))
    assert code == 1
    assert "SPEC031 cross-reference to unknown section 'insultz'" in stderr
    assert "1 lint error(s); nothing compiled" in stderr
    assert not (tmp_path / "bundle").exists()


def test_warnings_are_shown_but_do_not_stop(tmp_path: Path) -> None:
    code, _, stderr = _compile(str(MODEL_SPEC_MINI), "-o", str(tmp_path / "bundle"))
    assert code == 0 and "SPEC035" in stderr


def test_unreadable_spec_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["delib", "compile", str(tmp_path / "missing.md"), "-o", str(tmp_path / "b")])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert "missing.md:1:1: SPEC001 no such file" in capsys.readouterr().err


def test_no_specs_in_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, stderr = _compile(str(tmp_path / "empty"), "-o", str(tmp_path / "b"))
    assert code == 2 and "no spec files found" in stderr


def test_bad_template_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "system_prompt.md.j2").write_text("fine\n{{ category.no_such_key }}\n")
    code, _, stderr = _compile(str(DIALECT_MINI), "-o", str(tmp_path / "b"), "--templates", str(templates))
    assert code == 2
    assert f"error: {templates / 'system_prompt.md.j2'}:2: 'dict object' has no attribute 'no_such_key'" in stderr
    assert "Traceback" not in stderr and not (tmp_path / "b").exists()


def test_token_budget_warning(tmp_path: Path) -> None:
    out = tmp_path / "b"
    code, _, stderr = _compile(str(DIALECT_MINI), "-o", str(out), "--max-tokens", "100")
    assert code == 0
    assert f"warning: {out}/categories/weapons/system_prompt.md: " in stderr
    assert "tokens, over the budget of 100 (--max-tokens)" in stderr


def test_tokenizer_folder(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    (tmp_path / "word-level").mkdir()
    tokenizer.save(str(tmp_path / "word-level" / "tokenizer.json"))
    result = runner.invoke(app, ["compile", str(DIALECT_MINI), "-o", str(tmp_path / "b"),
                                 "--tokenizer", str(tmp_path / "word-level")])
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["tokenizer"]["name"] == "word-level" and manifest["tokenizer"]["exact"] is True


def test_missing_tokenizer_folder_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compile", str(DIALECT_MINI), "-o", str(tmp_path / "b"),
                                 "--tokenizer", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "tokenizer folder does not exist" in result.stderr


def test_duplicate_categories_exit_2(tmp_path: Path) -> None:
    copy = tmp_path / "copy.md"
    copy.write_text(DIALECT_MINI.read_text().replace("id: mini", "id: copy"))
    code, _, stderr = _compile(str(DIALECT_MINI), str(copy), "-o", str(tmp_path / "b"))
    assert code == 2 and "category 'weapons' is also a category of" in stderr


def test_spec_without_categories_warns(tmp_path: Path) -> None:
    spec = tmp_path / "empty.md"
    spec.write_text("---\nid: e\ntitle: E\n---\n\n# Overview {#overview kind=overview}\n\nNothing here.\n")
    code, stdout, stderr = _compile(str(spec), "-o", str(tmp_path / "b"))
    assert code == 0 and "compiled 0 categories" in stdout
    assert "the specs have no categories" in stderr
