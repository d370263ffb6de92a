"""Choose the AnswerConfidenceGate thresholds by cross-validation on the training data only.

    python -m scripts.choose_thresholds [--folds 3] [--wrong-cost 3] [--out reports/thresholds]

Trains the NLU pipeline of config.yml on k-1 folds of data/nlu, parses the held-back fold, and
keeps each example's intent ranking and answer ranking. Then every combination of thresholds on
a grid is scored: a confident wrong answer costs --wrong-cost, an unsure reply (the bot offers
the closest topics instead of answering) costs 1, a right answer 0. Prints the best settings and
writes the table to --out. The held-out customer questions are never used here.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from bot.nlu.answer_confidence_gate import FAQ_INTENT, Thresholds, is_request, unsure_reason

GRID = {
    "answer_min_confidence": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
    "answer_min_margin": [0.0, 0.05, 0.1, 0.2, 0.3],
    "request_min_margin": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
}


@dataclass(frozen=True)
class Parsed:
    true_label: str  # "faq/<topic>" or an intent
    intent_ranking: list[dict[str, Any]]
    answer_ranking: list[dict[str, Any]]


def predicted_label(parsed: Parsed, thresholds: Thresholds) -> str | None:
    """The label the bot would act on, or None when the gate makes it unsure."""
    if unsure_reason(parsed.intent_ranking, parsed.answer_ranking, thresholds):
        return None
    ranked = [r for r in parsed.intent_ranking if r.get("name") != "nlu_fallback"]
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
    rasa = str(Path(sys.executable).with_name("rasa"))
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
        command = [rasa, "train", "nlu", "--config", "config.yml", "--nlu", str(nlu_file)]
        command += [
            "--domain",
            "domain.yml",
            "--out",
            str(work),
            "--fixed-model-name",
            f"fold{fold}",
        ]
        print(f"fold {fold + 1}/{folds}: training on {len(train_index)} examples", flush=True)
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        agent = Agent.load(str(work / f"fold{fold}.tar.gz"))
        for index in test_index:
            result = asyncio.run(agent.parse_message(examples[index].get("text")))
            selector = (result.get("response_selector") or {}).get(FAQ_INTENT) or {}
            parsed.append(
                Parsed(
                    labels[index], result.get("intent_ranking") or [], selector.get("ranking") or []
                )
            )
    return parsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--wrong-cost", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=Path("reports/thresholds"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        parsed = parse_folds(args.folds, Path(work))
    (args.out / "parsed.json").write_text(json.dumps([vars(p) for p in parsed]), encoding="utf-8")
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
