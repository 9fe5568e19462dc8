"""Bundles on disk: the layout, the Python API, byte-identical and incremental rebuilds, atomic writes,
and clear errors for bundles that are missing, corrupt or edited by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import ApproxCounter, BundleError, compile_spec, load_bundle, write_bundle
from compiler._manifest import FILES, FORMAT_VERSION
from compiler.format import COMPLETION_FORMAT
from spec_lang.versions import category_hashes, revision_id
from tests.compiler.compile_helpers import (
    DIALECT_MINI,
    MODEL_SPEC_MINI,
    add_paragraph,
    compile_to,
    edit_rule,
    file_ids,
    load_clean,
    rewritten_categories,
    write_spec,
)


def test_layout_and_manifest(tmp_path: Path) -> None:
    compile_to([DIALECT_MINI], tmp_path)
    for category in ("weapons", "insults"):
        assert sorted(p.name for p in (tmp_path / "categories" / category).iterdir()) == sorted(FILES)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    spec = load_clean(DIALECT_MINI)
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["completion_format"] == COMPLETION_FORMAT
    assert manifest["tool"].startswith("deliberative ")
    assert manifest["revision"] == revision_id(spec)
    assert manifest["specs"] == [{"id": "mini", "title": "Miniature safety policy", "version": "0.1.0",
                                  "format": "deliberative", "revision": revision_id(spec)}]
    assert sorted(manifest["templates"]) == ["_policy.md.j2", "_profile.md.j2", "rubric.md.j2", "system_prompt.md.j2"]
    assert manifest["tokenizer"] == {"name": "approx-chars/4", "exact": False, "digest": None}
    assert [c["id"] for c in manifest["categories"]] == ["weapons", "insults"]
    assert {c["id"]: c["hash"] for c in manifest["categories"]} == category_hashes(spec)
    assert set(manifest["categories"][0]["tokens"]) == {"system_prompt.md", "rubric.md", "rubric_answer_only.md"}


def test_python_api(tmp_path: Path) -> None:
    spec = load_clean(DIALECT_MINI)
    compiled = compile_spec(spec, counter=ApproxCounter())
    write_bundle(compiled, tmp_path)
    bundle = load_bundle(tmp_path)
    assert bundle == compiled
    assert bundle.categories == ("weapons", "insults")
    assert bundle.revision == revision_id(spec)
    assert bundle.category_hash("weapons") == category_hashes(spec)["weapons"]
    assert bundle.system_prompt("weapons") == (tmp_path / "categories/weapons/system_prompt.md").read_text()
    assert bundle.rubric("weapons") == (tmp_path / "categories/weapons/rubric.md").read_text()
    assert bundle.rubric("weapons", show_reasoning=False) == (
        tmp_path / "categories/weapons/rubric_answer_only.md").read_text()
    assert bundle.rubric_schema("insults")["title"] == "Verdict (insults)"
    assert "insults.r1" in bundle.valid_ids("insults") and "weapons.r1" not in bundle.valid_ids("insults")
    assert bundle.tokens("weapons")["system_prompt.md"] == -(-len(bundle.system_prompt("weapons")) // 4)
    assert bundle.over_budget(10**6) == []
    assert ("weapons", "rubric.md", bundle.tokens("weapons")["rubric.md"]) in bundle.over_budget(10)
    with pytest.raises(BundleError, match="no category 'nope' in this bundle") as info:
        bundle.system_prompt("nope")
    assert "categories: weapons, insults" in str(info.value)


@pytest.mark.parametrize("path", [DIALECT_MINI, MODEL_SPEC_MINI], ids=lambda p: p.stem)
def test_rebuild_is_byte_identical_and_writes_nothing(tmp_path: Path, path: Path) -> None:
    compile_to([path], tmp_path / "a")
    compile_to([path], tmp_path / "b")
    before = file_ids(tmp_path / "a")
    _, report = compile_to([path], tmp_path / "a")
    assert report.written == () and report.removed == ()
    assert file_ids(tmp_path / "a") == before
    _, report = compile_to([path], tmp_path / "a", force=True)  # re-rendered, same bytes: still untouched
    assert report.written == ()
    assert file_ids(tmp_path / "a") == before
    files_a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    files_b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    assert files_a == files_b


def test_rule_edit_rewrites_exactly_its_category(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    compile_to([DIALECT_MINI], out)
    before = file_ids(out)
    spec = write_spec(tmp_path, edit_rule(DIALECT_MINI.read_text(), "insults.r1"))
    _, report = compile_to([spec], out)
    assert report.written == ("insults",) and report.unchanged == ("weapons",)
    assert rewritten_categories(before, file_ids(out)) == {"insults"}
    assert "(edited for a test)" in load_bundle(out).system_prompt("insults")


def test_style_edit_rewrites_every_category_that_shows_it(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    compile_to([DIALECT_MINI], out)
    before = file_ids(out)
    spec = write_spec(tmp_path, add_paragraph(DIALECT_MINI.read_text(), "style_refuse"))
    _, report = compile_to([spec], out)
    assert report.written == ("weapons", "insults")
    assert rewritten_categories(before, file_ids(out)) == {"weapons", "insults"}


def test_bundle_keeps_the_parsed_spec_it_was_compiled_from(tmp_path: Path) -> None:
    compile_to([DIALECT_MINI], tmp_path / "a")
    copy = write_spec(tmp_path, DIALECT_MINI.read_text())  # same content, another path
    compile_to([copy], tmp_path / "b")
    snapshot = (tmp_path / "a" / "sources" / "mini.json").read_bytes()
    assert snapshot == (tmp_path / "b" / "sources" / "mini.json").read_bytes()  # path-independent
    (spec,) = load_bundle(tmp_path / "a").specs()
    assert spec == load_clean(DIALECT_MINI) and revision_id(spec) == revision_id(load_clean(DIALECT_MINI))
    (tmp_path / "a" / "sources" / "mini.json").unlink()
    with pytest.raises(BundleError, match="no snapshot of spec 'mini'"):
        load_bundle(tmp_path / "a").specs()


def test_removed_category_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    compile_to([DIALECT_MINI], out)
    text = DIALECT_MINI.read_text()
    spec = write_spec(tmp_path, text[: text.index("## Insults")].replace("Related: [?](#insults).", ""))
    _, report = compile_to([spec], out)
    assert report.removed == ("insults",)
    assert not (out / "categories" / "insults").exists()
    assert load_bundle(out).categories == ("weapons",)


def test_failed_write_leaves_the_previous_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "bundle"
    compile_to([DIALECT_MINI], out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    spec = write_spec(tmp_path, add_paragraph(DIALECT_MINI.read_text(), "overview"))
    real = Path.write_bytes
    calls = []

    def failing(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) == 5:
            raise OSError(28, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    with pytest.raises(BundleError, match="No space left on device") as info:
        compile_to([spec], out)
    assert "the previous manifest is kept" in str(info.value)
    monkeypatch.undo()
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # no temp file left either
    load_bundle(out)


def test_cannot_write_into_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(BundleError, match="cannot write the bundle"):
        compile_to([DIALECT_MINI], target)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"no bundle here \(manifest.json is missing\)") as info:
        load_bundle(tmp_path / "nowhere")
    assert "delib compile SPEC -o" in str(info.value)
    compile_to([DIALECT_MINI], tmp_path)
    prompt = tmp_path / "categories" / "weapons" / "system_prompt.md"
    prompt.write_text(prompt.read_text() + "hand edit\n")
    (tmp_path / "categories" / "insults" / "rubric.md").unlink()
    with pytest.raises(BundleError, match="do not match the manifest: categories/weapons/system_prompt.md "
                       r"\(modified\), categories/insults/rubric.md \(missing\)"):
        load_bundle(tmp_path)
    manifest = tmp_path / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "format_version": 99}))
    with pytest.raises(BundleError, match="bundle format 99, this delib reads format 1"):
        load_bundle(tmp_path)
    manifest.write_text("{not json")
    with pytest.raises(BundleError, match="manifest.json: not a valid bundle manifest"):
        load_bundle(tmp_path)
    manifest.write_text(json.dumps({**data, "categories": "nope"}))
    with pytest.raises(BundleError, match="not a valid bundle manifest"):
        load_bundle(tmp_path)


def test_several_specs_in_one_bundle(tmp_path: Path) -> None:
    bundle, _ = compile_to([DIALECT_MINI, MODEL_SPEC_MINI], tmp_path)
    assert bundle.categories[:2] == ("weapons", "insults") and "be_warm" in bundle.categories
    assert [s.id for s in bundle.manifest.specs] == ["mini", "spec"]
    assert bundle.revision not in {s.revision for s in bundle.manifest.specs}
    assert {c.spec for c in bundle.manifest.categories} == {"mini", "spec"}
    assert "Miniature safety policy" not in bundle.system_prompt("be_warm")  # each category from its own spec


def test_duplicate_ids_across_specs(tmp_path: Path) -> None:
    from compiler import CompileError

    copy = write_spec(tmp_path, DIALECT_MINI.read_text().replace("id: mini", "id: other"), "copy.md")
    with pytest.raises(CompileError, match="category 'weapons' is also a category of") as info:
        compile_to([DIALECT_MINI, copy], tmp_path / "bundle")
    assert "compile the specs into separate bundles" in str(info.value)
    same = write_spec(tmp_path, DIALECT_MINI.read_text(), "same.md")
    with pytest.raises(CompileError, match="spec id 'mini' is also the id of"):
        compile_to([DIALECT_MINI, same], tmp_path / "bundle")
