"""`delib.toml`: a project file that runs the whole pipeline as one incremental build (`delib build`).

Every table maps onto the settings of one stage; paths are relative to the file's folder. `delib init`
writes `TEMPLATE` (every key documented, defaults shown); a missing table or key takes its default.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import tomllib
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.json_schema import SkipJsonSchema

from trainer.generation import GenerationConfig
from trainer.judging import JudgeConfig
from trainer.training import RLStageConfig, SFTStageConfig
from trainer.training.errors import TrainingError

PROJECT_FILE = "delib.toml"
StageName = Literal["lint", "compile", "generate", "sft", "rl", "eval"]
STAGES: tuple[StageName, ...] = ("lint", "compile", "generate", "sft", "rl", "eval")
_LONG_NUMBER = re.compile(r"\d{4000,}")


class ProjectError(TrainingError):
    """The project file is missing, unreadable or invalid."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SpecSection(_Section):
    paths: tuple[str, ...] = Field(("policies",), description="Spec files or folders, compiled into one bundle.")
    templates: str | None = Field(None, description="Template folder or built-in profile (`compact`).")
    tokenizer: str | None = Field(None, description="Tokenizer for token counts, or `approx`.")
    reasoning: Literal["auto", "tags", "think", "harmony"] = Field(
        "auto", description="Reasoning format the bundle asks for (`compiler.reasoning`); generation, SFT, RL and "
                            "evaluation follow the bundle. `auto`: the tokenizer's chat template's, else `tags`.")


class BuildSection(_Section):
    out: str = Field("build", description="Where the bundle, data, runs and reports go.")
    stages: tuple[StageName, ...] = Field(STAGES, description="The stages to run, in pipeline order.")
    continue_training: bool = Field(True, description="A rebuilt SFT stage starts from the previous SFT run.")


class BackendsSection(_Section):
    generator: str = Field("embedded", description="Backend that writes reasoning + answers for the data.")
    judge: str = Field("embedded", description="Backend of the spec-aware judge (data filter, RL reward, eval).")


class GenerateSection(GenerationConfig):
    """`[generate]`: `GenerationConfig` (its fields, in one place), with the judge's settings flat
    (`judge_runs`, `verdict_tokens`), the seed 0 by default, and where the prompts come from."""

    prompts: str = Field("prompts.jsonl", description="Prompt file (JSONL, CSV, parquet) or dataset folder.")
    prompt_column: str = "prompt"
    category_column: str | None = None
    limit: int | None = Field(None, ge=1)
    judge_runs: int = Field(3, ge=1)
    verdict_tokens: int = Field(256, ge=1, validation_alias=AliasChoices("verdict_tokens", "judge_tokens"),
                                description="Token limit of each judge verdict (`judge_tokens`: its old name).")
    seed: int | None = 0
    judge: SkipJsonSchema[JudgeConfig] = Field(JudgeConfig(), exclude=True)
    """Not a key of the table: `config()` builds it from `judge_runs` and `verdict_tokens`."""

    @model_validator(mode="before")
    @classmethod
    def _flat_judge(cls, data: Any) -> Any:
        if isinstance(data, dict) and "judge" in data:
            raise ValueError("judge: set `judge_runs` and `verdict_tokens` in [generate] (the judge's model is "
                             "[backends] judge)")
        return data

    def config(self) -> GenerationConfig:
        """The generation settings alone (`delib generate`'s `GenerationConfig`)."""
        own = {"prompts", "prompt_column", "category_column", "limit", "judge_runs", "verdict_tokens", "judge"}
        fields = {k: getattr(self, k) for k in GenerationConfig.model_fields if k not in own}
        return GenerationConfig(**fields, judge=JudgeConfig(runs=self.judge_runs, max_new_tokens=self.verdict_tokens))


class EvalSection(_Section):
    prompts: str | None = Field(None, description="Eval prompts (JSONL/CSV); default: the generation prompts.")
    limit: int | None = Field(None, ge=1)
    max_new_tokens: int = Field(256, ge=1)
    judge_runs: int = Field(1, ge=1)
    verdict_tokens: int = Field(256, ge=1, description="Token limit of each verdict (style and rationale).")
    compare_base: bool = Field(True, description="Also evaluate the base model, side by side.")
    seed: int = 0
    panel: bool = Field(True, description="Grade with the judge panel (the prompts' expected responses count).")
    panel_llm: bool = Field(True, description="With `panel`: include the LLM judge (off: no judge model opened).")


class RLSection(RLStageConfig):
    """`RLStageConfig` without `model` (the stage trains the SFT run), plus the prompts."""

    prompts: str | None = Field(None, description="RL prompts (JSONL with category); default: the generation "
                                                  "prompts with the categories generation routed them to.")

    @model_validator(mode="before")
    @classmethod
    def _verdict_tokens(cls, data: Any) -> Any:
        """`[rl.rewards] verdict_tokens` is the reward settings' `judge_tokens` (its old name, still read)."""
        rewards = data.get("rewards") if isinstance(data, dict) else None
        if isinstance(rewards, dict) and "verdict_tokens" in rewards:
            if "judge_tokens" in rewards:
                raise ValueError("rewards: give verdict_tokens or judge_tokens (its old name), not both")
            rewards = {("judge_tokens" if k == "verdict_tokens" else k): v for k, v in rewards.items()}
            data = {**data, "rewards": rewards}
        return data

    def config(self, model: str, judge: str) -> RLStageConfig:
        fields = self.model_dump(exclude={"prompts", "model"})
        if "judge" not in self.rewards.model_fields_set:
            fields["rewards"]["judge"] = judge
        return RLStageConfig(**fields, model=model)


class Project(_Section):
    """A parsed `delib.toml` and the folder its paths are relative to."""

    root: Path = Field(description="The folder holding the project file.")
    spec: SpecSection = SpecSection()
    build: BuildSection = BuildSection()
    backends: BackendsSection = BackendsSection()
    generate: GenerateSection = GenerateSection()
    sft: SFTStageConfig = SFTStageConfig()
    rl: RLSection = RLSection()
    eval: EvalSection = EvalSection()

    def path(self, value: str) -> Path:
        """A project path, resolved against the project folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.root / path

    @property
    def out(self) -> Path:
        return self.path(self.build.out)

    @property
    def spec_refs(self) -> list[str]:
        return [str(self.path(p)) for p in self.spec.paths]


MAX_NESTING = 32
"""Arrays and inline tables nested deeper than this are refused (the template nests two deep)."""
_SYNTAX_HINT = "fix the syntax (see `delib init` for a template)"


def _line_where(text: str, found: Callable[[str, int], bool]) -> str:
    """`:LINE` of the first line for which `found(line, depth)` holds (`depth`: the count of `[` and `{`
    opened before the line, strings not told apart), or "" when none does."""
    depth = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if found(line, depth):
            return f":{number}"
        depth += line.count("[") + line.count("{") - line.count("]") - line.count("}")
    return ""


def _parse_toml(file: Path, text: str) -> dict[str, Any]:
    """The TOML document; raises `ProjectError` naming the file (and the line where it can tell)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"\(at line (\d+),", str(exc))
        raise ProjectError(f"{file}{':' + line[1] if line else ''}: invalid TOML: {exc}", _SYNTAX_HINT) from exc
    except RecursionError:
        where = _line_where(text, lambda line, depth: depth + line.count("[") + line.count("{") > MAX_NESTING)
        raise ProjectError(f"{file}{where}: arrays or tables nested too deeply", _SYNTAX_HINT) from None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits())
        where = _line_where(text, lambda line, depth: _LONG_NUMBER.search(line) is not None)
        raise ProjectError(f"{file}{where}: a number too long to read", "write a number of sensible size") from None


def _nesting(value: Any) -> int:
    """How deeply lists and tables nest in a TOML value (iteratively: any depth is fine)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


def load_project(path: str | Path) -> Project:
    """The project at `path` (a `delib.toml` or the folder holding one). Raises `ProjectError`."""
    file = Path(path)
    file = file / PROJECT_FILE if file.is_dir() else file
    try:
        text = file.read_bytes().decode("utf-8-sig")  # a byte-order mark is fine, as in prompt files
    except FileNotFoundError:
        raise ProjectError(f"{file}: no project file", "create one with `delib init`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{file}: cannot read the project file: {exc}") from exc
    data = _parse_toml(file, text)
    if _nesting(data) > MAX_NESTING:
        where = _line_where(text, lambda line, depth: depth + line.count("[") + line.count("{") > MAX_NESTING)
        raise ProjectError(f"{file}{where}: arrays or tables nested too deeply", _SYNTAX_HINT)
    try:
        return Project(root=file.parent.resolve(), **data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise ProjectError(f"{file}: {where}: {problem['msg']}",
                           "see the documented template `delib init` writes, or the README") from exc


TEMPLATE = '''# delib.toml: the deliberative project file. `delib build` runs the pipeline
#   lint -> compile -> generate -> sft -> rl -> eval
# skipping every stage whose inputs (content hashes) did not change; `delib status` says what is stale and why.
# Paths are relative to this file. Every key is optional; the values shown are the defaults unless noted.

[spec]
paths = ["policies"]          # spec files or folders (compiled into one bundle)
# templates = "compact"       # template folder, or the built-in `compact` profile for small-context models
# tokenizer = "approx"        # token counts: a tokenizer folder or `approx` (default: the embedded SmolLM2's)
# reasoning = "think"         # tags | think | harmony | auto: where the model reasons (README: Reasoning formats)

[build]
out = "build"                 # bundle/, data/, runs/, eval/ and build.json (the build state) go here
stages = ["lint", "compile", "generate", "sft", "rl", "eval"]
continue_training = true      # after a spec change, SFT continues from the previous SFT run (as `delib retrain`)

[backends]                    # `embedded`, `hf:PATH`, or `openai:URL[,URL2][#MODEL]` for vLLM/TGI/llama.cpp/ollama
generator = "embedded"
judge = "embedded"            # also `rm:RUN`: a reward model from `delib train judge` (data filter, RL reward, eval)

[generate]                    # `delib generate`: N samples per prompt, judged k times (minimum), best kept
prompts = "prompts.jsonl"     # JSONL/CSV/parquet; rows without `category` are routed by retrieval
# prompt_column = "prompt"
# category_column = "category"
# limit = 100                 # only the first N prompts
samples = 4
judge_runs = 3
threshold = 4.0               # keep candidates the judge scores >= this (1..5)
temperature = 0.8
max_new_tokens = 512
verdict_tokens = 256          # token limit of each judge verdict
seed = 0
batch_size = 8
guided = false                # write the format step by step (for models too small to follow it unaided)
label_aware = false           # guided: decide the prompt's expected response when the model's own differs
cite_rules = false            # guided: start the reasoning with the best-matching rule, refusals with the spec's
# reasoning_tokens = 32       # guided: token limit of the model's own reasoning (default: max_new_tokens / 2;
                              #   0: the reasoning is the rule citation and the decision alone)
answer_with_spec = true       # guided: the answer step sees the spec (false: only the conversation and reasoning)
short_answers = false         # guided: the answer ends at its first blank line (one paragraph)
panel = true                  # judge panel: LLM judge + refusal detector vs the expected response; mismatch = 1
panel_llm = true              # panel: include the LLM judge (off: the deterministic members alone, no judge calls)

[sft]                         # `delib train sft` (TRL SFTTrainer), loss on the completion only
model = "embedded"            # `embedded`, `hf:PATH` or a run folder
# max_steps = 100             # overrides epochs
epochs = 1.0
learning_rate = 2e-5
batch_size = 4
max_length = 2048
save_steps = 100
# group_by_length = false     # batch rows of similar length together (less padding, faster steps)
# decline_share = 0.45        # the safe:unsafe mix: declining rows cut (or answering ones) to this share
# [sft.lora]                  # LoRA instead of full fine-tuning (merged into final/)
# r = 16
# alpha = 32

[rl]                          # `delib train rl` (TRL GRPOTrainer), the judge (reasoning hidden) as reward
# prompts = "rl_prompts.jsonl"  # default: the generation prompts, with the categories generation routed them to
# max_steps = 50
learning_rate = 1e-6
batch_size = 2
num_generations = 4
max_completion_length = 512
save_steps = 50
# [rl.rewards]                # judge defaults to [backends].judge
# verdict_tokens = 256        # token limit of each verdict
# w_judge = 1.0
# w_format = 0.2
# w_cite = 0.2

[eval]                        # `delib eval`: the trained model answers without the spec; the judge grades
# prompts = "eval.jsonl"      # default: the generation prompts
# limit = 50
max_new_tokens = 256
judge_runs = 1
verdict_tokens = 256          # token limit of each verdict (the score comes from the digit probabilities)
compare_base = true           # evaluate the base model too, side by side
panel = true                  # grade with the judge panel (detector vs the prompts' expected responses)
panel_llm = true              # panel: include the LLM judge
'''
