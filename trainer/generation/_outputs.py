"""Writing a run's outputs as one set: `data.jsonl`, `candidates.jsonl`, `pairs.jsonl` (preference pairs,
`_pairs`), `dataset/` and `README.md`.

All five are written into a staging folder beside them (`OUT/.outputs.tmp-*`), then moved into place in
a fixed order, `data.jsonl` last, after the marker `.work/outputs.writing` is written and before it is
removed. A kill leaves the previous set, or the marker saying the set is torn: `delib train sft` refuses
such a folder and the next `delib generate` run writes the set again. `remove_stale` deletes what a
killed run left behind (staging folders and temporary files); a run calls it under the work-folder lock.

`dataset/` is a `datasets.DatasetDict` saved with `save_to_disk`: split `train` holds the kept rows
(ready for TRL's SFT trainer), split `candidates` every candidate. Its features are fixed here, so an
empty split has the same columns as a full one.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from spec_lang.atomic import write_atomic
from trainer.generation._pairs import preference_pairs
from trainer.generation._worklog import WorkLogError

DATA, CANDIDATES, DATASET, CARD = "data.jsonl", "candidates.jsonl", "dataset", "README.md"
PAIRS = "pairs.jsonl"
ORDER = (CANDIDATES, PAIRS, DATASET, CARD, DATA)
"""The order the staged outputs are moved into place: `data.jsonl`, what training reads, last."""
WRITING = "outputs.writing"
"""The marker (in the work folder) that exists while the outputs are being moved into place."""
STAGING = ".outputs.tmp-"
STALE = (f"{STAGING}*", ".dataset.tmp-*", ".dataset.old-*", *(f".{glob.escape(n)}.*.tmp" for n in (DATA, CANDIDATES,
                                                                                                     PAIRS, CARD)))
"""What killed runs leave in the output folder (this version's staging folders, earlier versions' temporaries)."""


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
    """Save the DatasetDict into the new folder `folder`."""
    from datasets import Dataset, DatasetDict

    features = _features()

    def split(rows: Sequence[dict[str, Any]]) -> Dataset:
        return Dataset.from_dict({name: [row[name] for row in rows] for name in features}, features=features)

    with _quiet():
        DatasetDict({"train": split(kept), "candidates": split(candidates)}).save_to_disk(str(folder))


def _move(staged: Path, target: Path, trash: Path) -> None:
    """Put `staged` at `target`; a folder already there goes into `trash` first (it cannot be replaced)."""
    if target.is_dir() and not target.is_symlink():
        os.replace(target, trash / f"{target.name}.old")
    os.replace(staged, target)


def write_outputs(out_dir: Path, kept: Sequence[dict[str, Any]], candidates: Sequence[dict[str, Any]],
                  card: str, work_dir: Path) -> dict[str, str]:
    """Write the five outputs as one set (see the module docstring; the pairs are made from `candidates`);
    returns their paths by name."""
    marker = work_dir / WRITING
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=STAGING, dir=out_dir))
    except OSError as exc:
        raise WorkLogError(f"{out_dir}: cannot write the outputs ({exc.strerror or exc}); check the disk has "
                           "space and the folder is writable") from exc
    try:
        write_atomic(stage / DATA, jsonl(kept))
        write_atomic(stage / CANDIDATES, jsonl(candidates))
        write_atomic(stage / PAIRS, jsonl(preference_pairs(candidates)))
        write_atomic(stage / CARD, card)
        _save_dataset(stage / DATASET, kept, candidates)
        write_atomic(marker, stage.name + "\n")
        for name in ORDER:
            _move(stage / name, out_dir / name, stage)
        marker.unlink()
    except OSError as exc:
        raise WorkLogError(f"{out_dir}: cannot write the outputs ({exc.strerror or exc}); check the disk has "
                           "space and the folder is writable") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {name: str(out_dir / name) for name in (DATA, CANDIDATES, PAIRS, DATASET, CARD)}


def remove_stale(out_dir: Path) -> int:
    """Delete what killed runs left in `out_dir` (`STALE`); how many were removed. Call under the lock."""
    removed = 0
    for pattern in STALE:
        for path in out_dir.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
    return removed
