"""Every pattern that sees customer text runs in linear time on adversarial input (issue 16).

A single 60,000-character word used to stall the bot for 40 s: the unanchored `email` regex was
retried at every position of the word. Here each pattern (the regexes and lookup tables of the
training data, compiled the way Rasa's RegexEntityExtractor does, and every module-level pattern
of `actions/` and the help desk), and each customer-text check in `actions/validators.py`, runs on
100,000-character inputs of several shapes. The time is compared with a 1,000-character input
of the same shape: linear time gives a ratio near 100, quadratic near 10,000. Ratios, not
absolute times, so a slow or busy machine does not fail the test.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from actions import validators
from bot import contract

ROOT = Path(__file__).resolve().parents[2]
NLU_DATA = ROOT / "data" / "nlu"
PATTERN_PACKAGES = ("actions", "bot.helpdesk")
PATTERN_MODULES = ("bot.contract", "bot.chat.limits")

SHORT, MEDIUM, LONG = 1_000, 10_000, 100_000
# 10x and 100x the length: linear is ~10 and ~100, quadratic ~100 and ~10,000. The bounds sit
# between the two with room for a loaded machine (cache misses on 100,000 characters and other
# processes on 2 cores put linear patterns at up to ~4x their ideal ratio).
MAX_RATIO = {MEDIUM: 50.0, LONG: 1500.0}
SHAPES = {
    "one long word": "a",
    "repeated a@": "a@",
    "repeated PR-": "PR-",
    "repeated a.": "a.",
    "address, then a long domain": "x@a.",
    "hyphenated word": "a-",
    "digits": "7",
}


def shaped(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def training_data_patterns() -> dict[str, re.Pattern[str]]:
    """The regexes and lookup tables of data/nlu, as RegexEntityExtractor compiles them."""
    from rasa.nlu.utils.pattern_utils import extract_patterns
    from rasa.shared.nlu.training_data.loading import load_data

    training_data = load_data(str(NLU_DATA))
    patterns = extract_patterns(training_data, use_lookup_tables=True, use_regexes=True)
    # The extractor is case-insensitive unless configured otherwise (config.yml does not).
    return {
        f"data/nlu {p['name']} #{i}": re.compile(p["pattern"], re.IGNORECASE)
        for i, p in enumerate(patterns)
    }


def module_patterns() -> dict[str, re.Pattern[str]]:
    """Every compiled pattern at module level in actions/ and the help desk package."""
    found: dict[str, re.Pattern[str]] = {}
    names = list(PATTERN_MODULES)
    for package_name in PATTERN_PACKAGES:
        package = importlib.import_module(package_name)
        names += [
            f"{package_name}.{info.name}"
            for info in pkgutil.iter_modules(package.__path__)
            if not info.ispkg
        ]
    for module_name in names:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found[f"{module.__name__}.{name}"] = value
    return found


def _all_matches(pattern: re.Pattern[str]) -> Callable[[str], Any]:
    # finditer tries every start position: the worst case of search, match and findall.
    return lambda text: sum(1 for _ in pattern.finditer(text))


CHECKS: dict[str, Callable[[str], Any]] = {
    "actions.validators.normalize_email": validators.normalize_email,
    "actions.validators.normalize_reference": validators.normalize_reference,
    "actions.validators.normalize_name": validators.normalize_name,
    "actions.validators.name_answer": validators.name_answer,
    "actions.validators.normalize_service": validators.normalize_service,
    "actions.validators.normalize_details": validators.normalize_details,
    "actions.validators.is_skip_answer": validators.is_skip_answer,
    "bot.contract.normalize_reference": contract.normalize_reference,
    "bot.contract.is_email": contract.is_email,
}


def subjects() -> Iterator[tuple[str, Callable[[str], Any]]]:
    for name, pattern in {**training_data_patterns(), **module_patterns()}.items():
        yield name, _all_matches(pattern)
    yield from CHECKS.items()


SUBJECTS = dict(subjects())


def best_seconds(run: Callable[[str], Any], text: str, rounds: int, calls: int) -> float:
    """The fastest of `rounds` measurements of `calls` calls, per call (noise only adds time).

    CPU time of this thread, not wall time: on a machine shared with other jobs a 50 ms run is
    often preempted while a 20 us one is not, which would inflate the ratio of a linear pattern.
    """
    best = float("inf")
    for _ in range(rounds):
        started = time.thread_time()
        for _ in range(calls):
            run(text)
        best = min(best, (time.thread_time() - started) / calls)
    return max(best, 1e-7)


def test_the_patterns_of_the_training_data_and_the_modules_are_all_found() -> None:
    names = set(SUBJECTS)
    assert any(name.startswith("data/nlu email") for name in names), names
    assert any(name.startswith("data/nlu reference") for name in names), names
    assert {
        "actions.validators.EMAIL_PATTERN",
        "actions.validators.REFERENCE_PATTERN",
        "bot.contract.EMAIL_PATTERN",
        "bot.contract.REFERENCE_IN_TEXT",
    } <= names


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("subject", SUBJECTS)
def test_time_grows_linearly_with_the_input(subject: str, shape: str) -> None:
    run, unit = SUBJECTS[subject], SHAPES[shape]
    short = best_seconds(run, shaped(unit, SHORT), rounds=5, calls=20)
    # 10x first: a quadratic pattern fails here in a second instead of minutes at 100x.
    for length in (MEDIUM, LONG):
        seconds = best_seconds(run, shaped(unit, length), rounds=3, calls=1)
        ratio = seconds / short
        assert ratio < MAX_RATIO[length], (
            f"{subject} on {length:,} characters ({shape}) took {seconds * 1000:.1f} ms, "
            f"{ratio:.0f}x the time for {SHORT:,} (linear would be ~{length // SHORT}x)"
        )
