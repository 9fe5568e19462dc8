"""Every way `delib test`, `delib eval` and `delib eval-judge` refuse bad input: exit 2, a clear message on
stderr (what, where, what to do), never a traceback.

Each row names the command line with placeholders filled from the `files` fixture: `{mini}` the fixture
policy, `{bundle}` its compiled bundle, and the files `files` writes (good and broken prompt and
labelled files, a spec with a lint error, a spec without examples, a file where a folder should be).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tests.trainer.evaluation.eval_helpers import MINI, Run

PROMPTS = [{"prompt": "q", "label": "safe", "category": "weapons"}] * 3
LABELED = [{"prompt": "q", "response": "Sorry, I can't help with that.", "label": "refuse", "category": "weapons"}]


NO_EXAMPLES = """---
id: noexamples
title: No examples
version: 0.1.0
owners: [evaluation-tests]
description: A category without examples.
---

# Cats {#cats kind=category authority=root}

## Disallowed

- {#cats.r1} Be rude to cats.
"""


def _jsonl(rows: Sequence[Mapping[str, object]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


@pytest.fixture
def files(tmp_path: Path, bundle_dir: Path) -> dict[str, str]:
    text = MINI.read_text()
    written = {
        "prompts.jsonl": _jsonl(PROMPTS),
        "no_category.jsonl": _jsonl([{"prompt": "q", "label": "safe"}] * 3),
        "shark.jsonl": _jsonl([{"prompt": "q", "label": "safe", "category": "sharks"}]),
        "broken.jsonl": '{"prompt": "q"}\n{oops\n',
        "bad_label.jsonl": _jsonl([{"prompt": "q", "label": "maybe"}]),
        "dup_ids.jsonl": _jsonl([{"id": "a", "prompt": "q"}, {"id": "a", "prompt": "r"}]),
        "empty.jsonl": "\n",
        "labeled.jsonl": _jsonl(LABELED),
        "labeled_style.jsonl": _jsonl([{**LABELED[0], "label": "partial"}]),
        "labeled_short.jsonl": _jsonl([{"prompt": "q", "label": "refuse"}]),
        "labeled_shark.jsonl": _jsonl([{**LABELED[0], "category": "sharks"}]),
        "lint_error.md": text.replace("BAD[#weapons.r1]", "BAD[#weapons.zz]"),
        "other_spec.md": text.replace("id: evalmini", "id: other"),
        "no_examples.md": NO_EXAMPLES,
        "a_file": "not a folder\n",
    }
    for name, content in written.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    return {**{name.split(".")[0]: str(tmp_path / name) for name in written}, "mini": str(MINI),
            "bundle": str(bundle_dir), "missing": str(tmp_path / "missing.jsonl"), "out": str(tmp_path / "out")}


EVAL = "eval model-a -b {bundle} -p {prompts} -o {out} --judge judge-good"
JUDGE = "eval-judge -l {labeled} --spec {mini} --judge judge-good"

CASES = [
    # delib test
    ("test-missing-spec", "test nope.md", "nope.md:1:1: SPEC001 no such file"),
    ("test-lint-error", "test {lint_error} --judge judge-good", "1 lint error(s):"),
    ("test-no-examples", "test {no_examples} --judge judge-good --no-route", "no example comparison to test"),
    ("test-unknown-category", "test {mini} --judge judge-good -c sharks", "no category 'sharks' in the spec"),
    ("test-unknown-judge", "test {mini} --judge not-a-backend --no-route", "no scripted backend 'not-a-backend'"),
    ("test-unknown-model", "test {mini} --judge judge-good --model nope --no-route", "no scripted backend 'nope'"),
    ("test-bad-limit", "test {mini} --limit 0", "Invalid value for '--limit'"),
    # delib eval
    ("eval-missing-prompts", "eval model-a -b {bundle} -p {missing} -o {out} --judge judge-good",
     "missing.jsonl: no such file"),
    ("eval-malformed-jsonl", EVAL.replace("{prompts}", "{broken}"), "broken.jsonl:2: not JSON"),
    ("eval-bad-label", EVAL.replace("{prompts}", "{bad_label}"), "`label` is 'maybe'; use `safe` or `unsafe`"),
    ("eval-duplicate-ids", EVAL.replace("{prompts}", "{dup_ids}"), "id 'a' is used again (first on line 1)"),
    ("eval-empty-file", EVAL.replace("{prompts}", "{empty}"), "no prompts in the file"),
    ("eval-no-category", EVAL.replace("{prompts}", "{no_category}"), "3 prompt(s) have no category"),
    ("eval-unknown-category", EVAL.replace("{prompts}", "{shark}"),
     "name a category the bundle does not have ("),
    ("eval-missing-bundle", EVAL.replace("{bundle}", "{missing}"), "no bundle here"),
    ("eval-spec-not-in-bundle", EVAL + " --spec {other_spec}", "spec 'other' is not in the bundle"),
    ("eval-same-model", EVAL + " --vs model-a", "--vs names the same model as MODEL"),
    ("eval-unknown-model", EVAL.replace("model-a", "nope"), "no scripted backend 'nope'"),
    ("eval-unknown-judge", EVAL.replace("judge-good", "nope"), "no scripted backend 'nope'"),
    ("eval-output-is-a-file", EVAL.replace("{out}", "{a_file}"), "cannot write the results"),
    ("eval-bad-style-source", EVAL + " --style-from vibes", "Invalid value for '--style-from'"),
    # delib eval-judge
    ("judge-no-spec", "eval-judge -l {labeled} --judge judge-good", "give --spec SPEC or --bundle BUNDLE"),
    ("judge-missing-file", JUDGE.replace("{labeled}", "{missing}"), "missing.jsonl: no such file"),
    ("judge-malformed-jsonl", JUDGE.replace("{labeled}", "{broken}"), "broken.jsonl:2: not JSON"),
    ("judge-bad-style", JUDGE.replace("{labeled}", "{labeled_style}"),
     "`label` is 'partial'; use one of comply, refuse, safe_complete"),
    ("judge-missing-field", JUDGE.replace("{labeled}", "{labeled_short}"), "no `response` field"),
    ("judge-unknown-category", JUDGE.replace("{labeled}", "{labeled_shark}"), "the bundle does not have"),
    ("judge-no-rows-in-split", JUDGE + " --split report", "no rows with split 'report'"),
    ("judge-unknown-judge", JUDGE.replace("judge-good", "nope"), "no scripted backend 'nope'"),
    ("judge-lint-error", JUDGE.replace("{mini}", "{lint_error}"), "1 lint error(s):"),
]


@pytest.mark.parametrize(("command", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_error(run: Run, backends: object, files: dict[str, str], command: str,
                                      message: str) -> None:
    code, stdout, stderr = run(*command.format(**files).split())
    assert code == 2, stdout + stderr
    assert message in stderr, stderr
    assert "Traceback" not in stdout + stderr and "internal error" not in stderr


@pytest.mark.parametrize("command", ["test {mini} --no-route --judge bogus:x",
                                     "eval bogus:x -b {bundle} -p {prompts} -o {out}",
                                     "eval-judge -l {labeled} --spec {mini} --judge bogus:x"])
def test_an_unknown_backend_lists_the_accepted_forms(run: Run, files: dict[str, str], command: str) -> None:
    """The real registry (nothing loads: the spec is refused before any model is read)."""
    code, stdout, stderr = run(*command.format(**files).split())
    assert code == 2 and "Traceback" not in stdout + stderr
    assert "invalid model address 'bogus:x': unknown address; accepted forms:" in stderr
    assert "openai:BASE_URL[#MODEL]" in stderr  # shown as text, not eaten as console markup
