"""The judge of a generation run, and the ids that name it in the work log's keys, the card and provenance.

`run_generation` takes its judge in one of two forms:

- a chat backend: the spec-aware judge over it (or the judge panel, as `GenerationConfig.panel` says),
  built by `trainer.judging.open_judge` with the config's judge settings;
- a judge `open_judge` built: a reward model (`rm:RUN`, `recipe_judge`), alone or in the panel.

The keys and the card name the judge's model (a panel's: its model member's; a reward model's keys add its
run fingerprint), the provenance names the judge (`panel:...` for the panel), as they always have. The
judge's own settings and panel are what its judgements are keyed by (`as_graded`): for a chat backend those
are the config's, for a reward model one run without choice probabilities, whatever `judge.runs` says.
"""

from __future__ import annotations

from compiler.bundle import Bundle
from trainer.backends import ChatBackend
from trainer.generation._config import GenerationConfig
from trainer.judging import AnyJudge, Judge, JudgeConfig, PanelJudge, RewardModelJudge, is_reward_model, open_judge

JudgeInput = ChatBackend | Judge | PanelJudge | RewardModelJudge
"""What `run_generation` accepts as its judge (see the module docstring)."""


def judge_settings(config: GenerationConfig, bundle: Bundle) -> JudgeConfig:
    """The judge's settings in a run over `bundle`: the config's, reading completions in the bundle's format."""
    return config.judge.model_copy(update={"reasoning": bundle.reasoning.name})


def recipe_judge(address: str, config: GenerationConfig, bundle: Bundle) -> AnyJudge | None:
    """The judge a recipe's judge address names when it is a reward model (`rm:RUN`), as `config` grades
    (alone or in the panel), loaded on its first grade; None for a model address (run over a backend).
    Raises `JudgeError` when RUN holds no reward model, before any work."""
    if not is_reward_model(address.strip()):
        return None
    return open_judge(address.strip(), bundle, judge_settings(config, bundle), panel=config.panel,
                      panel_llm=config.panel_llm, lazy=True)


def run_judge(judge: JudgeInput, config: GenerationConfig, bundle: Bundle) -> AnyJudge:
    """The judge that grades: `judge` itself when it is one, else the config's judge over the backend."""
    if isinstance(judge, Judge | PanelJudge | RewardModelJudge):
        return judge
    return open_judge(judge.model_id, bundle, judge_settings(config, bundle), panel=config.panel,
                      panel_llm=config.panel_llm, backend=judge)


def as_graded(config: GenerationConfig, judge: AnyJudge) -> GenerationConfig:
    """`config` with the judge settings and panel that `judge` grades with (the config's own for a judge
    `run_judge` built over a backend; a reward model's single run)."""
    panel = isinstance(judge, PanelJudge)
    with_llm = judge.judge is not None if isinstance(judge, PanelJudge) else config.panel_llm
    settings = judge.config.model_copy(update={"reasoning": config.judge.reasoning})
    return config.model_copy(update={"judge": settings, "panel": panel, "panel_llm": with_llm})


def _model(judge: JudgeInput) -> JudgeInput:
    """The member that names the judge's model: a panel's model member, if it has one."""
    return judge.judge if isinstance(judge, PanelJudge) and judge.judge is not None else judge


def judge_model(judge: JudgeInput) -> str:
    """The judge model's id as the card names it: the backend's, or the judge's (a panel's: its model's)."""
    return _model(judge).model_id


def judge_identity(judge: JudgeInput) -> str:
    """The judge model's id as the work log's keys record it: `judge_model`, with a reward model's run
    fingerprint (`RewardModelJudge.identity`)."""
    model = _model(judge)
    return model.identity if isinstance(model, RewardModelJudge) else model.model_id
