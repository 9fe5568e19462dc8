"""`train_rl`: GRPO with TRL's `GRPOTrainer`, the spec-aware judge (reasoning hidden) as the reward.

    result = train_rl("build/bundle", "prompts.jsonl", "runs/rl", RLStageConfig(model="runs/sft", max_steps=100))

The prompts are user prompts without the spec, as deployed, each with the category whose rubric the
judge applies. The reward is `w_judge * judge + w_format * format + w_cite * citation`
(`trainer.training.rewards`); a reward with weight 0 is left out (no judge calls when `w_judge` is 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from compiler.bundle import write_bundle
from compiler.reasoning import resolve
from trainer.training._dist import is_main_process
from trainer.training._lifecycle import RunResult, execute, prepare_folder, start_manifest
from trainer.training._trl_args import grpo_config
from trainer.training.chat_templates import use_chat_template
from trainer.training.configs import RewardSettings, RLStageConfig
from trainer.training.data import load_prompts
from trainer.training.errors import DataError, TrainingError
from trainer.training.models import load_model, resolve_model
from trainer.training.preflight import run_rl_preflight
from trainer.training.rewards import AnswerJudge, CitationReward, FormatReward, JudgeReward
from trainer.training.runs import RunLayout, plan_run
from trainer.training.sft import lora_config


def train_rl(
    bundle: str | Path,
    prompts: str | Path,
    run_dir: str | Path,
    config: RLStageConfig | None = None,
    *,
    judge: AnswerJudge | None = None,
    trl_overrides: Mapping[str, str] | None = None,
    force: bool = False,
    callbacks: Sequence[Any] = (),
) -> RunResult:
    """Train `config.model` with GRPO on the prompts file `prompts`, rewarded by the judge of `bundle`.

    `judge` replaces the judge built from `config.rewards.judge` (a backend spec) with any object that
    has `grade(requests)`; it must hide the reasoning (`JudgeConfig(show_reasoning=False)`). Resuming,
    overrides and callbacks work as in `train_sft`.
    """
    config = config or RLStageConfig()
    overrides = dict(trl_overrides or {})
    layout = RunLayout(Path(run_dir).expanduser().resolve())
    compiled = _load_bundle(bundle)
    resolve(config.reasoning, bundle=compiled.reasoning)  # the rewards read the bundle's format; refuse another
    source = resolve_model(config.model)
    dataset, data_source = load_prompts(prompts, compiled.categories)
    data_source = data_source.model_copy(update={
        "category_hashes": {c: compiled.category_hash(c) for c in data_source.categories},
        "spec_revisions": (compiled.revision,),
    })
    plan = plan_run(layout, "rl", data_fingerprint=data_source.fingerprint, model_path=source.path, force=force)
    if plan.action == "done" and plan.previous is not None:
        return RunResult(layout.root, "already_completed", plan.previous)
    args = grpo_config(config, layout.checkpoints, reward_weights(config.rewards), overrides)
    model, tokenizer = load_model(source)
    template, model_default = use_chat_template(tokenizer, config.chat_template)
    run_rl_preflight(tokenizer, dataset["prompt"], default_system=model_default, template_name=template.name)
    with ExitStack() as stack:
        rewards = _rewards(config.rewards, compiled, judge, stack.callback)
        from trl import GRPOTrainer  # type: ignore[attr-defined]

        trainer = GRPOTrainer(model=model, reward_funcs=rewards, args=args, train_dataset=dataset,
                              processing_class=tokenizer, peft_config=lora_config(config.lora) if config.lora else None,
                              callbacks=list(callbacks))
        prepare_folder(layout, plan)
        manifest = start_manifest("rl", plan, config, overrides, data_source, source, template, compiled.revision)
        manifest = manifest.model_copy(update={"bundle": str(layout.bundle)})
        if is_main_process():
            write_bundle(compiled, layout.bundle)
        done = execute(layout, plan, manifest, trainer, lora=config.lora is not None)
    return RunResult(layout.root, "resumed" if plan.action == "resume" else "trained", done)


def _load_bundle(path: str | Path) -> Any:
    from compiler import BundleError, load_bundle

    try:
        return load_bundle(path)
    except BundleError as exc:
        raise DataError(exc.message, exc.hint) from exc


def reward_weights(settings: RewardSettings) -> list[float]:
    """The weights of the rewards `_rewards` builds, in its order (judge, format, citation; zero weights left out)."""
    return [w for w in (settings.w_judge, settings.w_format, settings.w_cite) if w > 0]


def _rewards(settings: RewardSettings, bundle: Any, judge: AnswerJudge | None,
             on_exit: Callable[[Callable[[], None]], Any]) -> list[Any]:
    """The reward callables with a weight, in `reward_weights` order; opens the judge when it is needed."""
    rewards: list[Any] = []
    if settings.w_judge > 0:
        rewards.append(JudgeReward(judge if judge is not None else _open_judge(settings, bundle, on_exit),
                                   fmt=bundle.reasoning))
    if settings.w_format > 0:
        rewards.append(FormatReward(bundle.reasoning))
    if settings.w_cite > 0:
        rewards.append(CitationReward.from_bundle(bundle))
    return rewards


def _open_judge(settings: RewardSettings, bundle: Any, on_exit: Callable[[Callable[[], None]], Any]) -> AnswerJudge:
    from trainer.backends import BackendError
    from trainer.judging import JudgeConfig, JudgeError, open_judge

    config = JudgeConfig(runs=settings.judge_runs, show_reasoning=False, max_new_tokens=settings.judge_tokens,
                         reasoning=bundle.reasoning.name)
    try:
        return open_judge(settings.judge, bundle, config, panel=settings.panel, panel_llm=settings.panel_llm,
                          opened=lambda backend: on_exit(backend.close))
    except (BackendError, JudgeError) as exc:
        raise TrainingError(f"--judge {settings.judge!r}: {exc}",
                            "pass a model address such as `embedded` or `openai:http://HOST:PORT/v1#MODEL`, "
                            "or `rm:RUN` for a reward model (`delib train judge`)") from exc
