"""Writing a run's outputs, each atomically: `data.jsonl`, `candidates.jsonl`, `dataset/` and `README.md`.

`dataset/` is a `datasets.DatasetDict` saved with `save_to_disk`: split `train` holds the kept rows
(ready for TRL's SFT trainer), split `candidates` every candidate. Its features are fixed here, so an
empty split has the same columns as a full one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trainer.generation._worklog import WorkLogError, write_atomic

DATA, CANDIDATES, DATASET, CARD = "data.jsonl", "candidates.jsonl", "dataset", "README.md"


def _features() -> Any:
    from datasets import Features, List, Value

    text, number, flag = Value("string"), Value("float64"), Value("bool")
    message = {"role": text, "content": text}
    return Features({
        "prompt": List(message), "completion": List(message), "category": text, "retrieval_score": number,
        "uncategorised": flag, "status": text, "reject_reason": text, "judge_score": number,
        "judge_run_scores": List(number), "judge_rationales": List(text), "judge_raw": List(text),
        "judge_unscored_reason": text, "violated_rules": List(text), "judged_style": text, "decision": text,
        "well_formed": flag, "format_problems": List(text), "finish_reason": text, "generation_error": text,
        "prompt_tokens": Value("int64"), "completion_tokens": Value("int64"), "sample_index": Value("int64"),
        "key": text, "prompt_key": text, "source": text, "spec_revision": text, "category_hash": text,
        "template_hash": text, "system_prompt_hash": text, "generator_model": text, "judge_model": text,
        "sampling": {"temperature": number, "top_p": number, "max_new_tokens": Value("int64"),
                     "seed": Value("int64")},
    })


@contextmanager
def _quiet() -> Iterator[None]:
    """No `datasets` progress bars while saving (the CLI draws its own)."""
    from datasets.utils import logging as ds_logging

    enabled = ds_logging.is_progress_bar_enabled()
    ds_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            ds_logging.enable_progress_bar()


def jsonl(rows: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _save_dataset(folder: Path, kept: Sequence[dict[str, Any]], candidates: Sequence[dict[str, Any]]) -> None:
    """Save the DatasetDict into a temporary sibling folder, then swap it into place."""
    from datasets import Dataset, DatasetDict

    features = _features()

    def split(rows: Sequence[dict[str, Any]]) -> Dataset:
        return Dataset.from_dict({name: [row[name] for row in rows] for name in features}, features=features)

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    try:
        with _quiet():
            DatasetDict({"train": split(kept), "candidates": split(candidates)}).save_to_disk(str(tmp))
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
    except OSError as exc:
        raise WorkLogError(f"{folder}: cannot save the dataset ({exc.strerror or exc}); check the disk has "
                           "space and the folder is writable") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def write_outputs(out_dir: Path, kept: Sequence[dict[str, Any]], candidates: Sequence[dict[str, Any]],
                  card: str) -> dict[str, str]:
    """Write the four outputs; returns their paths by name."""
    write_atomic(out_dir / DATA, jsonl(kept))
    write_atomic(out_dir / CANDIDATES, jsonl(candidates))
    _save_dataset(out_dir / DATASET, kept, candidates)
    write_atomic(out_dir / CARD, card)
    return {name: str(out_dir / name) for name in (DATA, CANDIDATES, DATASET, CARD)}
