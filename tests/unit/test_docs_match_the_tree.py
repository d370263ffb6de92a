"""The README's folder table and the architecture's table of rule owners name what exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _first_column_paths(markdown: str, header: str) -> list[str]:
    table = markdown[markdown.index(header) :].split("\n\n")[0]
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    return [path for row in rows for path in re.findall(r"`([^`]+)`", row.split("|")[1])]


def test_every_path_in_the_readme_folder_table_exists() -> None:
    paths = _first_column_paths((ROOT / "README.md").read_text(encoding="utf-8"), "| path |")
    assert paths and [path for path in paths if not (ROOT / path).exists()] == []


def test_every_top_level_folder_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    folders = {"actions", "bot", "data", "docs", "scripts", "tests"}
    assert [folder for folder in sorted(folders) if f"`{folder}/" not in readme] == []


def test_every_rule_home_in_the_architecture_exists() -> None:
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = architecture[architecture.index("| rule | home |") :].split("\n\n")[0]
    homes = [re.findall(r"`([^`]+\.py)`", row.split("|")[2]) for row in table.splitlines()[2:]]
    assert all(homes)
    assert [path for row in homes for path in row if not (ROOT / path).exists()] == []
