from typing import Optional

import pytest

from actions.validators import (
    is_explicit_cancel,
    is_skip_answer,
    normalize_details,
    normalize_email,
    normalize_name,
    normalize_reference,
    normalize_service,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@example.com", "jane@example.com"),
        ("  Jane.Doe@Example.COM ", "jane.doe@example.com"),
        ("my email is actually x@y.com", "x@y.com"),
        ("it's taro+casio@mail.example.jp.", "taro+casio@mail.example.jp"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("jane at example dot com", None),
        ("jane@example", None),
        ("@example.com", None),
        ("jane@@example.com", None),
        ("jane..doe@example.com", None),
        (".jane@example.com", None),
        ("a@b.c", None),
        ("one@example.com or two@example.com", None),
        ("", None),
        (None, None),
        ("x" * 250 + "@example.com", None),
        # The bounded, linear-time pattern (issue 16): RFC limits, never a truncated address.
        ("x" * 64 + "@example.com", "x" * 64 + "@example.com"),
        ("x" * 65 + "@example.com", None),
        ("jane@" + "a" * 63 + ".com", "jane@" + "a" * 63 + ".com"),
        ("jane@" + "a" * 64 + ".com", None),
        ("jane@example." + "c" * 64, None),
        ("(jane@example.com)", "jane@example.com"),
        ("mail:jane@example.com, thanks", "jane@example.com"),
        ("jane@example.com123", "jane@example.com"),
        ("a@" * 500 + "jane@example.com", "jane@example.com"),
    ],
)
def test_email_addresses(text: Optional[str], expected: Optional[str]) -> None:
    assert normalize_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PR-7KQ2-M9XD", "PR-7KQ2-M9XD"),
        ("pr-7kq2-m9xd", "PR-7KQ2-M9XD"),
        ("my reference is PR 7KQ2 M9XD thanks", "PR-7KQ2-M9XD"),
        ("PR7KQ2M9XD", "PR-7KQ2-M9XD"),
        ("PR-7KQ2", None),
        ("7KQ2-M9XD", None),
        ("PR-7KQ2-M9XD9", None),
        ("no idea", None),
        ("", None),
        (None, None),
    ],
)
def test_references(text: Optional[str], expected: Optional[str]) -> None:
    assert normalize_reference(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane Doe", "Jane Doe"),
        ("  Hans   Müller ", "Hans Müller"),
        ("Sarah O'Connor", "Sarah O'Connor"),
        ("Anna-Lena Schmidt", "Anna-Lena Schmidt"),
        ("山田 太郎", "山田 太郎"),
        ("Maria de la Cruz", "Maria de la Cruz"),
        ("my name is Jane Doe", "Jane Doe"),
        ("I'm Erin Example.", "Erin Example"),
        ("are you a bot?", None),
        ("what's the weather tomorrow", None),
        ("actually I just want to correct my address", None),
        ("can I talk to a real person", None),
        ("tell me a joke", None),
        ("Jane Doe, Main Street 5", None),
        ("one two three four five six seven", None),
        ("jane@example.com", None),
        ("12345", None),
        ("R2D2", None),
        ("yes", None),
        ("no", None),
        ("skip", None),
        ("J", None),
        ("/inform", None),
        ("x" * 201, None),
        ("", None),
        (None, None),
    ],
)
def test_names(text: Optional[str], expected: Optional[str]) -> None:
    assert normalize_name(text) == expected


@pytest.mark.parametrize(
    "text", ["skip", "Skip.", "none", "N/A", "no", "not sure", "I don't know", "I don’t know"]
)
def test_ways_of_not_naming_a_service(text: str) -> None:
    assert is_skip_answer(text)


@pytest.mark.parametrize("text", ["CASIO Music Site", "skip the newsletter site", None, ""])
def test_service_names_are_not_skip_answers(text: Optional[str]) -> None:
    assert not is_skip_answer(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CASIO Music Site", "CASIO Music Site"),
        ("  the  G-SHOCK app ", "the G-SHOCK app"),
        ("x" * 201, None),
        ("/deny", None),
        ("", None),
    ],
)
def test_services(text: str, expected: Optional[str]) -> None:
    assert normalize_service(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Please delete my account.  ", "Please delete my account."),
        ("abc", "abc"),
        ("ab", None),
        ("x" * 5001, None),
        ("/affirm", None),
        (None, None),
    ],
)
def test_details(text: Optional[str], expected: Optional[str]) -> None:
    assert normalize_details(text) == expected


@pytest.mark.parametrize(
    ("text", "cancels"),
    [
        ("cancel", True),
        ("Stop!", True),
        ("never mind", True),
        ("Forget it.", True),
        ("I’ve changed my mind", True),
        ("stop sending me emails", False),
        ("stop using my address for marketing", False),
        ("cancel my newsletter subscription please", False),
        ("", False),
        (None, False),
    ],
)
def test_only_an_explicit_cancel_stops_a_form(text: Optional[str], cancels: bool) -> None:
    assert is_explicit_cancel(text) is cancels
