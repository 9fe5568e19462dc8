"""`.pre-commit-hooks.yaml`: the `delib-lint` hooks are well-formed pre-commit hook definitions whose command
passes on this repository's policies and fails a commit that breaks a spec."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.paths import REPO

HOOKS: list[dict[str, Any]] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
LANGUAGES = {"system", "python", "script", "docker", "node"}


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: h["id"])
def test_each_hook_has_what_pre_commit_requires(hook: dict[str, Any]) -> None:
    assert {"id", "name", "entry", "language"} <= set(hook) and hook["language"] in LANGUAGES
    assert shlex.split(hook["entry"]) == ["delib", "lint"] and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("policies/safety.md") and not files.search("trainer/cli/_app.py")


def test_delib_lint_is_the_hook_id_the_docs_name() -> None:
    assert [h["id"] for h in HOOKS] == ["delib-lint", "delib-lint-isolated"]
    assert "id: delib-lint" in (REPO / "README.md").read_text(encoding="utf-8")


def _hook_command(hook: dict[str, Any], root: Path) -> list[str]:
    return [*shlex.split(hook["entry"])[1:], *(str(root / a) for a in hook["args"])]


def test_the_hook_passes_on_this_repository_and_fails_a_broken_spec(delib_cli: Any, tmp_path: Path) -> None:
    hook = HOOKS[0]
    code, _, stderr = delib_cli(*_hook_command(hook, REPO))
    assert code == 0, stderr
    broken = tmp_path / "policies"
    broken.mkdir()
    (broken / "p.md").write_text("# P {#p}\n\n## Cat {#cat kind=category}\n\nSee [x](#nope).\n", encoding="utf-8")
    code, stdout, _ = delib_cli(*_hook_command(hook, tmp_path))
    assert code == 1 and "SPEC031" in stdout
