"""Ids a bundle's `manifest.json` names become paths (`categories/<id>/`, `sources/<id>.json`), so a manifest
edited to name `../victim` or an absolute path is refused when read: `delib generate` stops with an error
naming the file and the id, `delib compile` replaces the manifest with a warning, and nothing outside the
bundle or `-o` is read, deleted or written."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compiler import ApproxCounter, Bundle, BundleError, CompileError, compile_spec, load_bundle, write_bundle
from compiler._manifest import FILES
from spec_lang import parse
from tests.compiler.compile_helpers import DIALECT_MINI, compile_to, load_clean

DelibCli = Callable[..., tuple[int, str, str]]


def _escape(root: Path, under: str, target: Path, absolute: bool) -> str:
    return str(target) if absolute else os.path.relpath(target, root / under)


# name -> how to break the manifest (data, bundle root, victim folder) -> the bad id.
def _category_up(data: dict[str, Any], root: Path, victim: Path, absolute: bool = False) -> str:
    bad = _escape(root, "categories", victim, absolute)
    data["categories"][0]["id"] = bad
    return bad


def _spec_up(data: dict[str, Any], root: Path, victim: Path, absolute: bool = False) -> str:
    bad = _escape(root, "sources", victim / "secret", absolute)
    data["specs"][0]["id"] = bad
    return bad


def _category_spec_field(data: dict[str, Any], root: Path, victim: Path) -> str:
    data["categories"][1]["spec"] = "../x"
    return "../x"


CASES: dict[str, Callable[[dict[str, Any], Path, Path], str]] = {
    "category_relative": _category_up,
    "category_absolute": lambda d, r, v: _category_up(d, r, v, absolute=True),
    "spec_relative": _spec_up,
    "spec_absolute": lambda d, r, v: _spec_up(d, r, v, absolute=True),
    "category_spec_field": _category_spec_field,
    "category_dotdot": lambda d, r, v: d["categories"][0].__setitem__("id", "..") or "..",
    "category_subfolder": lambda d, r, v: d["categories"][0].__setitem__("id", "a/b") or "a/b",
}


def _tampered(tmp_path: Path, case: str) -> tuple[Path, Path, str]:
    """A bundle under tmp_path/out/bundle whose manifest names a bad id, and a victim folder next to it
    holding copies of a category's files (so the manifest's hashes match them) and `secret.json`."""
    root = tmp_path / "out" / "bundle"
    compile_to([DIALECT_MINI], root)
    victim = tmp_path / "victim"
    shutil.copytree(root / "categories" / "weapons", victim)
    (victim / "secret.json").write_text("{}\n")
    manifest = root / "manifest.json"
    data = json.loads(manifest.read_text())
    bad = CASES[case](data, root, victim)
    manifest.write_text(json.dumps(data))
    return root, victim, bad


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_load_bundle_refuses_the_manifest(tmp_path: Path, case: str) -> None:
    root, victim, bad = _tampered(tmp_path, case)
    with pytest.raises(BundleError) as info:
        load_bundle(root)
    assert str(root / "manifest.json") in info.value.message and repr(bad) in info.value.message


@pytest.mark.parametrize("case", sorted(CASES))
def test_compile_replaces_the_manifest_and_touches_nothing_outside(tmp_path: Path, delib_cli: DelibCli,
                                                                   case: str) -> None:
    root, victim, bad = _tampered(tmp_path, case)
    before = _snapshot(victim)
    code, stdout, stderr = delib_cli("compile", str(DIALECT_MINI), "-o", str(root), "--tokenizer", "approx")
    assert code == 0, stderr
    assert "warning:" in stderr and str(root / "manifest.json") in stderr and repr(bad) in stderr
    assert _snapshot(victim) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "victim"]
    assert load_bundle(root).categories == ("weapons", "insults")


@pytest.mark.parametrize("case", sorted(CASES))
def test_compile_check_says_the_bundle_is_unreadable(tmp_path: Path, delib_cli: DelibCli, case: str) -> None:
    root, victim, bad = _tampered(tmp_path, case)
    before = _snapshot(tmp_path)
    code, _, stderr = delib_cli("compile", str(DIALECT_MINI), "-o", str(root), "--check")
    assert code == 1 and repr(bad) in stderr and "internal error" not in stderr
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("case", sorted(CASES))
def test_generate_refuses_the_bundle_and_writes_nothing(tmp_path: Path, delib_cli: DelibCli, case: str) -> None:
    root, victim, bad = _tampered(tmp_path, case)
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"prompt": "How do I build a gun?", "category": "weapons"}) + "\n")
    before = _snapshot(tmp_path)
    code, _, stderr = delib_cli("generate", str(root), "--prompts", str(prompts), "-o", str(tmp_path / "gen"),
                                "--generator", "fake", "--judge", "fake", "--samples", "1")
    assert code == 2, stderr
    assert str(root / "manifest.json") in stderr and repr(bad) in stderr and "internal error" not in stderr
    assert _snapshot(tmp_path) == before and not (tmp_path / "gen").exists()


def test_in_memory_bundle_refuses_bad_ids(tmp_path: Path) -> None:
    bundle = compile_spec(load_clean(DIALECT_MINI), counter=ApproxCounter())
    with pytest.raises(ValueError, match=r"invalid id '\.\./x'"):
        Bundle(manifest=bundle.manifest, texts={"../x": {}}, sources=bundle.sources)
    with pytest.raises(ValueError, match=r"invalid id '/abs'"):
        Bundle(manifest=bundle.manifest, texts=bundle.texts, sources={"/abs": "{}"})
    write_bundle(bundle, tmp_path / "b")
    assert {p.name for p in (tmp_path / "b" / "categories" / "weapons").iterdir()} == set(FILES)


@pytest.mark.parametrize("ident", ["../../x", str(Path("/tmp/x"))])
def test_compile_refuses_a_spec_whose_id_is_a_path(ident: str) -> None:
    """Specs built in Python skip lint: the compiler checks the ids it turns into file names itself."""
    spec = load_clean(DIALECT_MINI)
    bad = spec.model_copy(update={"meta": spec.meta.model_copy(update={"id": ident})})
    with pytest.raises(CompileError, match=f"spec invalid id {ident!r}"):
        compile_spec(bad, counter=ApproxCounter())
    section = parse("# A {#a kind=category}\n\ntext\n", "p.md").spec
    moved = section.model_copy(update={"sections": (section.sections[0].model_copy(update={"id": ident}),)})
    with pytest.raises(CompileError, match=f"category invalid id {ident!r}"):
        compile_spec(moved, counter=ApproxCounter())
