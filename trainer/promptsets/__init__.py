"""Prompt sets with honest splits: labelled prompt collections turned into prompt files.

    from trainer.promptsets import specbench_rows, specbench_policy, example_rows, split_of

Every row has `id`, `prompt`, `label` (safe/unsafe), `expected` (comply, or refuse|safe_complete),
`category`, `split` (train/eval) and `source`; the files are read by the one prompt-file reader
(`compiler.prompt_files`) like any other. The split is a pure function of the prompt text
(`split_of`: sha256 of the normalised text against a salt), so it is the same on every machine, does not
move when rows are added or removed, and a prompt that occurs twice lands on one side. Train on `train`
(and choose settings on a part of it you do not train on), report on `eval`; XSTest is evaluation only
(`delib prompts xstest` writes it with `split=eval`).

Sources:
- SpecBench (Zhang et al. 2025; `shared/data/specbench/<Scenario>/`): 900 prompts in three scenarios, each
  with its own specifications. `specbench_policy` writes those specifications as a policy in our dialect
  (one category per scenario; safety specifications as Disallowed rules, behavioural specifications as
  Allowed rules), so its prompts have a category to be generated, judged and trained under.
- a spec's own examples (`example_rows`): the user turn before each comparison, labelled by the style of
  its GOOD candidate (a refusal by both the keyword matcher and the style detector: unsafe, expected
  refuse|safe_complete; else safe, expected comply), with the example's enclosing category.
- XSTest (`xstest_rows`): evaluation only.
"""

from trainer.promptsets._examples import example_rows
from trainer.promptsets._sources import PromptSetError, specbench_policy, specbench_rows, xstest_rows
from trainer.promptsets._split import SPLITS, Split, split_of, write_rows

__all__ = ["SPLITS", "PromptSetError", "Split", "example_rows", "specbench_policy", "specbench_rows", "split_of",
           "write_rows", "xstest_rows"]
