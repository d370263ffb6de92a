"""What `make evaluate` compares a new run of the customer questions with, and how it follows an
unsure reply's buttons."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.evaluation.customer_replies import Case, Judgement, Observed, Verdict
from scripts.eval_customer import previous_verdicts, right_answer_offered

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


class _Tracker:
    events: list[object] = []
    active_loop_name = None

    def get_slot(self, name: str) -> None:
        return None


class _Store:
    async def retrieve(self, sender: str) -> _Tracker:
        return _Tracker()


class _Bot:
    """Answers a topic button's question with that topic's text; records what it was sent."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.tracker_store = _Store()
        self.sent: list[tuple[str, str]] = []

    async def handle_text(self, text: str, sender_id: str) -> list[dict[str, str]]:
        self.sent.append((text, sender_id))
        return [{"text": self.answers.get(text, "Sorry, I didn't get that.")}]


COURT = Case(
    "c1", "covered", "which court?", sections=("Remarks",), expect_any=("tokyo district court",)
)
RIGHT_ANSWER = "Tokyo District Court shall be the agreed court.\n\nSource: [Remarks](/#remarks)"
WRONG_ANSWER = "CASIO responds promptly.\n\nSource: [Personal Information Protection Policy](/#p)"


def unsure_reply(case: Case, *payloads: str) -> Judgement:
    seen = Observed(("I'm not sure",), payloads, ("utter_unsure_topics",))
    return Judgement(case, seen, Verdict.UNSURE)


def offered(bot: _Bot, judgement: Judgement) -> bool:
    return asyncio.run(right_answer_offered(bot, judgement, "s1", {}))


def test_an_unsure_reply_whose_buttons_include_the_right_answer_counts() -> None:
    bot = _Bot({"How are disputes resolved?": WRONG_ANSWER, "Which court?": RIGHT_ANSWER})
    judgement = unsure_reply(
        COURT, "/request_inquiry", "How are disputes resolved?", "Which court?"
    )

    assert offered(bot, judgement)
    # Each topic button is pressed in a conversation of its own; intent buttons are not pressed.
    assert bot.sent == [
        ("How are disputes resolved?", "s1-button-1"),
        ("Which court?", "s1-button-2"),
    ]


def test_buttons_that_only_lead_to_wrong_answers_do_not_count() -> None:
    bot = _Bot({"How are disputes resolved?": WRONG_ANSWER})

    assert not offered(bot, unsure_reply(COURT, "How are disputes resolved?", "/request_inquiry"))


def test_only_unsure_replies_to_covered_questions_are_followed() -> None:
    bot = _Bot({"Which court?": RIGHT_ANSWER})
    wrong = Judgement(COURT, Observed(("x",), ("Which court?",)), Verdict.WRONG)
    not_covered = unsure_reply(Case("n1", "not_covered", "gdpr?"), "Which court?")

    assert not offered(bot, wrong)
    assert not offered(bot, not_covered)
    assert bot.sent == []
