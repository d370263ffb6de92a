"""Which status changes a ticket may go through."""

from __future__ import annotations

from bot.contract import Status

ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IDENTITY_CHECK, Status.WITHDRAWN}),
    Status.IDENTITY_CHECK: frozenset({Status.IN_PROGRESS, Status.REJECTED, Status.WITHDRAWN}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN}),
    Status.COMPLETED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}


class TransitionRefused(Exception):
    """The ticket cannot move from its current status to the requested one."""

    def __init__(self, current: Status, requested: Status) -> None:
        self.current = current
        self.requested = requested
        allowed = next_statuses(current)
        options = ", ".join(s.value for s in allowed) if allowed else "none (the ticket is closed)"
        super().__init__(
            f"A ticket in status '{current.value}' cannot move to '{requested.value}'; "
            f"allowed next statuses: {options}."
        )


def next_statuses(current: Status) -> list[Status]:
    """The allowed next statuses, in the order of the workflow."""
    return [status for status in Status if status in ALLOWED_TRANSITIONS[current]]


def check_transition(current: Status, requested: Status) -> None:
    if requested not in ALLOWED_TRANSITIONS[current]:
        raise TransitionRefused(current, requested)
