"""The site's settings: RASA_URL read when asked, with a working local default in development."""

from __future__ import annotations

import pytest

from bot.site import SiteSettings, SiteSettingsError

DEV = {"HELPDESK_ENV": "development"}  # the local default is for development only


def test_the_local_default_points_at_rasa_on_this_machine() -> None:
    settings = SiteSettings.from_env(DEV)

    assert settings.rasa_url == "http://localhost:5005"
    assert settings.rasa_webhook_url == "http://localhost:5005/webhooks/rest/webhook"


def test_rasa_url_is_taken_from_the_environment_without_its_trailing_slash() -> None:
    settings = SiteSettings.from_env({"RASA_URL": "https://rasa.example.org:8443/"})

    assert settings.rasa_webhook_url == "https://rasa.example.org:8443/webhooks/rest/webhook"
    assert settings.rasa_origin == "https://rasa.example.org:8443"


def test_rasa_behind_a_path_prefix_keeps_the_prefix() -> None:
    settings = SiteSettings(rasa_url="https://example.org/rasa")

    assert settings.rasa_webhook_url == "https://example.org/rasa/webhooks/rest/webhook"
    assert settings.rasa_origin == "https://example.org"


def test_an_empty_rasa_url_falls_back_to_the_default() -> None:
    assert SiteSettings.from_env({**DEV, "RASA_URL": ""}).rasa_url == "http://localhost:5005"


@pytest.mark.parametrize(
    "value", ["localhost:5005", "ftp://rasa", "javascript:alert(1)", "http://", "http://a/?x=1"]
)
def test_a_rasa_url_the_widget_cannot_use_is_refused_with_its_name(value: str) -> None:
    with pytest.raises(SiteSettingsError, match="RASA_URL"):
        SiteSettings.from_env({"RASA_URL": value})


def test_reading_settings_does_not_happen_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URL", "http://first:1")
    first = SiteSettings.from_env()
    monkeypatch.setenv("RASA_URL", "http://second:2")

    assert (first.rasa_url, SiteSettings.from_env().rasa_url) == (
        "http://first:1",
        "http://second:2",
    )


def test_the_message_length_limit_is_the_chat_channels_own_setting() -> None:
    assert SiteSettings.from_env(DEV).max_message_length == 2000
    limited = SiteSettings.from_env({**DEV, "CHAT_MAX_MESSAGE_LENGTH": "500"})
    assert limited.max_message_length == 500


def test_a_message_length_limit_below_one_is_refused() -> None:
    with pytest.raises(SiteSettingsError, match="at least 1"):
        SiteSettings(max_message_length=0)
