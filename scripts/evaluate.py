"""`make evaluate`: test the trained model and sum the results up in reports/evaluation.md.

Runs, one after the other:

1. `rasa test nlu` on the held-out examples (tests/nlu) with the trained model;
2. `rasa test nlu --cross-validation --folds 5` on the training data (trains 5 NLU models: minutes);
3. `rasa test core` on the test stories (tests/stories);

then reads the JSON reports Rasa wrote and writes one Markdown report that names the weakest
intents and response keys and links the confusion matrices and confidence histograms.

    python -m scripts.evaluate [--model models/policy-assistant.tar.gz] [--out reports]
                               [--folds 5] [--no-cross-validation]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import yaml

from scripts import eval_reports

DEFAULT_MODEL = "models/policy-assistant.tar.gz"
NLU_IMAGES = {
    "Intent confusion matrix": "intent_confusion_matrix.png",
    "Intent confidence histogram": "intent_histogram.png",
    "Response selection confusion matrix": "response_selection_confusion_matrix.png",
    "Response selection confidence histogram": "response_selection_histogram.png",
}
STORY_IMAGES = {"Action confusion matrix": "story_confusion_matrix.png"}


def rasa_executable() -> str:
    """The `rasa` next to the running Python (the project's .venv), else the one on PATH."""
    candidate = Path(sys.executable).parent / "rasa"
    return str(candidate) if candidate.exists() else "rasa"


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env


def run_step(name: str, command: Sequence[str]) -> bool:
    print(f"evaluate: {name}: {' '.join(command)}", flush=True)
    completed = subprocess.run(list(command), env=rasa_env(), check=False)
    if completed.returncode != 0:
        print(f"evaluate: {name} failed (exit {completed.returncode})", file=sys.stderr)
    return completed.returncode == 0


def heldout_command(model: str, nlu: str, domain: str, out: Path) -> list[str]:
    return [
        rasa_executable(),
        "test",
        "nlu",
        "--model",
        model,
        "--nlu",
        nlu,
        "--domain",
        domain,
        "--out",
        str(out),
    ]


def cross_validation_command(
    config: str, nlu: str, domain: str, folds: int, out: Path
) -> list[str]:
    return [
        rasa_executable(),
        "test",
        "nlu",
        "--cross-validation",
        "--folds",
        str(folds),
        "--config",
        config,
        "--nlu",
        nlu,
        "--domain",
        domain,
        "--out",
        str(out),
    ]


def stories_command(model: str, stories: str, out: Path) -> list[str]:
    return [
        rasa_executable(),
        "test",
        "core",
        "--model",
        model,
        "--stories",
        stories,
        "--out",
        str(out),
    ]


def existing_images(folder: Path, names: dict[str, str], relative_to: Path) -> dict[str, str]:
    return {
        caption: os.path.relpath(folder / filename, relative_to)
        for caption, filename in names.items()
        if (folder / filename).exists()
    }


def nlu_section_from_folder(title: str, folder: Path, report_dir: Path) -> str | None:
    intent_report = eval_reports.read_report(folder / "intent_report.json")
    if not intent_report:
        return None
    summary = eval_reports.summarise_nlu(
        title, intent_report, eval_reports.read_report(folder / "response_selection_report.json")
    )
    return eval_reports.nlu_section(summary, existing_images(folder, NLU_IMAGES, report_dir))


def story_section_from_folder(folder: Path, report_dir: Path) -> str | None:
    story_report = eval_reports.read_report(folder / "story_report.json")
    if not story_report:
        return None
    failed_path = folder / "failed_test_stories.yml"
    failed = yaml.safe_load(failed_path.read_text(encoding="utf-8")) if failed_path.exists() else {}
    summary = eval_reports.summarise_stories(
        story_report, eval_reports.failed_story_names(failed if isinstance(failed, dict) else {})
    )
    return eval_reports.story_section(summary, existing_images(folder, STORY_IMAGES, report_dir))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--domain", default="domain.yml")
    parser.add_argument("--train-nlu", default="data/nlu")
    parser.add_argument("--test-nlu", default="tests/nlu")
    parser.add_argument("--stories", default="tests/stories")
    parser.add_argument("--out", default="reports", help="folder for evaluation.md and its parts")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--no-cross-validation",
        action="store_true",
        help="skip the cross-validation (it trains --folds NLU models)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rebuild evaluation.md from the reports already in --out, running nothing",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    heldout_dir = out / "evaluation" / "heldout"
    cv_dir = out / "evaluation" / "cross-validation"
    stories_dir = out / "evaluation" / "stories"
    ok = True
    missing: list[str] = []
    if not args.report_only:
        if not Path(args.model).exists():
            print(f"evaluate: no model at {args.model}: run `make train` first", file=sys.stderr)
            return 2
        ok &= run_step(
            "held-out NLU", heldout_command(args.model, args.test_nlu, args.domain, heldout_dir)
        )
        if args.no_cross_validation:
            missing.append("cross-validation (skipped with --no-cross-validation)")
        else:
            ok &= run_step(
                "cross-validation",
                cross_validation_command(
                    args.config, args.train_nlu, args.domain, args.folds, cv_dir
                ),
            )
        ok &= run_step("test stories", stories_command(args.model, args.stories, stories_dir))

    sections: list[str] = []
    parts = [
        ("held-out NLU test", nlu_section_from_folder(
            f"Held-out NLU test (`{args.test_nlu}`)", heldout_dir, out)),
        ("cross-validation", None if args.no_cross_validation else nlu_section_from_folder(
            f"{args.folds}-fold cross-validation on the training data (`{args.train_nlu}`)",
            cv_dir, out)),
        ("test stories", story_section_from_folder(stories_dir, out)),
    ]  # fmt: skip
    for name, section in parts:
        if section is None:
            if not any(reason.startswith(name) for reason in missing):
                missing.append(f"{name}: no report found")
        else:
            sections.append(section)
    report = eval_reports.evaluation_markdown(
        model=args.model,
        date=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        sections=sections,
        missing=missing,
    )
    out.mkdir(parents=True, exist_ok=True)
    report_path = out / "evaluation.md"
    report_path.write_text(report, encoding="utf-8")
    print(f"evaluate: wrote {report_path}")
    return 0 if ok and sections else 1


if __name__ == "__main__":
    raise SystemExit(main())
