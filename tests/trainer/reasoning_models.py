"""Tiny random models whose chat templates follow each reasoning format's conventions (written for the tests).

    path = reasoning_model(tiny_model_dir, tmp_path, "qwen3_think")    # open it as hf:<path>

Every template renders ChatML-like turns with the SmolLM2 tokenizer's `<|im_start|>` / `<|im_end|>` (the end of
a turn is the tokenizer's end-of-sequence token, so generation stops there), except `harmony`, which follows
gpt-oss: `<|start|>ROLE<|message|>...<|end|>`, the final assistant turn as analysis + final channels from the
message's `thinking` and `content`, earlier ones final only, channel tags refused in `content`.

- `qwen3_think`: Qwen3's convention: `<think>` kept in the final assistant turn, stripped from earlier ones.
- `r1_chatml`: DeepSeek-R1's convention on ChatML: everything up to `</think>` stripped from every assistant turn
  (the reasoning would never be trained; plain ChatML renders everything else the same way).
- `r1_plain`: the same stripping in a non-ChatML layout (no training template fits: a clear error).
- `harmony`: gpt-oss's harmony layout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

_CHATML_TURN = "{{ '<|im_start|>' + m['role'] + '\\n' + CONTENT + '<|im_end|>\\n' }}"
_GEN = "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

TEMPLATES: dict[str, str] = {
    "qwen3_think": (
        "{% for m in messages %}"
        "{% if m['role'] == 'assistant' and not loop.last and '</think>' in m['content'] %}"
        "{% set content = m['content'].split('</think>')[-1].lstrip('\\n') %}"
        "{% else %}{% set content = m['content'] %}{% endif %}"
        + _CHATML_TURN.replace("CONTENT", "content") + "{% endfor %}" + _GEN
    ),
    "r1_chatml": (
        "{% for m in messages %}"
        "{% if m['role'] == 'assistant' and '</think>' in m['content'] %}"
        "{% set content = m['content'].split('</think>')[-1].lstrip('\\n') %}"
        "{% else %}{% set content = m['content'] %}{% endif %}"
        + _CHATML_TURN.replace("CONTENT", "content") + "{% endfor %}" + _GEN
    ),
    "r1_plain": (
        "{% for m in messages %}"
        "{% if m['role'] == 'user' %}{{ '<|im_start|>User: ' + m['content'] + '\\n' }}"
        "{% elif m['role'] == 'assistant' %}{% set content = m['content'] %}"
        "{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
        "{{ 'Assistant: ' + content + '<|im_end|>\\n' }}"
        "{% else %}{{ m['content'] + '\\n' }}{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}{{ 'Assistant: <think>\\n' }}{% endif %}"
    ),
    "harmony": (
        "{% for m in messages %}"
        "{% if m['role'] == 'assistant' %}"
        "{% if '<|channel|>' in m['content'] %}"
        "{{ raise_exception('pass the analysis in `thinking`, not channel tags in `content`') }}{% endif %}"
        "{% if loop.last and not add_generation_prompt and m.get('thinking') %}"
        "{{ '<|start|>assistant<|channel|>analysis<|message|>' + m['thinking'] + '<|end|>' }}{% endif %}"
        "{{ '<|start|>assistant<|channel|>final<|message|>' + m['content'] }}"
        "{{ '<|return|><|im_end|>' if loop.last and not add_generation_prompt else '<|end|>' }}"
        "{% else %}{{ '<|start|>' + m['role'] + '<|message|>' + m['content'] + '<|end|>' }}{% endif %}"
        "{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|start|>assistant' }}{% endif %}"
    ),
}


def reasoning_model(tiny_model_dir: Path, root: Path, name: str) -> Path:
    """A copy of the tiny random model whose tokenizer carries the chat template `TEMPLATES[name]`."""
    from transformers import AutoTokenizer

    out = root / f"tiny-{name}"
    if out.exists():
        return out
    shutil.copytree(tiny_model_dir, out, ignore=shutil.ignore_patterns("*tokenizer*", "chat_template*",
                                                                        "special_tokens*"))
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir, local_files_only=True)
    tokenizer.chat_template = TEMPLATES[name]
    tokenizer.save_pretrained(out)
    return out
