from __future__ import annotations

import pytest

from bot.helpdesk.db import DatabaseUrlError, async_database_url, sync_database_url
from bot.helpdesk.settings import DEVELOPMENT_SECRET_KEY, Settings, SettingsError

DEV = {"HELPDESK_ENV": "development"}  # local defaults are allowed only here


def test_defaults_work_locally() -> None:
    settings = Settings.from_env(DEV)
    assert settings.database_url == "sqlite:///var/helpdesk.db"
    assert settings.service_token == "local-dev-service-token"
    assert settings.due_days == 14
    assert settings.secret_key == DEVELOPMENT_SECRET_KEY and settings.uses_development_secret
    assert settings.secure_cookies is False
    assert (settings.smtp_host, settings.smtp_port) == ("localhost", 1025)
    assert (settings.mail_from, settings.mail_to) == (
        "privacy-assistant@localhost", "helpdesk@localhost",
    )  # fmt: skip


def test_environment_overrides() -> None:
    settings = Settings.from_env(
        {**DEV, "HELPDESK_DUE_DAYS": "30", "HELPDESK_SECURE_COOKIES": "true", "SMTP_PORT": "2525",
         "HELPDESK_SECRET_KEY": "s3cret", "DATABASE_URL": "postgresql://u@h:5432/d"}
    )  # fmt: skip
    assert settings.due_days == 30 and settings.secure_cookies is True
    assert settings.smtp_port == 2525 and not settings.uses_development_secret


@pytest.mark.parametrize(
    ("name", "value"),
    [("HELPDESK_DUE_DAYS", "two weeks"), ("HELPDESK_DUE_DAYS", "0"),
     ("HELPDESK_SECURE_COOKIES", "maybe"), ("SMTP_PORT", "x")],
)  # fmt: skip
def test_bad_values_are_explained(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**DEV, name: value})


def test_the_development_secret_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    Settings.from_env(DEV)
    assert "HELPDESK_SECRET_KEY is not set" in caplog.text


@pytest.mark.parametrize(
    ("url", "async_url", "sync_url"),
    [
        ("sqlite:///var/helpdesk.db", "sqlite+aiosqlite:///var/helpdesk.db", "sqlite:///var/helpdesk.db"),
        ("postgresql://postgres@127.0.0.1:5432/db", "postgresql+asyncpg://postgres@127.0.0.1:5432/db",
         "postgresql+psycopg2://postgres@127.0.0.1:5432/db"),
        ("postgres://u:p%40ss@h/db", "postgresql+asyncpg://u:p%40ss@h/db", "postgresql+psycopg2://u:p%40ss@h/db"),
    ],
)  # fmt: skip
def test_database_urls_are_translated_to_drivers(url: str, async_url: str, sync_url: str) -> None:
    assert async_database_url(url) == async_url
    assert sync_database_url(url) == sync_url


def test_unsupported_databases_are_refused() -> None:
    with pytest.raises(DatabaseUrlError):
        async_database_url("mysql://u@h/db")


STRONG = "x" * 43
ADDRESSES = {"DATABASE_URL": "postgresql://helpdesk@db.internal/helpdesk",
             "TRACKER_STORE_URL": "postgresql://rasa@db.internal/tracker",
             "HELPDESK_PUBLIC_URL": "https://privacy.example.com", "SMTP_HOST": "mail.internal",
             "HELPDESK_MAIL_TO": "privacy-desk@example.com"}  # fmt: skip
PRODUCTION = {"HELPDESK_SERVICE_TOKEN": STRONG, "HELPDESK_SECRET_KEY": STRONG + "y",
              "HELPDESK_SECURE_COOKIES": "true", **ADDRESSES}  # fmt: skip


def test_production_settings_with_real_secrets_are_accepted() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert settings.service_token == STRONG and settings.secure_cookies


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"HELPDESK_SERVICE_TOKEN": ""}, "HELPDESK_SERVICE_TOKEN"),
        ({"HELPDESK_SERVICE_TOKEN": "local-dev-service-token"}, "HELPDESK_SERVICE_TOKEN"),
        ({"HELPDESK_SERVICE_TOKEN": "x" * 42}, "HELPDESK_SERVICE_TOKEN"),
        ({"HELPDESK_SECRET_KEY": ""}, "HELPDESK_SECRET_KEY"),
        ({"HELPDESK_SECRET_KEY": DEVELOPMENT_SECRET_KEY}, "HELPDESK_SECRET_KEY"),
        ({"HELPDESK_SECURE_COOKIES": ""}, "HELPDESK_SECURE_COOKIES"),
        ({"HELPDESK_SECURE_COOKIES": "false"}, "HELPDESK_SECURE_COOKIES"),
        ({"HELPDESK_ENV": "production"}, None),  # any other word is production too
    ],
)  # fmt: skip
def test_outside_development_missing_secrets_are_refused(
    change: dict[str, str], named: str | None
) -> None:
    env = {**PRODUCTION, **change}
    if named is None:
        Settings.from_env(env)
        return
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


@pytest.mark.parametrize("name", sorted(ADDRESSES))
def test_outside_development_an_unset_address_is_refused_not_defaulted(name: str) -> None:
    # A local default in production would keep tickets in a stray SQLite file, purge the wrong
    # tracker store or mail customers a link to localhost.
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**PRODUCTION, name: ""})


def test_in_development_the_addresses_have_working_local_defaults() -> None:
    settings = Settings.from_env(DEV)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.public_url == "http://localhost:8000"
