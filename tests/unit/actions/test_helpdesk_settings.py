import pytest

from actions.settings import HelpDeskSettings, helpdesk_settings

DEV = {"HELPDESK_ENV": "development"}  # local defaults are allowed only here


def test_local_defaults_match_the_architecture_contract() -> None:
    assert helpdesk_settings(DEV) == HelpDeskSettings(
        url="http://localhost:8000",
        service_token="local-dev-service-token",
        timeout_seconds=3.0,
        retries=2,
    )


def test_values_come_from_the_environment_mapping() -> None:
    settings = helpdesk_settings(
        {
            **DEV,
            "HELPDESK_URL": "https://helpdesk.example.com/",
            "HELPDESK_SERVICE_TOKEN": "s3cret",
            "HELPDESK_TIMEOUT_SECONDS": "1.5",
            "HELPDESK_RETRIES": "0",
        }
    )
    assert settings == HelpDeskSettings("https://helpdesk.example.com", "s3cret", 1.5, 0)


def test_the_process_environment_is_read_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_URL", "http://127.0.0.1:9999")
    assert helpdesk_settings().url == "http://127.0.0.1:9999"
    monkeypatch.setenv("HELPDESK_URL", "http://127.0.0.1:8888")
    assert helpdesk_settings().url == "http://127.0.0.1:8888"


def test_blank_values_fall_back_to_the_defaults() -> None:
    settings = helpdesk_settings({**DEV, "HELPDESK_URL": " ", "HELPDESK_RETRIES": ""})
    assert settings.url == "http://localhost:8000"
    assert settings.retries == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HELPDESK_TIMEOUT_SECONDS", "soon"),
        ("HELPDESK_TIMEOUT_SECONDS", "0"),
        ("HELPDESK_TIMEOUT_SECONDS", "-1"),
        ("HELPDESK_RETRIES", "two"),
        ("HELPDESK_RETRIES", "-1"),
        ("HELPDESK_RETRIES", "1.5"),
    ],
)
def test_unusable_numbers_are_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        helpdesk_settings({**DEV, name: value})


def test_outside_development_the_public_service_token_is_refused() -> None:
    where = {"HELPDESK_URL": "http://desk.internal:8000"}
    with pytest.raises(ValueError, match="HELPDESK_SERVICE_TOKEN"):
        helpdesk_settings(where)
    with pytest.raises(ValueError, match="HELPDESK_SERVICE_TOKEN"):
        helpdesk_settings({**where, "HELPDESK_SERVICE_TOKEN": "local-dev-service-token"})
    strong = {**where, "HELPDESK_SERVICE_TOKEN": "t" * 43}
    assert helpdesk_settings(strong).service_token == "t" * 43


def test_outside_development_the_help_desk_address_must_be_given() -> None:
    with pytest.raises(ValueError, match="HELPDESK_URL"):
        helpdesk_settings({"HELPDESK_SERVICE_TOKEN": "t" * 43})
