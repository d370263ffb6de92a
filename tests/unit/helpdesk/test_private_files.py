"""Database files hold personal data: they are created readable by their owner only."""

from __future__ import annotations

import stat
from pathlib import Path

from bot.helpdesk.conversations import SqlConversationStore
from bot.helpdesk.db import migrate

ROOT = Path(__file__).resolve().parents[3]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_help_desk_database_is_created_mode_0600(tmp_path: Path) -> None:
    database = tmp_path / "var" / "helpdesk.db"
    migrate(f"sqlite:///{database}")
    assert mode(database) == 0o600
    for companion in tmp_path.glob("var/helpdesk.db-*"):
        assert mode(companion) & 0o077 == 0, companion


def test_an_existing_database_with_loose_permissions_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "helpdesk.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    migrate(f"sqlite:///{database}")
    assert mode(database) == 0o600


async def test_the_tracker_store_file_is_created_mode_0600(tmp_path: Path) -> None:
    tracker = tmp_path / "rasa-tracker.db"
    store = SqlConversationStore.from_url(f"sqlite:///{tracker}")
    await store.dispose()
    assert mode(tracker) == 0o600


def test_the_stack_creates_files_for_its_user_only() -> None:
    """Rasa creates its own tracker store file when `make run` starts it."""
    script = (ROOT / "scripts" / "run-stack.sh").read_text(encoding="utf-8")
    assert "umask 077" in script.split("mkdir -p var")[0]
