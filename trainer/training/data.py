"""Training data: the SFT rows from a `delib generate` output folder, and the RL prompts file.

A generation folder holds `data.jsonl` (the kept rows) and `dataset/` (a `DatasetDict` saved with
`save_to_disk`: split `train` holds the kept rows, `candidates` every candidate, which is ignored here)
in TRL's conversational prompt-completion format: `prompt` is a list of messages without a system
prompt, `completion` one assistant message with the reasoning and the answer, plus provenance columns
(`category`, `spec_revision`, `category_hash`, ...). `dataset/` is read when present (the `_fingerprint`
of its `train` split identifies the data), else `data.jsonl` (fingerprint: SHA-256 of the file).

An RL prompts file is any prompt file (`compiler.prompt_files`: JSONL, CSV, parquet or a saved dataset,
`prompt` text or `messages` turns) whose every row names a category the bundle has; the prompts go to
the model as they are, with no system prompt, as the deployed model sees them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from compiler.prompt_files import PromptFileError, read_prompt_file
from compiler.record_files import numbered_jsonl
from spec_lang.model import DECLINING
from trainer.training.errors import DataError

DATASET_DIR = "dataset"
DATA_JSONL = "data.jsonl"
WRITING_MARKER = ".work/outputs.writing"
"""Present while `delib generate` moves its outputs into place (`trainer.generation._outputs`): a folder
that has it holds a torn set (a run was killed mid-write) and is not read."""
TRAIN_SPLIT = "train"
REVISION_COLUMNS = ("spec_revision", "revision")
"""Columns that may carry the spec revision a row was generated from (first found wins)."""
HASH_COLUMNS = ("category_hash", "spec_category_hash")
"""Columns that may carry the category hash a row was generated from (first found wins)."""


class DataSource(BaseModel):
    """Where training data came from, for the run manifest."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str = Field(description="The folder or file read.")
    format: str = Field(description="`datasets` (save_to_disk folder), `jsonl` (generation rows) or `prompts`.")
    fingerprint: str = Field(description="`datasets`' `_fingerprint`, or `sha256:<hex>` of the file; SFT with a "
                             "decline share adds `+decline_share=S,seed=N` (the rows trained).")
    rows: int = Field(description="Rows read (trained on, after the SFT decline-share cut when one is set).")
    categories: dict[str, int] = Field(default_factory=dict, description="Rows per category, when known.")
    spec_revisions: tuple[str, ...] = Field((), description="Spec revisions named in the rows.")
    category_hashes: dict[str, str] = Field(default_factory=dict, description="Category hash per category, "
                                            "from the rows (SFT) or the bundle (RL).")


def decline_share_rows(decisions: Sequence[str | None], keys: Sequence[str], share: float, seed: int = 0) -> list[int]:
    """The indices of the rows to keep (in order) so that rows whose decision declines make up `share` of the
    rows with a decision: the larger side is cut to a subset chosen by the hash of (seed, row key); rows
    without a decision are all kept (pure). Raises `DataError` when no row has a decision or a side is empty."""
    if not 0 < share < 1:
        raise ValueError(f"decline share must be between 0 and 1, got {share}")
    decline = [i for i, d in enumerate(decisions) if d in DECLINING]
    answer = [i for i, d in enumerate(decisions) if d is not None and d not in DECLINING]
    if not decline or not answer:
        raise DataError(f"the decline share needs rows that decline and rows that answer (a `decision` column): "
                        f"{len(decline)} decline, {len(answer)} answer",
                        "train without a decline share, or generate data whose completions state their decision")

    def ranked(indices: list[int]) -> list[int]:
        return sorted(indices, key=lambda i: hashlib.sha256(f"{seed}\0{keys[i]}".encode()).hexdigest())

    if len(decline) / (len(decline) + len(answer)) > share:
        decline = ranked(decline)[: max(1, round(len(answer) * share / (1 - share)))]
    else:
        answer = ranked(answer)[: max(1, round(len(decline) * (1 - share) / share))]
    kept = set(decline) | set(answer) | {i for i, d in enumerate(decisions) if d is None}
    return sorted(kept)


def cut_to_decline_share(dataset: Any, share: float, seed: int = 0) -> Any:
    """`dataset` (SFT rows) cut by `decline_share_rows`; `DataError` when it has no `decision` column."""
    if "decision" not in dataset.column_names:
        raise DataError("the decline share needs a `decision` column (the generation rows' decision line)",
                        "train on a `delib generate` output folder, or without a decline share")
    keys = dataset["key"] if "key" in dataset.column_names else [str(i) for i in range(len(dataset))]
    decisions = [d if isinstance(d, str) and d else None for d in dataset["decision"]]
    return dataset.select(decline_share_rows(decisions, [str(k) for k in keys], share, seed))


def load_sft_data(folder: str | Path) -> tuple[Any, DataSource]:
    """`(dataset with prompt + completion columns, provenance)` from a generation output folder."""
    root = Path(folder).expanduser()
    if not root.exists():
        raise DataError(f"{root}: no such folder", "pass the output folder of `delib generate` (DIR with data.jsonl)")
    if (root / WRITING_MARKER).exists():
        raise DataError(f"{root}: the outputs of `delib generate` are incomplete (it was stopped while writing "
                        "them)", "rerun the same `delib generate` command: it reuses its work log and writes them")
    if (root / DATASET_DIR).is_dir():
        dataset, fmt, fingerprint = _from_disk(root / DATASET_DIR)
    elif (root / DATA_JSONL).is_file() or root.is_file():
        file = root / DATA_JSONL if root.is_dir() else root
        dataset, fmt, fingerprint = _from_jsonl(file), "jsonl", _file_hash(file)
    else:
        raise DataError(f"{root}: neither {DATASET_DIR}/ nor {DATA_JSONL} is here",
                        "pass the output folder of `delib generate`")
    if len(dataset) == 0:
        raise DataError(f"{root}: the dataset is empty (0 rows)",
                        "generate data first (`delib generate`); the judge may have filtered every row out")
    missing = [c for c in ("prompt", "completion") if c not in dataset.column_names]
    if missing:
        raise DataError(f"{root}: the dataset has no {' or '.join(map(repr, missing))} column "
                        f"(columns: {', '.join(dataset.column_names)})",
                        "SFT data must be in TRL's prompt-completion format, as `delib generate` writes it")
    problems = _shape_problems(dataset["prompt"], dataset["completion"])
    if problems:
        raise DataError(f"{root}: malformed rows: " + "; ".join(problems[:5])
                        + (f" and {len(problems) - 5} more" if len(problems) > 5 else ""),
                        "each row needs `prompt` (user messages) and `completion` (one assistant message)")
    source = DataSource(path=str(root.resolve()), format=fmt, fingerprint=fingerprint, rows=len(dataset),
                        **_provenance(dataset))
    return dataset, source


def _from_disk(path: Path) -> tuple[Any, str, str]:
    from datasets import Dataset, DatasetDict, load_from_disk

    try:
        dataset = load_from_disk(str(path))
    except (OSError, ValueError, FileNotFoundError) as exc:
        raise DataError(f"{path}: cannot read the saved dataset: {exc}", "regenerate it with `delib generate`") from exc
    if isinstance(dataset, DatasetDict):  # `delib generate` saves splits `train` (kept rows) and `candidates`
        if TRAIN_SPLIT not in dataset:
            raise DataError(f"{path}: the saved dataset has no `{TRAIN_SPLIT}` split (splits: {', '.join(dataset)})",
                            "pass the output folder of `delib generate`, whose `train` split holds the kept rows")
        dataset = dataset[TRAIN_SPLIT]
    if not isinstance(dataset, Dataset):
        raise DataError(f"{path}: not a dataset saved with `save_to_disk`", "regenerate it with `delib generate`")
    return dataset, "datasets", str(dataset._fingerprint)


def _from_jsonl(path: Path) -> Any:
    import pyarrow as pa
    from datasets import Dataset

    numbered = _numbered_rows(path)
    if all("prompt" in row and "completion" in row for _, row in numbered):  # else: the column check says so
        bad = [(n, p) for n, row in numbered if (p := _row_problem(row["prompt"], row["completion"]))]
        if bad:
            more = f" (and {len(bad) - 1} more row(s))" if len(bad) > 1 else ""
            raise DataError(f"{path}:{bad[0][0]}: {bad[0][1]}{more}", "each row needs `prompt` (user messages) and "
                            "`completion` (one assistant message), as `delib generate` writes them")
    try:
        return Dataset.from_list([row for _, row in numbered])
    except (pa.ArrowException, ValueError, TypeError) as exc:  # a column holds values of different types
        found = ((n, _row_problem(r.get("prompt"), r.get("completion"))) for n, r in numbered)
        line, problem = next(((n, p) for n, p in found if p), (None, None))
        where = f"{path}:{line}" if line is not None else str(path)
        problem = problem or f"rows disagree on the type of a column ({exc})"
        raise DataError(f"{where}: {problem}", "each row needs `prompt` (user messages) and `completion` (one "
                        "assistant message), as `delib generate` writes them") from None


def _numbered_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """`(line, object)` of every row of a JSONL file (`compiler.record_files.numbered_jsonl`)."""
    try:
        return numbered_jsonl(path)
    except PromptFileError as exc:
        raise DataError(exc.message, exc.hint) from None


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def _shape_problems(prompts: Sequence[Any], completions: Sequence[Any]) -> list[str]:
    return [f"row {i}: {problem}" for i, (prompt, completion) in enumerate(zip(prompts, completions, strict=True))
            if (problem := _row_problem(prompt, completion))]


def _row_problem(prompt: Any, completion: Any) -> str | None:
    """What is wrong with one row's `prompt` and `completion`, or None."""
    if not _messages(prompt) or prompt[-1].get("role") != "user":
        return "`prompt` is not a list of messages ending with a user message"
    if not _messages(completion) or len(completion) != 1 or completion[0].get("role") != "assistant":
        return "`completion` is not one assistant message"
    return None


def _messages(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(m, Mapping) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in value)


def _provenance(dataset: Any) -> dict[str, Any]:
    columns = dataset.column_names
    found: dict[str, Any] = {}
    if "category" in columns:  # uncategorised rows (category None) are counted as "(none)"
        found["categories"] = dict(sorted(Counter(str(c) if c else "(none)" for c in dataset["category"]).items()))
    revision = next((c for c in REVISION_COLUMNS if c in columns), None)
    if revision:
        found["spec_revisions"] = tuple(sorted({str(r) for r in dataset[revision] if r}))
    hashed = next((c for c in HASH_COLUMNS if c in columns), None)
    if hashed and "category" in columns:
        found["category_hashes"] = dict(sorted({str(c): str(h) for c, h in zip(
            dataset["category"], dataset[hashed], strict=True) if c and h}.items()))
    return found


def load_prompts(path: str | Path, categories: Iterable[str]) -> tuple[Any, DataSource]:
    """`(dataset of conversational prompts + category, provenance)` from an RL prompt file.

    Every row needs a prompt and a `category` that the bundle has; `DataError` lists every bad row (a category
    the bundle lacks in the words every stage uses, `trainer.routing.unknown_categories`).
    """
    from datasets import Dataset

    from trainer.routing import unknown_categories

    file = Path(path).expanduser()
    known = list(dict.fromkeys(categories))
    try:
        rows = read_prompt_file(file, require_category=True)
    except PromptFileError as exc:
        raise DataError(exc.message, f"every row needs a prompt and a `category` among: {', '.join(known)}") from None
    problem = unknown_categories([(r.source, r.category) for r in rows], known, routable=False)
    if problem:
        raise DataError(*problem)
    records = [{"prompt": [dict(m) for m in r.messages], "category": r.category, "expected": "|".join(r.expected)}
               for r in rows]
    counts = dict(sorted(Counter(str(r.category) for r in rows).items()))
    source = DataSource(path=str(file.resolve()), format="prompts", fingerprint=_fingerprint(file), rows=len(rows),
                        categories=counts)
    return Dataset.from_list(records), source


def _fingerprint(path: Path) -> str:
    """`sha256:<hex>` of a file, or of a folder's files (relative path and content of each)."""
    if path.is_file():
        return _file_hash(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path)}\0{_file_hash(file)}\n".encode())
    return f"sha256:{digest.hexdigest()}"
