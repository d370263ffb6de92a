"""What `make evaluate` compares a new run of the customer questions with."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.eval_customer import previous_verdicts

CASES = Path("tests/dev/customer-questions-2.yml")


def write_summary(folder: Path, summary: object) -> Path:
    path = folder / "summary.json"
    path.write_text(json.dumps(summary), encoding="utf-8")
    return path


def test_the_last_run_on_the_same_cases_is_compared_with(tmp_path: Path) -> None:
    path = write_summary(tmp_path, {"cases": str(CASES), "verdicts": {"c1": "right"}})
    assert previous_verdicts(path, CASES) == {"c1": "right"}


def test_a_run_on_other_cases_or_without_verdicts_is_not(tmp_path: Path) -> None:
    other_cases = write_summary(tmp_path, {"cases": "tests/heldout/x.yml", "verdicts": {}})
    assert previous_verdicts(other_cases, CASES) is None
    before_verdicts_were_kept = write_summary(tmp_path, {"cases": str(CASES), "kinds": {}})
    assert previous_verdicts(before_verdicts_were_kept, CASES) is None


def test_no_report_or_a_broken_one_means_nothing_to_compare(tmp_path: Path) -> None:
    assert previous_verdicts(tmp_path / "summary.json", CASES) is None
    (tmp_path / "summary.json").write_text("{not json", encoding="utf-8")
    assert previous_verdicts(tmp_path / "summary.json", CASES) is None
    assert previous_verdicts(write_summary(tmp_path, ["a list"]), CASES) is None
