"""`open_judge`: the judge a judge address names, for every command that takes `--judge`.

    open_judge("embedded", bundle, config)            # the spec-aware LLM judge on that model address
    open_judge("rm:runs/judge", bundle, config)       # a reward model (`delib train judge`)
    open_judge("embedded", bundle, config, panel=True, panel_llm=False)   # the panel, detector members only

A judge address is a model address (`embedded`, `hf:PATH`, `openai:URL#MODEL`, `fake`, a run folder),
which grades with the bundle's rubrics, or `rm:RUN`. `backend` passes a backend already open for the
address (the caller then closes it); otherwise `opened` receives each backend opened here, to close.
`lazy` loads a reward model on its first grade (its folder is checked at once), for callers that may
grade nothing (a dry run, a run whose judgements are all cached).

`check_judge_address` checks an address without opening anything; `judge_revision` reads the run
fingerprint of a reward model (what changes when it is retrained in place), for build inputs.
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.bundle import Bundle
from trainer.backends import ChatBackend
from trainer.judging._judge import Judge
from trainer.judging._models import JudgeConfig, JudgeError
from trainer.judging._panel import PanelJudge
from trainer.judging._reward_model import RM_PREFIX, RewardModelJudge, model_folder, run_fingerprint

AnyJudge = Judge | PanelJudge | RewardModelJudge


def is_reward_model(address: str) -> bool:
    """Whether a judge address names a reward model (`rm:RUN`) rather than a model that reads rubrics."""
    return address.startswith(RM_PREFIX)


def check_judge_address(address: str) -> str:
    """`address`, stripped, when it names a judge: a reward-model run that holds one (`JudgeError`
    otherwise) or a model address (`ModelAddressError` otherwise). Opens nothing."""
    stripped = address.strip()
    if is_reward_model(stripped):
        model_folder(stripped[len(RM_PREFIX):])
        return stripped
    from trainer.backends import parse_address

    return parse_address(stripped).text


def judge_revision(address: str) -> str | None:
    """The run fingerprint of the reward model `rm:RUN` names (`RewardModelJudge.revision`), read without
    loading it; None for a model address, or a folder without a reward-model run."""
    stripped = address.strip()
    if not is_reward_model(stripped):
        return None
    try:
        return run_fingerprint(model_folder(stripped[len(RM_PREFIX):]).resolve())
    except JudgeError:
        return None


def open_judge(address: str, bundle: Bundle, config: JudgeConfig, *, panel: bool = False, panel_llm: bool = True,
               backend: ChatBackend | None = None, opened: Callable[[ChatBackend], object] | None = None,
               lazy: bool = False) -> AnyJudge:
    """The judge `address` names (see the module docstring); with `panel`, wrapped in the judge panel (with
    `panel_llm=False`, the panel's deterministic members alone: nothing is opened). Raises `JudgeError` for
    a reward model that cannot be loaded and lets `BackendError` through for a model address."""
    if panel and not panel_llm:
        return PanelJudge(None, config=config)
    inner: Judge | RewardModelJudge
    if is_reward_model(address):
        inner = RewardModelJudge.open(address[len(RM_PREFIX):], config, lazy=lazy)
    else:
        if backend is None:
            from trainer.backends import open_backend

            backend = open_backend(address)
            if opened is not None:
                opened(backend)
        inner = Judge(backend, bundle, config)
    return PanelJudge(inner) if panel else inner
