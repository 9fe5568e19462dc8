"""One real run: the embedded SmolLM2-135M generates and judges a few XSTest prompts, routed by real
retrieval over the tiny policy (slow: about a minute or two on two CPU cores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.paths import SHARED
from tests.trainer.generation.gen_helpers import candidates, data
from tests.trainer.tiny_policy import tiny_bundle, tiny_spec
from trainer.backends import TransformersBackend
from trainer.generation import GenerationConfig, LazyBackend, RetrieverCategoriser, read_prompts, run_generation
from trainer.judging import JudgeConfig

XSTEST = SHARED / "xstest" / "xstest_prompts.csv"
COLUMNS = {"prompt", "completion", "category", "retrieval_score", "uncategorised", "spec_revision", "category_hash",
           "template_hash", "system_prompt_hash", "generator_model", "judge_model", "sampling", "judge_score",
           "judge_run_scores", "judge_rationales", "judge_raw", "sample_index", "key", "prompt_key", "status"}


@pytest.mark.slow
def test_embedded_model_generates_and_judges(delib_model_cache: Path, tmp_path: Path) -> None:
    if not XSTEST.exists():
        pytest.skip(f"shared data missing: {XSTEST}")
    prompts = read_prompts(XSTEST, limit=3)
    backend = TransformersBackend.embedded(cache_dir=delib_model_cache)
    assert LazyBackend("embedded").model_id == backend.model_id
    config = GenerationConfig(samples=2, max_new_tokens=24, seed=0, batch_size=3, threshold=1.0,
                              judge=JudgeConfig(runs=1, max_new_tokens=16), judge_malformed=True, panel=False)
    categoriser = RetrieverCategoriser(tiny_spec(), tiny_bundle().categories)
    report = run_generation(config, tiny_bundle(), prompts, tmp_path, backend, backend, categoriser=categoriser)
    assert report.errors == 0 and report.totals.candidates == 6 and report.retrieved == 3
    assert report.generator.calls == 2 and report.judge.calls == 2  # one choice_probs and one generate call
    rows = candidates(tmp_path)
    assert len(rows) == 6 and all(set(r) >= COLUMNS for r in rows)
    for row in rows:
        assert [m["role"] for m in row["prompt"]] == ["user"] and row["completion"][0]["content"]
        assert row["generator_model"] == backend.model_id and row["judge_model"] == backend.model_id
        assert row["judge_score"] is not None and 1.0 <= row["judge_score"] <= 5.0  # from choice probabilities
        assert len(row["judge_raw"]) == 1 and row["retrieval_score"] is not None
    assert all("You are a helpful AI assistant that follows" not in str(r["prompt"]) for r in rows + data(tmp_path))
    again = run_generation(config, tiny_bundle(), prompts, tmp_path, backend, backend, categoriser=categoriser)
    assert again.cached == 6 and again.generator.calls == 0 and again.judge.calls == 0
