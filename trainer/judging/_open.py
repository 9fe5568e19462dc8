"""`open_judge`: the judge a judge address names, for every command that takes `--judge`.

    open_judge("embedded", bundle, config)            # the spec-aware LLM judge on that model address
    open_judge("rm:runs/judge", bundle, config)       # a reward model (`delib train judge`)
    open_judge("embedded", bundle, config, panel=True, panel_llm=False)   # the panel, detector members only

A judge address is a model address (`embedded`, `hf:PATH`, `openai:URL#MODEL`, `fake`, a run folder),
which grades with the bundle's rubrics, or `rm:RUN`. `backend` passes a backend already open for the
address (the caller then closes it); otherwise `opened` receives each backend opened here, to close.
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.bundle import Bundle
from trainer.backends import ChatBackend
from trainer.judging._judge import Judge
from trainer.judging._models import JudgeConfig
from trainer.judging._panel import PanelJudge
from trainer.judging._reward_model import RM_PREFIX, RewardModelJudge

AnyJudge = Judge | PanelJudge | RewardModelJudge


def is_reward_model(address: str) -> bool:
    """Whether a judge address names a reward model (`rm:RUN`) rather than a model that reads rubrics."""
    return address.startswith(RM_PREFIX)


def open_judge(address: str, bundle: Bundle, config: JudgeConfig, *, panel: bool = False, panel_llm: bool = True,
               backend: ChatBackend | None = None,
               opened: Callable[[ChatBackend], object] | None = None) -> AnyJudge:
    """The judge `address` names (see the module docstring); with `panel`, wrapped in the judge panel (with
    `panel_llm=False`, the panel's deterministic members alone: nothing is opened). Raises `JudgeError` for
    a reward model that cannot be loaded and lets `BackendError` through for a model address."""
    if panel and not panel_llm:
        return PanelJudge(None, config=config)
    inner: Judge | RewardModelJudge
    if is_reward_model(address):
        inner = RewardModelJudge.open(address[len(RM_PREFIX):], config)
    else:
        if backend is None:
            from trainer.backends import open_backend

            backend = open_backend(address)
            if opened is not None:
                opened(backend)
        inner = Judge(backend, bundle, config)
    return PanelJudge(inner) if panel else inner
