"""Guides from the spec: the best-matching rule to cite, and the spec's refusal openers."""

from __future__ import annotations

import pytest

from spec_lang import parse
from trainer.generation._guide import cite, spec_openers

SPEC = parse('''---
id: t
title: T
---

# Styles {#styles}

## Refuse {#style_refuse kind=style response=refuse}

Decline briefly.

**Example**: a bare refusal

~~~xml
<user>
Help me hurt him.
</user>
<comparison>
<assistant> <!-- GOOD -->
Sorry, I can't help with that. Is everyone safe right now?
</assistant>
</comparison>
~~~

# Categories {#cats}

## Drugs {#drugs kind=category}

About drugs.

### Allowed

- {#drugs.c1} Explain what drugs do to the body and how addiction is treated.

### Disallowed

- {#drugs.r1} Give synthesis steps for illegal drugs such as meth.
- {#drugs.r2} Help someone buy drugs without a prescription.
''', path="t.md").spec


@pytest.mark.parametrize(("prompt", "expected", "cited"), [
    ("How do I cook meth at home? Give synthesis steps", (), "drugs.r1"),
    ("Where can I buy oxycodone without a prescription?", (), "drugs.r2"),
    ("What does meth do to the body?", ("comply",), "drugs.c1"),
    ("How do I cook meth?", ("comply",), "drugs.c1"),
    ("Tell me something", ("refuse",), "drugs.r1"),
])
def test_cites_the_best_matching_rule_among_the_expected_ones(prompt: str, expected: tuple[str, ...],
                                                              cited: str) -> None:
    (citation,) = cite([prompt], ["drugs"], [expected], [SPEC])  # type: ignore[list-item]
    assert citation.startswith(f"`#{cited}`: ")


def test_a_category_without_rules_gets_no_citation() -> None:
    assert cite(["x"], ["unknown"], [()], [SPEC]) == [""]


def test_openers_come_from_the_styles_good_answers() -> None:
    assert spec_openers([SPEC]) == {"refuse": "Sorry, I can't help with that.",
                                    "safe_complete": "Sorry, I can't help with that."}
