"""`delib prompts`: labelled prompt collections as prompt files, with a deterministic train/eval split.

Exit codes: 0 written; 2 unreadable input or an unwritable output.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from trainer.cli._app import JsonOpt, app, fail, out, print_json

prompts_app = typer.Typer(help="Turn labelled prompt collections into prompt files (train/eval split by hash).",
                          no_args_is_help=True)
app.add_typer(prompts_app, name="prompts")


class SplitChoice(str, Enum):
    train = "train"
    eval = "eval"
    all = "all"


OutOpt = Annotated[Path, typer.Option("--output", "--out", "-o", help="The JSONL prompt file to write.")]
SplitOpt = Annotated[SplitChoice, typer.Option("--split", help="Which rows to write: train, eval or all.")]
ShareOpt = Annotated[float, typer.Option("--eval-share", min=0.0, max=1.0,
                                         help="Share of prompts the hash puts in eval.")]


def _write(rows: list[dict[str, Any]], split: SplitChoice, target: Path, as_json: bool) -> None:
    from trainer.promptsets import write_rows

    chosen = [r for r in rows if split is SplitChoice.all or r["split"] == split.value]
    n = write_rows(target, chosen)
    labels = {label: sum(r["label"] == label for r in chosen) for label in ("safe", "unsafe")}
    if as_json:
        print_json({"wrote": str(target), "prompts": n, **labels, "split": split.value})
        return
    out.print(f"wrote {n} prompts ({labels['safe']} safe, {labels['unsafe']} unsafe; split {split.value}) "
              f"to {target}", markup=False)


@prompts_app.command("specbench")
def specbench_cmd(
    root: Annotated[Path, typer.Argument(help="SpecBench's folder (Biochem/, Child/, Code/).")],
    output: OutOpt,
    split: SplitOpt = SplitChoice.train,
    eval_share: ShareOpt = 0.3,
    policy: Annotated[Path | None, typer.Option("--policy", help="Also write the scenarios' specifications "
                                                "as a policy (one category per scenario).")] = None,
    adversarial: Annotated[bool, typer.Option("--adversarial", help="Use the jailbreak-style rewrites.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """SpecBench's 900 prompts with `label`, `expected`, `category` (the scenario) and `split`."""
    from spec_lang.atomic import write_atomic
    from trainer.promptsets import specbench_policy, specbench_rows

    rows = specbench_rows(root, eval_share, adversarial)
    text = specbench_policy(root) if policy is not None else None
    if policy is not None and text is not None:
        write_atomic(policy, text)
    _write(rows, split, output, as_json)
    if policy is not None and not as_json:
        out.print(f"wrote the scenarios' specifications to {policy}", markup=False)


@prompts_app.command("examples")
def examples_cmd(
    spec: Annotated[str, typer.Argument(help="A spec file (or PATH@REV).")],
    output: OutOpt,
    split: SplitOpt = SplitChoice.train,
    eval_share: ShareOpt = 0.3,
    as_json: JsonOpt = False,
) -> None:
    """A spec's own example prompts, labelled by the style of their GOOD answer."""
    from spec_lang import load
    from trainer.promptsets import example_rows

    rows = example_rows(load(spec).spec, eval_share)
    if not rows:
        fail(f"{spec}: no example with a user turn and a GOOD answer inside a category")
    _write(rows, split, output, as_json)


@prompts_app.command("xstest")
def xstest_cmd(
    csv_file: Annotated[Path, typer.Argument(help="XSTest's xstest_prompts.csv.")],
    output: OutOpt,
    as_json: JsonOpt = False,
) -> None:
    """XSTest's 450 prompts (evaluation only: every row is `split=eval`)."""
    from trainer.promptsets import xstest_rows

    rows = xstest_rows(csv_file)
    _write(rows, SplitChoice.eval, output, as_json)
