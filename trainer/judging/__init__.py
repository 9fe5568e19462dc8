"""The spec-aware judge: grade responses against a compiled bundle's rubrics.

    from trainer.judging import Judge, JudgeConfig, JudgeRequest

    judge = Judge(open_backend("embedded"), load_bundle("build/bundle"), JudgeConfig(runs=3))
    [grade] = judge.grade([JudgeRequest(category="violence", prompt=({"role": "user", "content": "..."},),
                                        completion="<reasoning>...</reasoning><answer>...</answer>")])
    grade.score, grade.normalised, grade.unscored_reason, grade.raw

The judge reads `rubric.md` (reasoning and answer; SFT filtering) or, with `show_reasoning=False`,
`rubric_answer_only.md` (the answer only; RL reward). A grade's score is the minimum over k runs; a reply
that is not a verdict leaves its run *unscored*, with the raw text kept, never a silent zero.

`PanelJudge` wraps a judge with deterministic members (the refusal detector against the prompt's
expected response and the completion's own decision); `trainer.judging.refusal` holds the detectors.

`RewardModelJudge` grades with a reward model trained from the spec's own example pairs (`delib train
judge`; the judge address `rm:RUN`).

Errors: `JudgeError` (a request that cannot be graded at all, e.g. an unknown category).
"""

from trainer.judging._aggregate import expected_score
from trainer.judging._judge import SCORE_PREFIX, Judge, style_prefix
from trainer.judging._models import (
    Grade,
    JudgeConfig,
    JudgeError,
    JudgeRequest,
    JudgeUsage,
    MemberVote,
    Message,
)
from trainer.judging._open import AnyJudge, check_judge_address, is_reward_model, judge_revision, open_judge
from trainer.judging._panel import PanelJudge, matches
from trainer.judging._render import judge_user_message
from trainer.judging._reward_model import RM_MAX_LENGTH, RM_PREFIX, RewardModelJudge, rm_encode, rm_render_pair

__all__ = [
    "AnyJudge",
    "SCORE_PREFIX",
    "Grade",
    "Judge",
    "JudgeConfig",
    "JudgeError",
    "JudgeRequest",
    "JudgeUsage",
    "MemberVote",
    "Message",
    "PanelJudge",
    "RM_MAX_LENGTH",
    "RM_PREFIX",
    "RewardModelJudge",
    "matches",
    "expected_score",
    "check_judge_address",
    "is_reward_model",
    "judge_revision",
    "open_judge",
    "rm_encode",
    "rm_render_pair",
    "judge_user_message",
    "style_prefix",
]
