"""One way to read environment variables, for the action server, the help desk and the site."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from sanic import Sanic

from actions.settings import helpdesk_settings
from bot import settings_env as env_var
from bot.helpdesk.app import create_app
from bot.helpdesk.settings import Settings
from bot.settings_env import SettingsError
from bot.site import SiteSettings

DEV = {"HELPDESK_ENV": "development"}  # local defaults are allowed only here

Sanic.test_mode = True


def test_blank_means_unset_and_values_lose_surrounding_spaces() -> None:
    env = {"A": "  ", "B": " value "}
    assert env_var.text(env, "A", "default") == "default"
    assert env_var.text(env, "B", "default") == "value"
    assert env_var.text(env, "MISSING", "default") == "default"


@pytest.mark.parametrize(
    ("read", "raw", "message"),
    [
        (lambda env: env_var.integer(env, "N", 1), "two", "N must be a whole number, not 'two'"),
        (lambda env: env_var.integer(env, "N", 1, minimum=1), "0", "N must be at least 1, not 0"),
        (lambda env: env_var.positive_number(env, "N", 1.0), "soon", "N must be a number"),
        (lambda env: env_var.positive_number(env, "N", 1.0), "-1", "N must be greater than zero"),
        (lambda env: env_var.boolean(env, "N", False), "maybe", "N must be true or false"),
    ],
)
def test_an_unusable_value_names_the_variable(
    read: Callable[[Mapping[str, str]], object], raw: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        read({"N": raw})


@pytest.mark.parametrize(("raw", "value"), [("TRUE", True), ("on", True), ("0", False)])
def test_booleans(raw: str, value: bool) -> None:
    assert env_var.boolean({"B": raw}, "B", not value) is value


def test_every_process_reports_the_same_error_type() -> None:
    readers: list[tuple[Callable[[Mapping[str, str]], object], dict[str, str]]] = [
        (helpdesk_settings, {**DEV, "HELPDESK_RETRIES": "x"}),
        (Settings.from_env, {**DEV, "SMTP_PORT": "x"}),
        (SiteSettings.from_env, {"RASA_URL": "ftp://x"}),
    ]
    for read, env in readers:
        with pytest.raises(SettingsError):
            read(env)


def test_the_service_token_default_is_the_same_on_both_sides() -> None:
    assert helpdesk_settings(DEV).service_token == Settings.from_env(DEV).service_token


async def test_create_app_takes_the_site_settings_and_reads_no_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RASA_URL", "not a url")  # would fail if create_app read it
    app = create_app(Settings(), SiteSettings(rasa_url="http://rasa.example.org:5005"))

    _, page = await app.asgi_client.get("/")

    assert "http://rasa.example.org:5005/webhooks/rest/webhook" in page.text


def test_the_policy_folder_can_be_given() -> None:
    settings = SiteSettings.from_env({**DEV, "POLICY_DIR": "/srv/policy"})
    assert str(settings.policy_path) == "/srv/policy/privacy-policy.md"
    assert str(settings.sections_path) == "/srv/policy/sections.yml"


def test_an_address_has_a_local_default_only_in_development() -> None:
    assert env_var.location(DEV, "RASA_URL", "http://localhost:5005") == "http://localhost:5005"
    assert env_var.location({"RASA_URL": "https://chat.example.org"}, "RASA_URL", "x") == (
        "https://chat.example.org"
    )
    with pytest.raises(SettingsError, match="RASA_URL is not set"):
        env_var.location({"HELPDESK_ENV": "production"}, "RASA_URL", "http://localhost:5005")


def test_outside_development_the_site_needs_to_be_told_where_rasa_is() -> None:
    with pytest.raises(SettingsError, match="RASA_URL"):
        SiteSettings.from_env({})
