"""Readers of the public prompt collections: SpecBench (with its specifications) and XSTest."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from spec_lang.errors import DelibError
from trainer.promptsets._split import split_of

SPECBENCH_SCENARIOS = {"Biochem": "biochem", "Child": "child", "Code": "code"}
EXPECTED = {"safe": "comply", "unsafe": "refuse|safe_complete"}


class PromptSetError(DelibError):
    """A collection cannot be read; the message says which file and what to do."""


def _json(path: Path, kind: type = list) -> Any:
    """The JSON value of a SpecBench file, which must be a `kind` (list or dict)."""
    try:
        value = json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise PromptSetError(f"{path}: no such file; point at SpecBench's folder (Biochem/, Child/, Code/)") from None
    except json.JSONDecodeError as exc:
        raise PromptSetError(f"{path}:{exc.lineno}: cannot read it as JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise PromptSetError(f"{path}: cannot read it as JSON (values nested too deeply)") from None
    except (OSError, ValueError) as exc:  # not UTF-8, unreadable, or an integer too long to convert
        raise PromptSetError(f"{path}: cannot read it as JSON ({exc})") from None
    if not isinstance(value, kind):
        raise PromptSetError(f"{path}: expected a JSON {'list' if kind is list else 'object'}, got "
                             f"{type(value).__name__}")
    return value


def _scenarios(root: Path) -> list[tuple[str, Path]]:
    found = [(cat, root / name) for name, cat in SPECBENCH_SCENARIOS.items() if (root / name).is_dir()]
    if not found:
        raise PromptSetError(f"{root}: no SpecBench scenario folder ({', '.join(SPECBENCH_SCENARIOS)}) in it")
    return found


def specbench_rows(root: str | Path, eval_share: float = 0.3, adversarial: bool = False) -> list[dict[str, Any]]:
    """Every SpecBench prompt as a prompt row (category = scenario), with its hash split. `adversarial`:
    the scenario's jailbreak-style rewrite instead of the plain prompt (its split follows the plain one)."""
    rows = []
    for category, folder in _scenarios(Path(root)):
        items = _json(folder / "prompts.json")
        for n, item in enumerate(items, start=1):
            label = str(item.get("label", "")).strip().lower() if isinstance(item, dict) else ""
            plain = item.get("prompt") if isinstance(item, dict) else None
            if label not in EXPECTED or not isinstance(plain, str) or not plain.strip():
                raise PromptSetError(f"{folder / 'prompts.json'}: item {n} needs `prompt` text and `label` safe/unsafe")
            text = item.get("adversarial_prompt") if adversarial else plain
            rows.append({"id": f"specbench-{category}-{n}", "prompt": text or plain, "label": label,
                         "expected": EXPECTED[label], "category": category, "split": split_of(plain, eval_share),
                         "source": f"specbench/{folder.name}/prompts.json#{n}"})
    return rows


def _rules(prefix: str, texts: Any, where: Path) -> str:
    if not isinstance(texts, list):
        raise PromptSetError(f"{where}: a list of specifications must be a JSON list of texts")
    return "\n".join(f"- {{#{prefix}{i}}} {' '.join(str(t).split())}" for i, t in enumerate(texts, start=1))


def specbench_policy(root: str | Path) -> str:
    """SpecBench's specifications as one policy in our dialect (see the package docstring)."""
    parts = ["---\nid: specbench\ntitle: SpecBench scenario specifications\nversion: 1.0.0\ndescription: >-\n"
             "  The safety and behavioural specifications of SpecBench's three scenarios (Zhang et al. 2025,\n"
             "  Apache-2.0), written by `delib prompts specbench --policy` as one category per scenario.\n---\n",
             "# Scenarios {#specbench_scenarios}\n"]
    for category, folder in _scenarios(Path(root)):
        scenario, specs = _json(folder / "scenario.json", dict), _json(folder / "specifications.json", dict)
        safety, behaviour = specs.get("safety_specifications", []), specs.get("behavioral_specifications", [])
        where = folder / "specifications.json"
        parts.append(f"## {scenario.get('name', folder.name)} {{#{category} kind=category authority=root}}\n\n"
                     f"{' '.join(str(scenario.get('description', '')).split())}\n\n"
                     f"### Allowed\n\n{_rules(f'{category}.b', behaviour, where)}\n\n"
                     f"### Disallowed\n\n{_rules(f'{category}.r', safety, where)}\n")
    return "\n".join(parts)


def xstest_rows(path: str | Path) -> list[dict[str, Any]]:
    """XSTest's prompts as prompt rows, all `split=eval` (never train on it or tune with it)."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, strict=True)
            items = [(reader.line_num, item) for item in reader]
    except OSError as exc:
        raise PromptSetError(f"{path}: cannot read XSTest's CSV ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise PromptSetError(f"{path}: cannot read XSTest's CSV: not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise PromptSetError(f"{path}:{reader.line_num + 1}: cannot read XSTest's CSV ({exc})") from None
    rows = []
    for n, item in items:
        label = (item.get("label") or "").strip().lower()
        if label not in EXPECTED or not (item.get("prompt") or "").strip():
            raise PromptSetError(f"{path}:{n}: needs `prompt` and `label` safe/unsafe")
        rows.append({"id": f"xstest-{item.get('id') or n}", "prompt": item["prompt"], "label": label,
                     "expected": EXPECTED[label], "split": "eval", "type": item.get("type", ""),
                     "source": f"xstest:{n}"})
    return rows
