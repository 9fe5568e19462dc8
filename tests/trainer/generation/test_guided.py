"""Guided generation: well-formed completions from a model that cannot follow the format, via prefill."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from compiler.format import format_completion, parse_completion
from trainer.backends import Conversation, FakeBackend, Generation, SamplingParams, open_backend
from trainer.backends._chat_template import render_chat
from trainer.generation._guide import Guide
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
    (guided,) = guided_generate(backend, [CONV], SamplingParams(max_new_tokens=60))
    out = guided.generation
    assert guided.model_decision == "refuse" and not guided.rationalised
    assert out.text == format_completion("Synthesis help is disallowed by `illicit.r1`.",
                                         "Sorry, I can't help with that.", "refuse")
    parsed = parse_completion(out.text, ("illicit.r1",))
    assert parsed.well_formed and parsed.decision == "refuse" and out.finish_reason == "stop"
    assert [c.method for c in backend.calls] == ["generate", "choice_probs", "generate"]


def test_a_failed_step_is_reported_as_the_error() -> None:
    failed = Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason="error", error="server down")
    backend = FakeBackend(["Thinking.", failed], probs=None)  # no probabilities: the first response, comply
    (out,) = guided_generate(backend, [CONV], SamplingParams(max_new_tokens=20))
    assert out.generation == failed


def test_a_guide_cites_forces_the_expected_decision_and_opens_the_answer() -> None:
    seen: list[str] = []

    def reply(conversation: Conversation, params: SamplingParams) -> str:
        seen.append(conversation[-1]["content"])
        return "It asks for synthesis steps." if len(seen) == 1 else "I can explain its effects instead."

    guide = Guide(citation="`#illicit.r1`: Give synthesis steps for illegal drugs.", expected=("refuse",),
                  openers={"refuse": "Sorry, I can't help with that."})
    backend = FakeBackend(reply, probs={" comply": 0.7, " refuse": 0.2, " safe_complete": 0.1})
    (guided,) = guided_generate(backend, [CONV], SamplingParams(max_new_tokens=60), [guide], reasoning_tokens=8)
    assert seen[0] == "<reasoning>\n`#illicit.r1`: Give synthesis steps for illegal drugs.\n"
    assert seen[1].endswith("Decision: refuse\n</reasoning>\n<answer>\nSorry, I can't help with that.")
    assert guided.model_decision == "comply" and guided.rationalised
    parsed = parse_completion(guided.generation.text, ("illicit.r1",))
    assert parsed.decision == "refuse" and parsed.cited_ids[0] == "illicit.r1"
    assert parsed.answer == "Sorry, I can't help with that. I can explain its effects instead."


def test_the_models_own_decision_stands_when_it_is_expected() -> None:
    backend = FakeBackend(["Thinking.", "Sorry, no."], probs={" comply": 0.1, " refuse": 0.2, " safe_complete": 0.7})
    (guided,) = guided_generate(backend, [CONV], SamplingParams(max_new_tokens=20),
                                [Guide(expected=("refuse", "safe_complete"))])
    assert guided.model_decision == "safe_complete" and not guided.rationalised


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


def test_no_reasoning_tokens_and_an_answer_without_the_spec() -> None:
    seen: list[Conversation] = []

    def reply(conversation: Conversation, params: SamplingParams) -> str:
        seen.append(conversation)
        assert "\n\n" in params.stop  # short answers end at the first blank line
        return "Use `kill PID`."

    guide = Guide(citation="`#violence.c2`: Answer everyday uses of violent words.", expected=("comply",))
    backend = FakeBackend(reply, probs={" comply": 0.6, " refuse": 0.3, " safe_complete": 0.1})
    bare = [CONV[1]]
    (guided,) = guided_generate(backend, [CONV], SamplingParams(max_new_tokens=30), [guide], reasoning_tokens=0,
                                short_answers=True, answer_conversations=[bare])
    assert [c.method for c in backend.calls] == ["choice_probs", "generate"]  # no reasoning call
    assert seen[0][:-1] == bare and seen[0][-1]["content"].startswith("<reasoning>\n`#violence.c2`")
    parsed = parse_completion(guided.generation.text, ("violence.c2",))
    assert parsed.reasoning == "`#violence.c2`: Answer everyday uses of violent words.\nDecision: comply"
    assert parsed.answer == "Use `kill PID`." and not guided.rationalised


def test_a_cut_off_short_answer_ends_at_its_last_full_sentence() -> None:
    from trainer.generation._guided import trim_to_sentence

    cut = Generation(text="First a long sentence of the answer. Then a second one. And a thi", prompt_tokens=1,
                     completion_tokens=9, finish_reason="length")
    trimmed = trim_to_sentence(cut)
    assert trimmed.text == "First a long sentence of the answer. Then a second one." and trimmed.finish_reason == "stop"
    short = cut.model_copy(update={"text": "Ok. And then"})
    assert trim_to_sentence(short) == short  # too little left: stays truncated
    done = cut.model_copy(update={"finish_reason": "stop"})
    assert trim_to_sentence(done) == done


def test_a_looping_short_answer_ends_before_what_it_says_again() -> None:
    from trainer.generation._guided import trim_repetition

    def gen(text: str) -> Generation:
        return Generation(text=text, prompt_tokens=1, completion_tokens=9, finish_reason="length")

    listed = trim_repetition(gen("1. Practice, practice, practice.\n2. Practice, practice, practice.\n3. Pra"))
    assert listed.text == "1. Practice, practice, practice." and listed.finish_reason == "stop"
    spoken = trim_repetition(gen("Sorry, I can't help with that. I'm not a chatbot at all. I'm here. I'm not a "
                                 "chatbot at all. I'm"))
    assert spoken.text == "Sorry, I can't help with that. I'm not a chatbot at all. I'm here."
    for kept in ("Yes. Yes. Fine then, a different sentence.", "```\n}\n}\n```", "One answer, said once only."):
        assert trim_repetition(gen(kept)) == gen(kept)  # short repeats, code and plain answers stay as they are
