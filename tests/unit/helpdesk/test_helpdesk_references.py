from __future__ import annotations

import pytest

from bot.contract import REFERENCE_ALPHABET, REFERENCE_PATTERN, parse_reference
from bot.helpdesk.references import new_reference


def test_references_have_the_readable_shape_and_no_ambiguous_characters() -> None:
    references = [new_reference() for _ in range(500)]
    assert all(REFERENCE_PATTERN.match(r) for r in references)
    assert not set("".join(r[3:] for r in references)) & set("01ILOU")
    assert len(set(references)) == 500


def test_every_symbol_of_the_alphabet_is_used() -> None:
    seen = set("".join(new_reference()[3:].replace("-", "") for _ in range(2000)))
    assert seen == set(REFERENCE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("PR-7KQ2-M9XD", "PR-7KQ2-M9XD"),
        ("pr-7kq2-m9xd", "PR-7KQ2-M9XD"),
        (" PR 7KQ2 M9XD ", "PR-7KQ2-M9XD"),
        ("7KQ2M9XD", "PR-7KQ2-M9XD"),
        ("PR-7KQ2-M9X", None),
        ("PR-7KQ2-M9X0", None),
        ("PR-7KQ2-M9XDD", None),
        ("", None),
    ],
)
def test_customers_may_type_references_loosely(typed: str, expected: str | None) -> None:
    assert parse_reference(typed) == expected
