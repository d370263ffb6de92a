"""The staff second factor and disabled accounts: the rules, on in-memory repositories."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from bot.helpdesk import services
from bot.helpdesk.ratelimit import memory_limit
from bot.helpdesk.totp import SecretBox, SecretUnreadable, matching_step, new_enrolment
from tests.unit.helpdesk.fake_repositories import FakeStaffRepository

NOW = datetime(2026, 11, 27, 0, 0, 15, tzinfo=timezone.utc)
STEP = timedelta(seconds=30)
SECRET = pyotp.random_base32()
PASSWORD = "a long password"
LIFETIME = services.SessionLifetime()


def code_at(moment: datetime) -> str:
    return pyotp.TOTP(SECRET).at(moment)


@pytest.mark.parametrize("drift", [-1, 0, 1])
def test_a_code_from_one_step_either_side_is_accepted(drift: int) -> None:
    step = matching_step(SECRET, code_at(NOW + drift * STEP), NOW)
    assert step == pyotp.TOTP(SECRET).timecode(NOW) + drift


@pytest.mark.parametrize("drift", [-3, -2, 2, 3])
def test_a_code_two_or_more_steps_away_is_refused(drift: int) -> None:
    code = code_at(NOW + drift * STEP)
    near = {code_at(NOW + offset * STEP) for offset in (-1, 0, 1)}
    assert code in near or matching_step(SECRET, code, NOW) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_anything_but_six_digits_is_refused(code: str) -> None:
    assert matching_step(SECRET, code, NOW) is None


def test_a_sealed_secret_needs_the_same_secret_key() -> None:
    sealed = SecretBox("the help desk's secret key").seal(SECRET)
    assert SECRET not in sealed
    assert SecretBox("the help desk's secret key").open(sealed) == SECRET
    with pytest.raises(SecretUnreadable):
        SecretBox("another key").open(sealed)


def test_enrolment_gives_an_otpauth_uri_for_the_same_secret() -> None:
    enrolment = new_enrolment("alice")
    parsed = pyotp.parse_uri(enrolment.uri)
    assert enrolment.uri.startswith("otpauth://totp/") and parsed.secret == enrolment.secret


async def _enrolled() -> tuple[FakeStaffRepository, SecretBox, pyotp.TOTP]:
    staff, box = FakeStaffRepository(), SecretBox("key")
    await services.add_staff(staff, "alice", PASSWORD)
    enrolment = await services.enrol_totp(staff, box, "alice")
    assert enrolment is not None and staff.totp_secrets["alice"] != enrolment.secret
    return staff, box, pyotp.TOTP(enrolment.secret)


def _limits(per_account: int = 9) -> services.LoginLimits:
    return services.LoginLimits(memory_limit("ip", 99, 300), memory_limit("acct", per_account, 300))


async def test_an_enrolled_account_needs_a_current_code_and_each_code_works_once() -> None:
    staff, box, totp = await _enrolled()
    limits = _limits()

    async def login(code: str) -> services.OpenedSession:
        return await services.login(
            staff, limits, "alice", PASSWORD, "ip", LIFETIME, code=code, box=box
        )

    with pytest.raises(services.LoginRefused):
        await login("")
    code = totp.now()
    assert (await login(code)).token
    with pytest.raises(services.LoginRefused):
        await login(code)  # the same code again, within its window
    with pytest.raises(services.LoginRefused):  # no key to open the secret: refused, not skipped
        await services.login(staff, limits, "alice", PASSWORD, "ip", LIFETIME, code=totp.now())


async def test_wrong_codes_are_counted_before_the_code_is_checked() -> None:
    staff, box, totp = await _enrolled()
    limits = _limits(per_account=2)
    for _ in range(2):
        with pytest.raises(services.LoginRefused):
            await services.login(staff, limits, "alice", PASSWORD, "ip", LIFETIME, box=box)
    with pytest.raises(services.TooManyLogins):
        await services.login(
            staff, limits, "alice", PASSWORD, "ip", LIFETIME, code=totp.now(), box=box
        )


async def test_without_enrolment_the_password_alone_logs_in() -> None:
    staff, box, _ = await _enrolled()
    assert await services.disable_totp(staff, "alice")
    opened = await services.login(staff, _limits(), "alice", PASSWORD, "ip", LIFETIME, box=box)
    assert opened.token


async def test_a_disabled_account_is_refused_like_a_wrong_password_and_loses_its_sessions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="security")
    staff = FakeStaffRepository()
    await services.add_staff(staff, "alice", PASSWORD)
    opened = await services.login(staff, _limits(), "alice", PASSWORD, "ip", LIFETIME)

    assert await services.disable_staff(staff, "alice") == 1
    assert await services.staff_session(staff, opened.token) is None
    with pytest.raises(services.LoginRefused):
        await services.login(staff, _limits(), "alice", PASSWORD, "ip", LIFETIME)
    assert '"reason": "account_disabled"' in caplog.text

    assert await services.enable_staff(staff, "alice")
    assert await services.login(staff, _limits(), "alice", PASSWORD, "ip", LIFETIME)
    assert await services.disable_staff(staff, "nobody") is None
