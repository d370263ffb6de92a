"""A built wheel runs the help desk and the site: templates, static files, the OpenAPI file and
the migrations travel with the code, so an install needs no source tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DATA = [
    "bot/helpdesk/openapi.yaml",
    "bot/helpdesk/templates/login.html",
    "bot/helpdesk/static/console.css",
    "bot/helpdesk/migrations/env.py",
    "bot/helpdesk/migrations/script.py.mako",
    "bot/helpdesk/migrations/versions/0001_initial_schema.py",
    "bot/site/templates/index.html",
    "bot/site/static/widget.js",
]
# Runs with `python -S` and PYTHONPATH=<wheel install>:<the venv's site-packages>, outside the
# checkout: the venv's editable install (a .pth hook) is never loaded, so `bot` is the wheel's.
START_THE_APP = """
import asyncio, json, sys
from pathlib import Path

import bot
from sanic import Sanic
from bot.helpdesk.app import create_app
from bot.helpdesk.settings import Settings
from bot.site.settings import SiteSettings

Sanic.test_mode = True
app = create_app(Settings(database_url=sys.argv[1]), SiteSettings.from_env())

async def fetch() -> dict:
    paths = ["/", "/helpdesk/login", "/helpdesk/static/console.css", "/api/v1/openapi.yaml"]
    answers = {}
    for path in paths:
        _, response = await app.asgi_client.get(path)
        answers[path] = [response.status, response.text]
    return answers

print(json.dumps({"bot": str(Path(bot.__file__).resolve()), "answers": asyncio.run(fetch())}))
"""


def _run(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=True, capture_output=True, text=True, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build from a copy of the sources, so the checkout gets no build/ or egg-info."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("bot", "actions"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--wheel-dir", str(work / "dist"), str(source)]
    )  # fmt: skip
    (built,) = (work / "dist").glob("privacy_assistant-*.whl")
    return built


def test_the_wheel_carries_the_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in PACKAGE_DATA if name not in names] == []


def test_the_installed_wheel_migrates_and_serves_the_site_and_console(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "installed"
    _run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(wheel)]
    )  # fmt: skip
    site_packages = sysconfig.get_paths()["purelib"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), site_packages]),
        "POLICY_DIR": str(ROOT / "data" / "policy"),  # the policy is data, not code
    }
    database_url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
    python = [sys.executable, "-S"]
    migrated = _run(
        [*python, "-m", "bot.helpdesk.cli", "migrate"],
        cwd=tmp_path,
        env={**env, "DATABASE_URL": database_url},
    )
    started = _run([*python, "-c", START_THE_APP, database_url], cwd=tmp_path, env=env)

    result = json.loads(started.stdout.splitlines()[-1])
    answers = result["answers"]
    assert "up to date" in migrated.stdout
    assert Path(result["bot"]).is_relative_to(target)
    assert {path: status for path, (status, _) in answers.items()} == {
        "/": 200,
        "/helpdesk/login": 200,
        "/helpdesk/static/console.css": 200,
        "/api/v1/openapi.yaml": 200,
    }
    assert 'id="use-of-cookies"' in answers["/"][1]
    assert 'name="password"' in answers["/helpdesk/login"][1]
