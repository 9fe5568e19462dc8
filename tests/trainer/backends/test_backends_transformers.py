"""TransformersBackend on a tiny random Llama with the SmolLM2 tokenizer: batching, seeds, stops, counts, scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trainer.backends import (
    BackendClosedError,
    BackendError,
    ChatMessage,
    ModelUnavailableError,
    SamplingParams,
    TransformersBackend,
    open_backend,
)

SMOLLM_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
GREEDY = SamplingParams(temperature=0.0, max_new_tokens=6)
CONVERSATIONS: list[list[ChatMessage]] = [
    [{"role": "user", "content": "hi"}],
    [{"role": "user", "content": "a much longer question about a great many different things, really"}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "x"}],
    [{"role": "user", "content": "medium length question here"}],
    [{"role": "user", "content": "What is 2+2?"}],
]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> TransformersBackend:
    backend = open_backend(f"hf:{tiny_model_dir}", batch_size=2)
    assert isinstance(backend, TransformersBackend)
    return backend


def test_model_id_names_the_folder(tiny: TransformersBackend, tiny_model_dir: Path) -> None:
    assert tiny.model_id == f"hf:{tiny_model_dir.resolve()}"


def test_one_generation_per_conversation_in_order(tiny: TransformersBackend) -> None:
    batched = tiny.generate(CONVERSATIONS, GREEDY)
    one_by_one = [tiny.generate([c], GREEDY)[0] for c in CONVERSATIONS]
    assert len(batched) == len(CONVERSATIONS)
    # Greedy decoding does not depend on batch company when padding is right (left, masked, positions shifted).
    assert [g.text for g in batched] == [g.text for g in one_by_one]
    assert [g.prompt_tokens for g in batched] == [
        len(tiny.tokenizer(tiny.render(c))["input_ids"]) for c in CONVERSATIONS
    ]


def test_empty_input_gives_empty_output(tiny: TransformersBackend) -> None:
    assert tiny.generate([], GREEDY) == []
    assert tiny.choice_probs([], "", ["a", "b"]) == []


def test_sampling_is_seeded(tiny: TransformersBackend) -> None:
    params = SamplingParams(temperature=1.0, top_p=1.0, max_new_tokens=8, seed=123)
    first = tiny.generate(CONVERSATIONS, params)
    assert tiny.generate(CONVERSATIONS, params) == first
    assert tiny.generate(CONVERSATIONS, params.model_copy(update={"seed": 124})) != first


def test_seeded_sampling_leaves_the_global_rng_alone(tiny: TransformersBackend) -> None:
    import torch

    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    tiny.generate(CONVERSATIONS[:1], SamplingParams(max_new_tokens=3, seed=1))
    assert torch.equal(torch.rand(3), expected)


def test_length_limit_and_token_counts(tiny: TransformersBackend) -> None:
    # A random model practically never picks the end token among 49k, so every row runs to the limit.
    out = tiny.generate(CONVERSATIONS, SamplingParams(temperature=1.0, max_new_tokens=5, seed=0))
    assert all(g.finish_reason == "length" and g.completion_tokens == 5 for g in out)
    assert all(g.prompt_tokens > 0 and g.error is None for g in out)


def test_stop_string_cuts_and_stops(tiny: TransformersBackend) -> None:
    params = SamplingParams(temperature=1.0, top_p=1.0, max_new_tokens=12, seed=7)
    [free] = tiny.generate(CONVERSATIONS[:1], params)
    words = free.text.split()
    assert len(words) >= 3, free.text
    stop = words[2]
    [stopped] = tiny.generate(CONVERSATIONS[:1], params.model_copy(update={"stop": (stop,)}))
    assert stopped.finish_reason == "stop"
    assert stopped.text == free.text[: free.text.index(stop)]
    assert stopped.completion_tokens < free.completion_tokens


def test_choice_probs_sum_to_one(tiny: TransformersBackend) -> None:
    choices = ["1", "2", "3", "4", "5"]
    results = tiny.choice_probs(CONVERSATIONS, '{"score": ', choices)
    assert len(results) == len(CONVERSATIONS)
    for probs in results:
        assert probs is not None and list(probs) == choices
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
        assert all(0.0 < p < 1.0 for p in probs.values())


def test_choice_probs_do_not_depend_on_batch_company(tiny: TransformersBackend) -> None:
    choices = ["yes", "no"]
    batched = tiny.choice_probs(CONVERSATIONS, "Verdict: ", choices)
    alone = [tiny.choice_probs([c], "Verdict: ", choices)[0] for c in CONVERSATIONS]
    for a, b in zip(batched, alone, strict=True):
        assert a is not None and b is not None
        assert a == pytest.approx(b, abs=1e-4)


def test_choices_sharing_a_first_token_are_refused(tiny: TransformersBackend) -> None:
    with pytest.raises(BackendError, match="start with the same token"):
        tiny.choice_probs(CONVERSATIONS[:1], "", ["yes", "yes please"])


def test_chat_template_injects_a_system_prompt(tiny: TransformersBackend) -> None:
    assert tiny.injected_system_prompt() == SMOLLM_SYSTEM
    rendered = tiny.render([{"role": "user", "content": "hi"}])
    assert rendered.startswith(f"<|im_start|>system\n{SMOLLM_SYSTEM}<|im_end|>")
    assert rendered.endswith("<|im_start|>assistant\n")


def test_closed_backend_refuses(tiny_model_dir: Path) -> None:
    backend = TransformersBackend.from_pretrained(tiny_model_dir)
    backend.close()
    with pytest.raises(BackendClosedError, match="is closed"):
        backend.generate(CONVERSATIONS[:1], GREEDY)


def test_lora_adapter_folder_loads_base_and_merges(tiny_model_dir: Path, tmp_path: Path) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base: Any = AutoModelForCausalLM.from_pretrained(tiny_model_dir, local_files_only=True)
    peft_model: Any = get_peft_model(
        base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    )
    peft_model.save_pretrained(tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    with torch.inference_mode():
        expected = peft_model(input_ids=torch.tensor([[1, 2, 3]])).logits[0, -1]

    backend = open_backend(f"hf:{tmp_path / 'adapter'}")
    assert isinstance(backend, TransformersBackend)
    with torch.inference_mode():
        got = backend.model(input_ids=torch.tensor([[1, 2, 3]])).logits[0, -1]
    assert torch.allclose(got, expected, atol=1e-4)
    assert backend.generate(CONVERSATIONS[:1], GREEDY)[0].completion_tokens == GREEDY.max_new_tokens


def test_tokenizer_without_chat_template_is_refused(tiny: TransformersBackend) -> None:
    from transformers import AutoTokenizer

    bare = AutoTokenizer.from_pretrained(tiny.tokenizer.name_or_path, local_files_only=True)
    bare.chat_template = None
    with pytest.raises(ModelUnavailableError, match="no chat template"):
        TransformersBackend(tiny.model, bare, model_id="hf:bare")


def test_template_without_default_system_prompt(tiny: TransformersBackend) -> None:
    from trainer.backends import injected_system_prompt

    chatml = tiny.tokenizer.chat_template.replace(
        "{% if loop.first and messages[0]['role'] != 'system' %}", "{% if false %}"
    )
    assert chatml != tiny.tokenizer.chat_template

    class Template:
        chat_template = chatml

        def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any:
            return tiny.tokenizer.apply_chat_template(conversation, chat_template=chatml, **kwargs)

    assert injected_system_prompt(Template()) is None
