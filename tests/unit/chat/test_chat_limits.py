"""The chat limits: one setting for the Rasa channel and the site, read when asked."""

from __future__ import annotations

import pytest

from bot.chat.limits import (
    DEFAULT_MAX_MESSAGE_LENGTH,
    DEFAULT_MAX_REQUEST_BYTES,
    ChatLimits,
    ChatLimitsError,
)


def test_the_defaults_are_2000_characters_and_two_mebibytes() -> None:
    limits = ChatLimits.from_env({})
    assert (limits.max_message_length, limits.max_request_bytes) == (2000, 2_097_152)
    assert (DEFAULT_MAX_MESSAGE_LENGTH, DEFAULT_MAX_REQUEST_BYTES) == (2000, 2_097_152)


def test_the_limits_come_from_the_environment() -> None:
    limits = ChatLimits.from_env(
        {"CHAT_MAX_MESSAGE_LENGTH": " 500 ", "CHAT_MAX_REQUEST_BYTES": "65536"}
    )
    assert limits == ChatLimits(max_message_length=500, max_request_bytes=65536)


def test_an_empty_value_means_the_default() -> None:
    assert ChatLimits.from_env({"CHAT_MAX_MESSAGE_LENGTH": ""}) == ChatLimits()


@pytest.mark.parametrize("value", ["many", "1.5", "0", "-3"])
def test_an_unusable_value_is_refused_with_its_name(value: str) -> None:
    with pytest.raises(ChatLimitsError, match="CHAT_MAX_MESSAGE_LENGTH"):
        ChatLimits.from_env({"CHAT_MAX_MESSAGE_LENGTH": value})


def test_nothing_is_read_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_MAX_MESSAGE_LENGTH", "10")
    first = ChatLimits.from_env()
    monkeypatch.setenv("CHAT_MAX_MESSAGE_LENGTH", "20")
    assert (first.max_message_length, ChatLimits.from_env().max_message_length) == (10, 20)
