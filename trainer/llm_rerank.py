"""A chat model as a listwise category reranker (`compiler.retrieval.ListReranker`), behind `--llm-rerank`.

    with open_llm_reranker("openai:http://localhost:8000/v1#my-model") as reranker:
        retriever = retriever.llm_reranked(reranker)

For each prompt the model reads the prompt and its best candidate sections (numbered, each with its
heading and its excerpts most similar to the prompt) and answers with the numbers of the sections that
govern the prompt, most relevant first. Greedy decoding (temperature 0, a fixed seed), all prompts in one
batched `generate`. `parse_ranking` reads the answer leniently (numbers or section ids, in any wording,
after any inline reasoning); an answer that names no candidate keeps the first stage's order for that
prompt. A request that fails (the server cannot be reached, an HTTP error) raises `LlmRerankError`.

The embedded model is refused (`check_reranker_address`): a 135M-parameter model ranks the sections at
chance, so it would only add noise and time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from compiler.retrieval import Candidate
from trainer.backends import BackendError, ChatBackend, ChatMessage, SamplingParams, open_backend, parse_address

SYSTEM = ("You route user prompts to the section of a behaviour specification that governs how an assistant "
          "should answer them. You answer with section numbers only.")

ANSWER_FORMAT = ("Which of these sections govern how an assistant should answer the prompt? Answer with the "
                 "numbers of the governing sections, most relevant first, separated by commas (for example: "
                 "3, 1, 2), and nothing else.")

SAMPLING = SamplingParams(temperature=0.0, top_p=1.0, max_new_tokens=96, seed=0)
"""Greedy, seeded: the same prompt and candidates give the same ranking (as far as the server is deterministic)."""

EMBEDDED_REFUSED = ("--llm-rerank embedded: the bundled SmolLM2-135M-Instruct is too small to rank the candidate "
                    "sections (it ranks them at chance), so reranking with it would only add noise and time; pass "
                    "a strong model, e.g. --llm-rerank openai:http://localhost:8000/v1#MODEL")


class LlmRerankError(BackendError):
    """The reranking model cannot be used (the embedded model) or failed to answer."""


def check_reranker_address(address: str) -> None:
    """Raise `LlmRerankError` for the embedded model and `ModelAddressError` for a malformed address."""
    if parse_address(address).kind == "embedded":
        raise LlmRerankError(EMBEDDED_REFUSED)


def conversation(prompt: str, candidates: Sequence[Candidate]) -> list[ChatMessage]:
    """The chat turns that ask the model to rank `candidates` (numbered from 1) for `prompt`."""
    listed = []
    for n, candidate in enumerate(candidates, start=1):
        lines = [f"[{n}] {candidate.title.strip() or candidate.id} (id: {candidate.id})"]
        lines += [f"    - {' '.join(excerpt.split())}" for excerpt in candidate.excerpts if excerpt.strip()]
        listed.append("\n".join(lines))
    user = (f"User prompt:\n<<<\n{prompt.strip()}\n>>>\n\nCandidate sections:\n" + "\n\n".join(listed)
            + f"\n\n{ANSWER_FORMAT}")
    return [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=user)]


_REASONING_END = re.compile(r"</(?:think|thinking|reasoning)>", re.IGNORECASE)
_TOKEN = re.compile(r"[\w.\-]+")


def parse_ranking(text: str, candidates: Sequence[Candidate]) -> list[int] | None:
    """The candidates an answer names (0-based), in the order it names them, each once: a number from 1 to
    the number of candidates, or a candidate's id. Text before a closing reasoning tag is skipped. None when
    the answer names no candidate."""
    answer = _REASONING_END.split(text)[-1]
    ids = {c.id.lower(): n for n, c in enumerate(candidates)}
    picked: list[int] = []
    for token in _TOKEN.findall(answer):
        key = token.strip(".-").lower()
        n = int(key) - 1 if key.isdigit() and 1 <= int(key) <= len(candidates) else ids.get(key)
        if n is not None and n not in picked:
            picked.append(n)
    return picked or None


def ranking_scores(picked: Sequence[int], n: int) -> NDArray[np.float32]:
    """Scores for `n` candidates from the ones an answer named: the first named n, the next n-1, ...; the
    others 0 (they keep their order below the named ones)."""
    scores = np.zeros(n, dtype=np.float32)
    for rank, index in enumerate(picked):
        scores[index] = n - rank
    return scores


class ChatListReranker:
    """A `ListReranker` over a chat backend. Closing it closes the backend."""

    def __init__(self, backend: ChatBackend, params: SamplingParams = SAMPLING) -> None:
        self.backend = backend
        self.params = params
        self.unreadable = 0
        """Answers that named no candidate so far (their prompts kept the first stage's order)."""

    @property
    def model_id(self) -> str:
        return f"llm-rerank:{self.backend.model_id}"

    def rank(self, queries: Sequence[tuple[str, Sequence[Candidate]]]) -> list[NDArray[np.float32] | None]:
        generations = self.backend.generate([conversation(p, c) for p, c in queries], self.params)
        failed = [g.error for g in generations if g.finish_reason == "error"]
        if failed:
            raise LlmRerankError(f"the reranking model {self.backend.model_id} failed on {len(failed)} of "
                                 f"{len(generations)} prompts: {failed[0]}")
        out: list[NDArray[np.float32] | None] = []
        for (_, candidates), generation in zip(queries, generations, strict=True):
            picked = parse_ranking(generation.text, candidates)
            self.unreadable += picked is None
            out.append(None if picked is None else ranking_scores(picked, len(candidates)))
        return out

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> ChatListReranker:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def open_llm_reranker(address: str) -> ChatListReranker:
    """A reranker over the chat model at `address` (`trainer.backends.parse_address`); the embedded model
    is refused (`LlmRerankError`)."""
    check_reranker_address(address)
    return ChatListReranker(open_backend(address))
