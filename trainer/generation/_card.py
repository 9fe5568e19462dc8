"""The dataset card (`README.md`): YAML metadata the Hugging Face Hub and `datasets.load_dataset(OUT)` read
(configs and their files, license, tags, task category, size), then provenance, counts per category, rates
and score histograms. Settings that are unset (a seed of None) are left out, never printed as `None`. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from compiler.bundle import Bundle
from trainer.generation._config import GenerationConfig
from trainer.generation._pairs import preference_pairs
from trainer.generation._report import Counts, count, total
from trainer.generation._select import Outcome, output_row
from trainer.judging import is_reward_model

BAR = 30
EDGES = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)


def histogram(scores: Sequence[float]) -> list[str]:
    """Text bars of scores in half-point bins over 1..5 (the last bin includes 5)."""
    bins = [0] * (len(EDGES) - 1)
    for s in scores:
        index = min(len(bins) - 1, max(0, int((s - EDGES[0]) / 0.5)))
        bins[index] += 1
    peak = max(bins) or 1
    lines = []
    for i, n in enumerate(bins):
        close = "]" if i == len(bins) - 1 else ")"
        bar = "#" * round(BAR * n / peak)
        lines.append(f"[{EDGES[i]:.1f}, {EDGES[i + 1]:.1f}{close} {bar:<{BAR}} {n}")
    return lines


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _table(per_category: dict[str, Counts]) -> list[str]:
    lines = ["| category | prompts | kept rows | candidates | rejected | unscored | errors |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    rows = [*per_category.items(), ("**total**", total(per_category))]
    for name, c in rows:
        lines.append(f"| {name} | {c.prompts} | {c.kept} | {c.candidates} | {c.rejected} | {c.unscored} "
                     f"| {c.errors} |")
    return lines


def _provenance(bundle: Bundle, config: GenerationConfig, generator: str, judge: str) -> list[str]:
    specs = ", ".join(f"`{s.id}` @ `{s.revision}`" for s in bundle.manifest.specs)
    j = config.judge
    return [
        f"- Spec revision `{bundle.revision}` ({specs}); compiled by {bundle.manifest.tool}, completion format "
        f"`{bundle.manifest.completion_format}`.",
        f"- Generator `{generator}`: {config.samples} samples per prompt, temperature {config.temperature}, "
        f"top_p {config.top_p}, max_new_tokens {config.max_new_tokens}"
        f"{'' if config.seed is None else f', seed {config.seed}'}.",
        _judge_line(judge, config),
        f"- Kept: per prompt, the best candidate in the format whose {j.runs} judge run(s) all succeeded and were "
        f"read, with a score >= {config.threshold:g}.",
    ]


def _judge_line(judge: str, config: GenerationConfig) -> str:
    j = config.judge
    if is_reward_model(judge):
        return (f"- Judge `{judge}`: a reward model trained from the spec's own examples (`delib train judge`); it "
                "reads the conversation and the answer (no rubric, no reasoning), and its reward r gives the score "
                "1 + 4 * sigmoid(r).")
    variant = "sees the reasoning and the answer" if j.show_reasoning else "sees the answer only"
    return (f"- Judge `{judge}`: rubric that {variant}; score = minimum over {j.runs} run(s)"
            f"{', from choice probabilities where the backend gives them' if j.use_choice_probs else ''}.")


SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))
"""The Hub's size categories, by the number of kept rows."""


def metadata(kept: int) -> dict[str, Any]:
    """The card's YAML metadata: three configs of one `train` split each, the kept rows (`default`), every
    candidate (`candidates`) and the preference pairs (`pairs`). Candidates are a config of their own, not a
    split beside the kept rows, because `datasets` reads every split of a config with the first split's
    inferred types (a column that is null in every kept row, `reject_reason`, cannot then hold text)."""
    size = next((name for limit, name in SIZES if kept < limit), "1M<n<10M")
    return {
        "license": "unknown",
        "pretty_name": "Deliberative-alignment SFT data",
        "tags": ["deliberative-alignment", "safety", "synthetic", "sft", "dpo", "delib"],
        "task_categories": ["text-generation"],
        "size_categories": [size],
        "configs": [
            {"config_name": "default", "default": True, "data_files": [{"split": "train", "path": "data.jsonl"}]},
            {"config_name": "candidates", "data_files": [{"split": "train", "path": "candidates.jsonl"}]},
            {"config_name": "pairs", "data_files": [{"split": "train", "path": "pairs.jsonl"}]},
        ],
    }


def front_matter(kept: int) -> list[str]:
    """`metadata(kept)` as the card's opening `---` block."""
    return ["---", *yaml.safe_dump(metadata(kept), sort_keys=False).splitlines(), "---", ""]


def render_card(outcomes: Sequence[Outcome], bundle: Bundle, config: GenerationConfig, generator: str,
                judge: str) -> str:
    """The dataset card of a run's outputs."""
    per = count(outcomes)
    t = total(per)
    pairs = len(preference_pairs([output_row(o) for o in outcomes]))
    scores = [o.candidate.judgement.score for o in outcomes
              if o.candidate.judgement is not None and o.candidate.judgement.score is not None]
    lines = [*front_matter(t.kept), "# Deliberative-alignment SFT data", "",
             "Generated by `delib generate`: every prompt got its category's system prompt spec(category), "
             "sampled completions (reasoning, then answer) were graded by a spec-aware judge, and the best "
             "one above the threshold was kept with the system prompt dropped.", "",
             "## Provenance", "", *_provenance(bundle, config, generator, judge), "",
             "## Counts", "", *_table(per), "",
             f"Of {t.candidates} candidates: kept {_pct(t.kept, t.candidates)}, rejected "
             f"{_pct(t.rejected, t.candidates)}, unscored {_pct(t.unscored, t.candidates)}, errors "
             f"{_pct(t.errors, t.candidates)} ({t.errors}: a generation or a judge request failed; the next run "
             f"retries them). Prompts with a kept row: {t.kept} of {t.prompts} "
             f"({_pct(t.kept, t.prompts)}). Preference pairs: {pairs}.", "",
             "## Judge scores", "", f"All judged candidates ({len(scores)}):", "", "```text", *histogram(scores),
             "```", ""]
    for category in per:
        mine = [o.candidate.judgement.score for o in outcomes if o.candidate.category == category
                and o.candidate.judgement is not None and o.candidate.judgement.score is not None]
        if mine:
            lines += [f"`{category}` ({len(mine)}):", "", "```text", *histogram(mine), "```", ""]
    lines += ["## Files", "",
              "- `data.jsonl`: the kept rows, in TRL's conversational prompt-completion format (`prompt`: the "
              "conversation without the system prompt; `completion`: one assistant turn, reasoning and answer), "
              "with provenance columns (category, retrieval score, spec revision, category hash, template hash, "
              "generator and judge models, sampling parameters, judge scores, rationales and raw outputs, "
              "sample index, content key).",
              "- `candidates.jsonl`: every candidate with the same columns, its `status` (kept, rejected, "
              "unscored, error) and `reject_reason`: pairs of a kept and a rejected candidate of one prompt "
              "make preference data.",
              "- `pairs.jsonl`: those preference pairs in TRL's conversational preference format for "
              "`DPOTrainer` (`prompt`, `chosen`: the kept completion, `rejected`: a rejected candidate of the same "
              "prompt scored lower or not in the format), with `category`, `prompt_key`, both scores and keys, and "
              "the `reject_reason`; a tie with the kept score makes no pair.",
              "- `dataset/`: the same as a `datasets.DatasetDict` (`load_from_disk`): split `train` (kept rows) "
              "and split `candidates`.", "",
              "Load it with `datasets.load_dataset(\"FOLDER\")` (the kept rows), `load_dataset(\"FOLDER\", "
              "\"candidates\")` or `load_dataset(\"FOLDER\", \"pairs\")`; the license is `unknown` until the "
              "data's owner sets it (the prompts' and the generator's licenses decide it).", ""]
    return "\n".join(lines)
