"""Choose the AnswerConfidenceGate thresholds, on the blind dev set or by cross-validation.

    python -m scripts.choose_thresholds --dev-cases tests/dev/customer-questions.yml [--model M]
        [--beat reports/dev-replies/summary.json]
    python -m scripts.choose_thresholds [--folds 3] [--wrong-cost 3] [--out reports/thresholds]

With --dev-cases (the way to choose): every dev question goes through the trained bot three
times, as scripts/eval_customer.py sends it, with the gate's decision forced each time: acting on
the classifier's intent, answering the message's FAQ reading, and unsure. The three replies are
judged (bot/evaluation/customer_replies.py) and its intent and answer rankings are kept. A grid
point then gives each question the verdict of what `gate_decision` decides on its rankings and
words, counted per kind. Unlike the folds, the dev set holds questions the policy does not
answer, so answering is not free.

Without it: trains the NLU pipeline of config.yml on k-1 folds of data/nlu, parses the held-back
fold, and keeps each example's intent ranking and answer ranking; the folds hold no question the
policy leaves unanswered, so the settings chosen there favour answering.

Either way every combination of thresholds on a grid is scored: a confident wrong answer costs
--wrong-cost, an unsure reply (the bot offers the closest topics instead of answering) costs 1, a
right answer 0. Prints the best settings and writes the table to --out. The held-out customer
questions (tests/heldout) are never used here.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence
from unittest import mock

from bot import rasa_training
from bot.evaluation.customer_replies import KINDS, Case, Verdict, load_cases
from bot.nlu import answer_confidence_gate
from bot.nlu.answer_confidence_gate import (
    ANSWER_THE_QUESTION,
    FAQ_INTENT,
    WORDED_INTENT,
    Thresholds,
    classifier_ranking,
    gate_decision,
    intents_offered,
    is_request,
    unsure_reason,
    words_decision,
)

GRID = {
    "answer_min_confidence": [
        0.0,
        0.1,
        0.2,
        0.3,
        0.4,
        0.5,
        0.55,
        0.6,
        0.65,
        0.7,
        0.75,
        0.8,
        0.85,
        0.9,
        0.95,
    ],
    "answer_min_margin": [0.0, 0.05, 0.1, 0.2, 0.3, 0.4],
    "request_min_margin": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    "smalltalk_min_margin": [0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8],
    "out_of_scope_min_confidence": [0.0, 0.9, 0.95, 0.98],
}


@dataclass(frozen=True)
class Parsed:
    true_label: str  # "faq/<topic>" or an intent
    intent_ranking: list[dict[str, Any]]
    answer_ranking: list[dict[str, Any]]
    text: str = ""
    answer_offers: list[str] = field(default_factory=list)  # the intents its buttons send


def predicted_label(parsed: Parsed, thresholds: Thresholds) -> str | None:
    """The label the bot would act on, or None when the gate makes it unsure."""
    decision = gate_decision(
        parsed.intent_ranking,
        parsed.answer_ranking,
        thresholds,
        parsed.text,
        parsed.answer_offers,
    )
    if decision == ANSWER_THE_QUESTION:
        return str(parsed.answer_ranking[0]["intent_response_key"])
    if decision in WORDED_INTENT:
        return WORDED_INTENT[decision]
    if decision:
        return None
    ranked = classifier_ranking(parsed.intent_ranking)
    if not ranked:
        return None
    intent = str(ranked[0]["name"])
    if intent == FAQ_INTENT and parsed.answer_ranking:
        return str(parsed.answer_ranking[0]["intent_response_key"])
    return intent


def cost(parsed: Sequence[Parsed], thresholds: Thresholds, wrong_cost: float) -> dict[str, float]:
    right = unsure = wrong = 0
    for example in parsed:
        if not (example.true_label.startswith(FAQ_INTENT) or is_request(example.true_label)):
            continue
        label = predicted_label(example, thresholds)
        if label is None:
            unsure += 1
        elif label == example.true_label:
            right += 1
        else:
            wrong += 1
    return {
        "right": right,
        "unsure": unsure,
        "wrong": wrong,
        "cost": wrong * wrong_cost + unsure,
    }


def grid_search(parsed: Sequence[Parsed], wrong_cost: float) -> list[dict[str, Any]]:
    rows = []
    for values in itertools.product(*GRID.values()):
        thresholds = Thresholds(**dict(zip(GRID, values)))
        rows.append({**vars(thresholds), **cost(parsed, thresholds, wrong_cost)})
    return sorted(rows, key=lambda row: (row["cost"], row["unsure"]))


@dataclass(frozen=True)
class DevParsed:
    """One dev question: its rankings and the verdicts on the bot's reply for each decision the
    gate can take."""

    id: str
    kind: str
    text: str
    intent_ranking: list[dict[str, Any]]  # the classifier's, before the gate
    answer_ranking: list[dict[str, Any]]
    answer_offers: list[str]  # the intents the chosen answer's buttons send
    answered: str  # the verdict when the bot acts on the classifier's intent
    as_question: str  # the verdict when it answers the message's FAQ reading
    unsure: str  # the verdict when it says it is unsure
    # The verdict when it acts on what the words ask (words_decision: an earlier request's
    # status, a person), only for the messages whose words decide.
    as_worded: str = ""


SHUT = Thresholds(1.0, 1.0, 1.0, 1.0, 1.0)
VERDICT_COST = {Verdict.RIGHT.value: 0.0, Verdict.UNSURE.value: 1.0}


def dev_verdict(case: DevParsed, thresholds: Thresholds) -> str:
    """The verdict the bot would earn with these thresholds."""
    decision = gate_decision(
        case.intent_ranking, case.answer_ranking, thresholds, case.text, case.answer_offers
    )
    if decision is None:
        return case.answered
    if decision in WORDED_INTENT:
        return case.as_worded or case.unsure
    return case.as_question if decision == ANSWER_THE_QUESTION else case.unsure


def dev_cost(
    cases: Sequence[DevParsed], thresholds: Thresholds, wrong_cost: float
) -> dict[str, float]:
    """right/unsure/wrong per kind (`covered_right`, ...) and the total cost over every kind."""
    row: dict[str, float] = {f"{k}_{v.value}": 0 for k in KINDS for v in Verdict}
    total = 0.0
    for case in cases:
        verdict = dev_verdict(case, thresholds)
        row[f"{case.kind}_{verdict}"] += 1
        total += VERDICT_COST.get(verdict, wrong_cost)
    row["wrong"] = sum(row[f"{k}_{Verdict.WRONG.value}"] for k in KINDS)
    row["cost"] = total
    return row


def dev_grid_search(cases: Sequence[DevParsed], wrong_cost: float) -> list[dict[str, Any]]:
    rows = []
    for values in itertools.product(*GRID.values()):
        thresholds = Thresholds(**dict(zip(GRID, values)))
        rows.append({**vars(thresholds), **dev_cost(cases, thresholds, wrong_cost)})
    # Ties (the dev set cannot tell them apart) go to the more cautious setting.
    return sorted(
        rows,
        key=lambda row: (
            row["cost"],
            row["wrong"],
            -row["covered_right"],
            *(-row[key] for key in GRID),
        ),
    )


def beats(row: dict[str, Any], current: dict[str, int]) -> bool:
    """More covered and more not-covered questions right than `current` (right answers per kind),
    and no fewer requests or small talk."""
    return (
        row["covered_right"] > current["covered"]
        and row["not_covered_right"] > current["not_covered"]
        and row["request_right"] >= current["request"]
        and row["smalltalk_right"] >= current["smalltalk"]
    )


def rights_of(summary: Path) -> dict[str, int]:
    """Right answers per kind from a scripts/eval_customer.py summary.json."""
    kinds = json.loads(summary.read_text(encoding="utf-8"))["kinds"]
    return {kind: int(kinds[kind]["right"]) for kind in KINDS}


def trade_off(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per count of covered questions answered right, the row with the most not-covered ones
    right (then the lowest cost): the price of each extra right answer in caution."""
    best: dict[float, dict[str, Any]] = {}
    for row in rows:
        key = (row["not_covered_right"], -row["cost"], -row["wrong"])
        kept = best.get(row["covered_right"])
        if kept is None or key > (kept["not_covered_right"], -kept["cost"], -kept["wrong"]):
            best[row["covered_right"]] = row
    curve, most = [], -1.0
    for covered in sorted(best, reverse=True):  # keep only rows no other row beats on both
        if best[covered]["not_covered_right"] > most:
            curve.append(best[covered])
            most = best[covered]["not_covered_right"]
    return curve


def parse_dev(model: Path, cases: Sequence[Case], out: Path) -> list[DevParsed]:
    """Each dev question through the real bot and action server, gate open and gate shut."""
    from scripts.eval_customer import action_server

    with action_server(out / "actions.log") as action_url:
        return asyncio.run(_parse_dev(model, cases, action_url))


async def _parse_dev(model: Path, cases: Sequence[Case], action_url: str) -> list[DevParsed]:
    from scripts.eval_customer import judge_reply, load_agent, policy_outline

    agent = load_agent(model, action_url)
    outline = policy_outline()

    async def verdict(case: Case, decision: str, sender: str) -> str:
        with forced_decision(decision):
            return (await judge_reply(agent, case, sender, outline)).verdict.value

    parsed = []
    for case in cases:
        with forced_decision(ACT):
            result = await agent.parse_message(case.text)
        selector = (result.get("response_selector") or {}).get(FAQ_INTENT) or {}
        parsed.append(
            DevParsed(
                id=case.id,
                kind=case.kind,
                text=case.text,
                intent_ranking=result.get("intent_ranking") or [],
                answer_ranking=selector.get("ranking") or [],
                answer_offers=intents_offered(selector),
                answered=await verdict(case, ACT, f"dev-act-{case.id}"),
                as_question=await verdict(case, ANSWER_THE_QUESTION, f"dev-faq-{case.id}"),
                unsure=await verdict(case, UNSURE, f"dev-unsure-{case.id}"),
                as_worded=(
                    await verdict(case, WORDS, f"dev-worded-{case.id}")
                    if words_decision(
                        classifier_ranking(result.get("intent_ranking") or []), case.text
                    )
                    else ""
                ),
            )
        )
    return parsed


ACT = "act"
UNSURE = "unsure"
WORDS = "words"


def forced_decision(decision: str) -> Any:
    """Make every loaded AnswerConfidenceGate take `decision` (ACT, ANSWER_THE_QUESTION, WORDS:
    what the words decide, or UNSURE, with the reason the shut gate gives, as the fallback action
    reads it) whatever its config."""

    def forced(
        intent_ranking: Sequence[Any],
        answer_ranking: Sequence[Any],
        _thresholds: Thresholds,
        text: str,
        _answer_offers: Any = (),
    ) -> str | None:
        if decision == ACT:
            return None
        if decision == WORDS:
            return words_decision(classifier_ranking(intent_ranking), text)
        if decision == ANSWER_THE_QUESTION:
            return decision
        return unsure_reason(intent_ranking, answer_ranking, SHUT) or UNSURE

    return mock.patch.object(answer_confidence_gate, "gate_decision", forced)


def dev_report(
    rows: Sequence[dict[str, Any]],
    baseline: dict[str, Any],
    count: int,
    wrong_cost: float,
    current: dict[str, int] | None = None,
) -> str:
    counts = [f"{k}_{v.value}" for k in KINDS for v in Verdict]
    columns = [*GRID, *counts, "wrong", "cost"]
    header = [
        "| " + " | ".join(c.replace("_", " ") for c in columns) + " |",
        "|" + "---:|" * len(columns),
    ]

    def line(row: dict[str, Any]) -> str:
        return "| " + " | ".join(f"{row[key]:g}" for key in columns) + " |"

    lines = [
        f"# Gate thresholds on the dev set ({count} questions, judged end to end)",
        f"Cost: a wrong reply {wrong_cost}, an unsure one 1. First row: the configured thresholds.",
        "",
        *header,
        line(baseline),
        *(line(row) for row in rows[:15]),
        "",
        "## Trade-off: covered questions answered right against not-covered ones answered right",
        "",
        *header,
        *(line(row) for row in trade_off(rows)),
    ]
    if current is not None:
        better = [row for row in rows if beats(row, current)]
        rights = ", ".join(f"{kind} {right}" for kind, right in current.items())
        lines += [
            "",
            f"## The cheapest settings that beat the current bot ({rights} right)",
            "",
            *header,
            *(line(row) for row in better[:5]),
        ]
        if not better:
            lines.append("None: no setting beats it on both covered and not-covered questions.")
    return "\n".join(lines) + "\n"


def configured_thresholds(config: Path = Path("config.yml")) -> Thresholds:
    import yaml

    pipeline = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("pipeline") or []
    for component in pipeline:
        if str(component.get("name", "")).endswith("AnswerConfidenceGate"):
            return Thresholds.from_config(component)
    return Thresholds()


def main_dev(args: argparse.Namespace) -> int:
    if args.from_parsed:
        rows = json.loads(args.from_parsed.read_text(encoding="utf-8"))
        cases = [DevParsed(**row) for row in rows]
    else:
        cases = parse_dev(args.model, load_cases(args.dev_cases), args.out)
        (args.out / "dev-parsed.json").write_text(
            json.dumps([vars(c) for c in cases]), encoding="utf-8"
        )
    configured = configured_thresholds()
    baseline = {**vars(configured), **dev_cost(cases, configured, args.wrong_cost)}
    current = rights_of(args.beat) if args.beat else None
    rows = dev_grid_search(cases, args.wrong_cost)
    report = dev_report(rows, baseline, len(cases), args.wrong_cost, current)
    (args.out / "dev-thresholds.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


def parse_folds(folds: int, work: Path) -> list[Parsed]:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog
    from sklearn.model_selection import StratifiedKFold

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    data = load_data("data/nlu")
    examples = data.intent_examples
    labels = [example.get_full_intent() for example in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=42)
    parsed: list[Parsed] = []
    for fold, (train_index, test_index) in enumerate(splitter.split(examples, labels)):
        train = TrainingData(
            training_examples=[examples[i] for i in train_index],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
            responses=data.responses,
        )
        nlu_file = work / f"fold{fold}.yml"
        nlu_file.write_text(train.nlu_as_yaml(), encoding="utf-8")
        command = rasa_training.train_command(
            "nlu",
            "--config",
            "config.yml",
            "--nlu",
            str(nlu_file),
            "--domain",
            "domain.yml",
            "--out",
            str(work),
            "--fixed-model-name",
            f"fold{fold}",
        )
        print(f"fold {fold + 1}/{folds}: training on {len(train_index)} examples", flush=True)
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        agent = Agent.load(str(work / f"fold{fold}.tar.gz"))
        for index in test_index:
            result = asyncio.run(agent.parse_message(examples[index].get("text")))
            selector = (result.get("response_selector") or {}).get(FAQ_INTENT) or {}
            parsed.append(
                Parsed(
                    labels[index],
                    result.get("intent_ranking") or [],
                    selector.get("ranking") or [],
                    examples[index].get("text"),
                    intents_offered(selector),
                )
            )
    return parsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--wrong-cost", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=Path("reports/thresholds"))
    parser.add_argument(
        "--from-parsed",
        type=Path,
        help="re-score a parsed.json (dev-parsed.json with --dev-cases) of an earlier run",
    )
    parser.add_argument(
        "--dev-cases", type=Path, help="choose on these customer questions (tests/dev/...)"
    )
    parser.add_argument("--model", type=Path, default=Path("models/policy-assistant.tar.gz"))
    parser.add_argument(
        "--beat",
        type=Path,
        help="with --dev-cases: the current bot's dev summary.json (scripts/eval_customer.py); "
        "lists the cheapest settings with more covered and not-covered questions right",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.dev_cases:
        return main_dev(args)
    if args.from_parsed:
        parsed = [Parsed(**row) for row in json.loads(args.from_parsed.read_text(encoding="utf-8"))]
    else:
        with tempfile.TemporaryDirectory() as work:
            parsed = parse_folds(args.folds, Path(work))
        (args.out / "parsed.json").write_text(
            json.dumps([vars(p) for p in parsed]), encoding="utf-8"
        )
    rows = grid_search(parsed, args.wrong_cost)
    baseline = {**vars(Thresholds()), **cost(parsed, Thresholds(), args.wrong_cost)}
    lines = [
        f"# Gate thresholds by {args.folds}-fold cross-validation ({len(parsed)} examples)",
        f"Cost: a wrong answer {args.wrong_cost}, an unsure reply 1.",
        "",
        "| " + " | ".join([*GRID, "right", "unsure", "wrong", "cost"]) + " |",
        "|" + "---:|" * (len(GRID) + 4),
    ]
    for row in [baseline, *rows[:15]]:
        lines.append(
            "| "
            + " | ".join(str(row[key]) for key in [*GRID, "right", "unsure", "wrong", "cost"])
            + " |"
        )
    report = "\n".join(lines) + "\n"
    (args.out / "thresholds.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
