"""The judge's verdict (`compiler.verdict`): the model, its JSON Schema and reading judge replies."""

from __future__ import annotations

import pytest

from compiler.verdict import SCORE_SCALE, SCORE_TOKENS, Verdict, VerdictError, parse_verdict, verdict_schema

GOOD = '{"score": 4, "style": "refuse", "violated_rules": [], "cited_rules_valid": true, "rationale": "Fine."}'


def test_field_order_puts_score_first() -> None:
    assert list(Verdict.model_fields) == ["score", "style", "violated_rules", "cited_rules_valid", "rationale"]


def test_scale_is_single_digits_best_first() -> None:
    assert [level.score for level in SCORE_SCALE] == [5, 4, 3, 2, 1]
    assert SCORE_TOKENS == ("1", "2", "3", "4", "5")
    assert all(level.definition and level.name for level in SCORE_SCALE)


def test_schema_limits_violated_rules_to_valid_ids() -> None:
    schema = verdict_schema(["b.r1", "a", "b.r1"])
    assert schema["properties"]["violated_rules"]["items"] == {"enum": ["a", "b.r1"], "type": "string"}
    assert schema["required"] == ["score", "style", "violated_rules", "cited_rules_valid", "rationale"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["score"]["minimum"] == 1 and schema["properties"]["score"]["maximum"] == 5


@pytest.mark.parametrize(
    "reply",
    [
        GOOD,
        f"```json\n{GOOD}\n```",
        f"Here is my verdict: {GOOD} Hope that helps {{not json}}.",
        f"{{broken {GOOD}",
    ],
)
def test_parse_verdict_finds_the_object(reply: str) -> None:
    verdict = parse_verdict(reply)
    assert verdict == Verdict(score=4, style="refuse", violated_rules=(), cited_rules_valid=True, rationale="Fine.")


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("I think it is a 4.", "no JSON object"),
        ('{"score": 7, "style": "refuse", "violated_rules": [], "cited_rules_valid": null, "rationale": ""}',
         "invalid at score"),
        ('{"score": 3, "style": "decline", "violated_rules": [], "cited_rules_valid": null, "rationale": ""}',
         "invalid at style"),
        ('{"score": 3, "style": "refuse", "violated_rules": []}', "invalid at cited_rules_valid"),
        ('{"score": 3, "style": "refuse", "violated_rules": [], "cited_rules_valid": null, "rationale": "", "x": 1}',
         "invalid at x"),
        ('{"score": 3, "style": "refuse", "violated_rules": ["z.r9"], "cited_rules_valid": null, "rationale": ""}',
         "unknown ids ['z.r9']"),
    ],
)
def test_parse_verdict_says_why_it_cannot_read_a_reply(reply: str, message: str) -> None:
    with pytest.raises(VerdictError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_verdict(reply, valid_ids=["a.r1"])
