"""Preference pairs (`pairs.jsonl`): each prompt's kept candidate against its rejected ones, in TRL's
conversational preference format for `DPOTrainer` (`prompt`, `chosen`, `rejected`). Pure.

A pair is (the prompt's kept row, one rejected candidate of the same prompt) where the rejected one is worse:
judged below the kept score, or not judged because it cannot be a training row (out of the format, cut off
at the token limit). A rejected candidate that scored as high as the kept one (a tie the sample index broke)
is no preference and makes no pair; `unscored` and `error` candidates make none either. Extra columns carry
the provenance and are ignored by TRL.

    {"prompt": [{"role": "user", ...}], "chosen": [{"role": "assistant", ...}],
     "rejected": [{"role": "assistant", ...}], "category": ..., "prompt_key": ..., "chosen_score": 5.0,
     "rejected_score": 2.0, "reject_reason": ..., "chosen_key": ..., "rejected_key": ...}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _worse(rejected: dict[str, Any], kept_score: float | None) -> bool:
    score = rejected.get("judge_score")
    return score is None or kept_score is None or score < kept_score


def preference_pairs(candidates: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pairs of `candidates` (rows of `candidates.jsonl`), in candidate order."""
    kept = {row["prompt_key"]: row for row in candidates if row["status"] == "kept"}
    pairs = []
    for row in candidates:
        chosen = kept.get(row["prompt_key"])
        if row["status"] != "rejected" or chosen is None or not _worse(row, chosen["judge_score"]):
            continue
        pairs.append({
            "prompt": chosen["prompt"], "chosen": chosen["completion"], "rejected": row["completion"],
            "category": chosen["category"], "prompt_key": chosen["prompt_key"],
            "chosen_score": chosen["judge_score"], "rejected_score": row["judge_score"],
            "reject_reason": row["reject_reason"], "chosen_key": chosen["key"], "rejected_key": row["key"],
        })
    return pairs
