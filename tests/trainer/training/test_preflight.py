"""The pre-flight checks: pure checks on rendered samples; the chat-template choice on the real SmolLM2 tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trainer.training.training_helpers import COMPLETION
from trainer.training import CHATML_NO_DEFAULT_SYSTEM, PreflightError, choose_chat_template
from trainer.training.preflight import (
    RenderedSample,
    check_completions,
    check_prompts,
    check_sample,
    check_template,
    check_truncation,
    raise_problems,
)

SMOL_DEFAULT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
PROMPT = "<|im_start|>user\nHow do I bake bread?<|im_end|>\n<|im_start|>assistant\n"
ANSWER_ONLY = "<answer>\nMix flour, water, yeast and salt, knead, rise, bake.\n</answer>"


def sample(full: str, trained: str, truncated: bool = False) -> RenderedSample:
    return RenderedSample(row=0, completion=COMPLETION, full_text=full, trained_text=trained, truncated=truncated)


@pytest.mark.parametrize(("name", "full", "trained", "truncated", "codes"), [
    ("good", PROMPT + COMPLETION + "<|im_end|>\n", COMPLETION + "<|im_end|>\n", False, []),
    ("whitespace differences are fine", PROMPT + COMPLETION.replace("\n", " \n"), COMPLETION.replace("\n", "  "),
     False, []),
    ("template drops the reasoning", PROMPT + ANSWER_ONLY, ANSWER_ONLY, False, ["PF001"]),
    ("loss mask leaves the reasoning out", PROMPT + COMPLETION, ANSWER_ONLY, False, ["PF003"]),
    ("cut by max_length", PROMPT + COMPLETION[:40], COMPLETION[:40], True, ["PF002"]),
    ("answer not trained", PROMPT + COMPLETION, COMPLETION[: COMPLETION.index("<answer>")], False, ["PF004"]),
    ("answer cut by max_length", PROMPT + COMPLETION[:-30], COMPLETION[:-30], True, ["PF002"]),
    ("default system prompt rendered",
     f"<|im_start|>system\n{SMOL_DEFAULT}<|im_end|>\n" + PROMPT + COMPLETION, COMPLETION, False, ["PF006"]),
])
def test_check_sample(name: str, full: str, trained: str, truncated: bool, codes: list[str]) -> None:
    problems = check_sample(sample(full, trained, truncated), default_system=SMOL_DEFAULT, max_length=64)
    assert [p.code for p in problems] == codes, name


def test_problems_say_where_and_what_to_do() -> None:
    [problem] = check_sample(sample(PROMPT + ANSWER_ONLY, ANSWER_ONLY), default_system=None, max_length=64)
    assert problem.format().startswith("training row 0: PF001 the chat template drops or rewrites the reasoning")
    assert "hint: use a template that renders assistant content verbatim" in problem.format()
    with pytest.raises(PreflightError, match=r"(?s)pre-flight check failed \(1 problem.*PF001"):
        raise_problems([problem])
    raise_problems([])  # nothing to report: no error


def test_check_template_prompts_completions_and_truncation() -> None:
    assert check_template(None, "model") == []
    [injected] = check_template(SMOL_DEFAULT, "model")
    assert injected.code == "PF005" and "--chat-template" in injected.hint
    rows = [{"prompt": [{"role": "user", "content": "hi"}]},
            {"prompt": [{"role": "system", "content": "spec"}, {"role": "user", "content": "hi"}]}]
    [system] = check_prompts(rows)
    assert (system.code, system.where) == ("PF007", "rows 1")
    assert check_completions([{"completion": [{"role": "assistant", "content": COMPLETION}]}]) == []
    [bare] = check_completions([{"completion": [{"role": "assistant", "content": "Just an answer."}]}] * 7)
    assert (bare.code, bare.where) == ("PF009", "rows 0, 1, 2, 3, 4 and 2 more")
    [cut] = check_truncation([(10, True), (64, False), (64, True), (70, False)], max_length=64)
    assert (cut.code, cut.where) == ("PF002", "training rows 1, 3")


def test_auto_replaces_the_smollm2_default_system_prompt(smollm2_tokenizer_dir: Path) -> None:
    from transformers import AutoTokenizer

    from trainer.backends import injected_system_prompt, render_chat

    tokenizer = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir, local_files_only=True)
    assert injected_system_prompt(tokenizer) == f"{SMOL_DEFAULT}"
    choice = choose_chat_template(tokenizer, "auto")
    assert (choice.source, choice.name, choice.removed_default_system) == (
        "override", "chatml-without-default-system", SMOL_DEFAULT)
    assert choice.template == CHATML_NO_DEFAULT_SYSTEM
    as_is = choose_chat_template(tokenizer, "model")
    assert as_is.source == "model" and as_is.template == tokenizer.chat_template
    tokenizer.chat_template = choice.template
    assert injected_system_prompt(tokenizer) is None
    assert render_chat(tokenizer, [{"role": "user", "content": "hi"}]) == (
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


def test_auto_keeps_a_non_chatml_template_that_injects(smollm2_tokenizer_dir: Path, tmp_path: Path) -> None:
    """A template delib cannot safely rewrite is kept, so the pre-flight reports the injection (PF005)."""
    from transformers import AutoTokenizer

    from trainer.backends import injected_system_prompt

    tokenizer = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir, local_files_only=True)
    tokenizer.chat_template = (
        "{% if messages[0]['role'] != 'system' %}<|system|>\nYou are Zephyr.</s>\n{% endif %}"
        "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
    choice = choose_chat_template(tokenizer, "auto")
    assert choice.source == "model"
    [problem] = check_template(injected_system_prompt(tokenizer), choice.name)
    assert problem.code == "PF005" and "You are Zephyr." in problem.message
    template = tmp_path / "plain.jinja"
    template.write_text(CHATML_NO_DEFAULT_SYSTEM, encoding="utf-8")
    from_file = choose_chat_template(tokenizer, str(template))
    assert (from_file.source, from_file.template) == ("file", CHATML_NO_DEFAULT_SYSTEM)
    with pytest.raises(PreflightError, match="cannot read it"):
        choose_chat_template(tokenizer, str(tmp_path / "missing.jinja"))
