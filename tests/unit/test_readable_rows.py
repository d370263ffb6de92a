"""A stored row as the tests read it: opaque tokens out, readable text kept."""

from __future__ import annotations

from tests.support.readable import readable


def test_ciphertexts_and_hashes_cannot_match_a_name_or_number_by_chance() -> None:
    row = (
        "{'code_hash': 'a3f9487330346612346c0d9e8f7a6b5c', 'text': 'gAAAAABnRoeXyz0123456789abc=='}"
    )
    assert "1234" not in readable(row) and "Roe" not in readable(row)


def test_readable_text_stays_readable() -> None:
    row = "{'name': 'Jane Roe', 'email': 'jane.roe@example.com', 'details': 'order 1234'}"
    assert readable(row) == row
