"""SFT in each reasoning format: completions reach the model's chat template as that format's message, the
template must keep the reasoning (or is replaced by one that does, or training stops), and the pre-flight
proves on the prepared rows that the reasoning is trained and no system prompt appears."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.reasoning import HARMONY, TAGS, THINK, ReasoningFormat
from tests.trainer.reasoning_models import reasoning_model
from tests.trainer.training.training_helpers import generation_rows, write_generation
from trainer.training import PreflightError, SFTStageConfig, train_sft
from trainer.training.preflight import RenderedSample, check_completions, check_sample

REASONING = "The user asks how to bake bread; nothing in `advice` restricts it (`advice.c1`).\nDecision: comply"
ANSWER = "Mix flour, water, yeast and salt, knead, rise, bake."


def _data(root: Path, fmt: ReasoningFormat) -> Path:
    return write_generation(root / f"gen-{fmt.name}", generation_rows(4, fmt.render(REASONING, ANSWER)))


def _config(model: Path, **changes: object) -> SFTStageConfig:
    return SFTStageConfig(model=f"hf:{model}", max_steps=1, batch_size=2, max_length=256, save_steps=10,
                          logging_steps=1, learning_rate=1e-3, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fmt", "template", "chosen"), [
    (THINK, "qwen3_think", "model"),              # keeps `<think>` in the final turn: used as it is
    (THINK, "r1_chatml", "chatml-keeps-reasoning"),  # strips it: replaced by plain ChatML, which keeps it
    (HARMONY, "harmony", "model"),                # the analysis channel from `thinking`
], ids=["think-qwen3", "think-r1-chatml", "harmony"])
def test_sft_trains_the_reasoning_in_each_format(fmt: ReasoningFormat, template: str, chosen: str,
                                                 tiny_model_dir: Path, tmp_path: Path) -> None:
    model = reasoning_model(tiny_model_dir, tmp_path, template)
    result = train_sft(_data(tmp_path, fmt), tmp_path / "run", _config(model))  # `auto`: from the template
    assert result.action == "trained"
    assert result.manifest.config.reasoning == fmt.name
    assert result.manifest.chat_template is not None and result.manifest.chat_template.name == chosen
    checked = result.manifest.preflight  # the pre-flight report, per format
    assert checked is not None and checked["format"] == fmt.name and checked["checked"] > 0
    assert checked["reasoning_trained"] == checked["with_reasoning"] == checked["checked"]
    assert checked["answers_trained"] == checked["system_prompt_free"] == checked["checked"]


@pytest.mark.parametrize(("template", "choice"), [("r1_plain", "auto"), ("r1_chatml", "model")])
def test_a_template_that_drops_the_reasoning_stops_training(template: str, choice: str, tiny_model_dir: Path,
                                                            tmp_path: Path) -> None:
    model = reasoning_model(tiny_model_dir, tmp_path, template)
    with pytest.raises(PreflightError, match="PF010 it drops the reasoning of a `think` completion") as raised:
        train_sft(_data(tmp_path, THINK), tmp_path / "run", _config(model, chat_template=choice))
    assert "--chat-template FILE.jinja" in raised.value.hint
    assert not (tmp_path / "run" / "run.json").exists()


def test_data_in_another_format_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    model = reasoning_model(tiny_model_dir, tmp_path, "qwen3_think")
    with pytest.raises(PreflightError, match=r"PF009 4 completion\(s\) have no <think>...</think> block"):
        train_sft(_data(tmp_path, TAGS), tmp_path / "run", _config(model))


@pytest.mark.parametrize("fmt", [TAGS, THINK, HARMONY], ids=lambda f: f.name)
def test_check_completions_reads_the_format(fmt: ReasoningFormat) -> None:
    rows = [{"completion": [{"role": "assistant", "content": fmt.render(REASONING, ANSWER)}]},
            {"completion": [{"role": "assistant", "content": ANSWER}]}]
    [problem] = check_completions(rows, fmt=fmt)
    assert problem.code == "PF009" and problem.where == "rows 1" and fmt.reasoning_open in problem.message


def _sample(fmt: ReasoningFormat, prompt: str, trained: str) -> RenderedSample:
    return RenderedSample(row=0, completion=fmt.render(REASONING, ANSWER), full_text=prompt + trained,
                          trained_text=trained, truncated=False, prompt_text=prompt)


@pytest.mark.parametrize(("fmt", "prompt", "trained", "codes"), [
    (THINK, "<|im_start|>assistant\n", THINK.render(REASONING, ANSWER), []),
    # an R1-style generation prompt opens `<think>`: the rest of the block is trained, so it is whole
    (THINK, "Assistant: <think>\n", THINK.render(REASONING, ANSWER).removeprefix("<think>"), []),
    # the loss mask leaves the reasoning out
    (THINK, "<|im_start|>assistant\n" + THINK.render(REASONING, ""), ANSWER, ["PF003"]),
    (HARMONY, "<|start|>assistant", HARMONY.render(REASONING, ANSWER), []),
    (HARMONY, "<|start|>assistant" + HARMONY.render(REASONING, "").split("<|start|>")[0],
     "<|start|>assistant<|channel|>final<|message|>" + ANSWER, ["PF003"]),
], ids=["think", "think-open-in-prompt", "think-masked", "harmony", "harmony-masked"])
def test_check_sample_proves_the_reasoning_is_trained(fmt: ReasoningFormat, prompt: str, trained: str,
                                                      codes: list[str]) -> None:
    problems = check_sample(_sample(fmt, prompt, trained), default_system=None, max_length=256, fmt=fmt)
    assert [p.code for p in problems] == codes
