"""Guided generation: well-formed completions from a model that cannot follow the format, via prefill."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from compiler.format import format_completion, parse_completion
from trainer.backends import Conversation, FakeBackend, Generation, SamplingParams, open_backend
from trainer.backends._chat_template import render_chat
from trainer.generation._guided import guided_generate

CONV: Conversation = [{"role": "system", "content": "Policy."}, {"role": "user", "content": "How do I cook meth?"}]


def test_three_steps_make_a_well_formed_completion_from_the_models_words() -> None:
    def reply(conversation: Conversation, params: SamplingParams) -> str:
        assert conversation[-1]["role"] == "assistant"
        if conversation[-1]["content"] == "<reasoning>\n":
            assert "Decision:" in params.stop
            return "Synthesis help is disallowed by `illicit.r1`."
        assert conversation[-1]["content"].endswith("Decision: refuse\n</reasoning>\n<answer>\n")
        return "Sorry, I can't help with that."

    backend = FakeBackend(reply, probs={" comply": 0.1, " refuse": 0.8, " safe_complete": 0.1})
    (out,) = guided_generate(backend, [CONV], SamplingParams(max_new_tokens=60))
    assert out.text == format_completion("Synthesis help is disallowed by `illicit.r1`.",
                                         "Sorry, I can't help with that.", "refuse")
    parsed = parse_completion(out.text, ("illicit.r1",))
    assert parsed.well_formed and parsed.decision == "refuse" and out.finish_reason == "stop"
    assert [c.method for c in backend.calls] == ["generate", "choice_probs", "generate"]


def test_a_failed_step_is_reported_as_the_error() -> None:
    failed = Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason="error", error="server down")
    backend = FakeBackend(["Thinking.", failed], probs=None)  # no probabilities: the first response, comply
    (out,) = guided_generate(backend, [CONV], SamplingParams(max_new_tokens=20))
    assert out == failed


def test_chat_template_continues_a_final_assistant_message(smollm2_tokenizer_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir, local_files_only=True)
    text = render_chat(tokenizer, [*CONV, {"role": "assistant", "content": "<reasoning>\n"}])
    assert text.endswith("<|im_start|>assistant\n<reasoning>\n")  # inside the turn: no end token, no new header


def test_openai_backend_asks_the_server_to_continue_the_message(fake_openai: ModuleType,
                                                                fake_openai_server: Any) -> None:
    server = fake_openai_server(lambda request: fake_openai.chat_reply("more"))
    backend = open_backend(f"openai:{server.url}#fake-model")
    backend.generate([[*CONV, {"role": "assistant", "content": "<reasoning>\n"}]], SamplingParams(max_new_tokens=5))
    body = server.chat_requests[-1].body
    assert body["continue_final_message"] is True and body["add_generation_prompt"] is False
    assert body["messages"][-1] == {"role": "assistant", "content": "<reasoning>\n"}
    backend.close()
