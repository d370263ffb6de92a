from __future__ import annotations

import pytest

from bot.helpdesk.models import OPEN_STATUSES, Status
from bot.helpdesk.transitions import TransitionRefused, check_transition, next_statuses

S = Status
ALLOWED = [
    (S.NEW, S.IDENTITY_CHECK),
    (S.IDENTITY_CHECK, S.IN_PROGRESS),
    (S.IDENTITY_CHECK, S.REJECTED),
    (S.IN_PROGRESS, S.COMPLETED),
    (S.IN_PROGRESS, S.REJECTED),
    *[(open_status, S.WITHDRAWN) for open_status in sorted(OPEN_STATUSES)],
]


@pytest.mark.parametrize(("current", "requested"), ALLOWED)
def test_allowed_transitions(current: Status, requested: Status) -> None:
    check_transition(current, requested)


@pytest.mark.parametrize(
    ("current", "requested"),
    [(c, r) for c in Status for r in Status if (c, r) not in ALLOWED],
)
def test_every_other_transition_is_refused_with_a_clear_message(
    current: Status, requested: Status
) -> None:
    with pytest.raises(TransitionRefused) as refused:
        check_transition(current, requested)
    assert f"'{current.value}' cannot move to '{requested.value}'" in str(refused.value)


@pytest.mark.parametrize("closed", [S.COMPLETED, S.REJECTED, S.WITHDRAWN])
def test_closed_tickets_have_no_next_status(closed: Status) -> None:
    assert next_statuses(closed) == []


def test_next_statuses_follow_the_workflow_order() -> None:
    assert next_statuses(S.IN_PROGRESS) == [S.COMPLETED, S.REJECTED, S.WITHDRAWN]
