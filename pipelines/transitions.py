"""The deal state machine, as data."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pipelines.clock import as_utc


class Status(StrEnum):
    """A deal's stage."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    WON = "won"
    LOST = "lost"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WON, Status.LOST}),
    Status.IN_PROGRESS: frozenset({Status.WON, Status.LOST}),
    Status.WON: frozenset({Status.IN_PROGRESS}),
    Status.LOST: frozenset({Status.IN_PROGRESS}),
}
OPEN_STATUSES: frozenset[Status] = frozenset({Status.NEW, Status.IN_PROGRESS})

NOT_INTERESTED = "not_interested"
CLIENT_CHOSE_OTHER = "client_chose_another_partner"


class TransitionError(Exception):
    """A status change the rules refuse."""

    code = "invalid_transition"

    def __init__(self, message: str) -> None:
        """Keep message readable as .message for the error response."""
        super().__init__(message)
        self.message = message


class InvalidTransition(TransitionError):
    """The target status cannot follow the current one."""

    def __init__(self, current: Status, target: Status) -> None:
        """Name the refused move and the statuses allowed instead."""
        self.current = current
        self.target = target
        self.allowed = allowed_targets(current)
        super().__init__(
            f"a deal cannot go from {current.value!r} to {target.value!r}; allowed: {', '.join(self.allowed)}"
        )


class AmountRequired(TransitionError):
    """A won deal has no amount."""

    code = "amount_required"


class LostReasonRequired(TransitionError):
    """A lost deal has no reason."""

    code = "lost_reason_required"


@dataclass(frozen=True)
class StatusChanged:
    """A deal moved from one status to another."""

    from_status: Status
    to_status: Status
    at: datetime
    amount: Decimal | None
    lost_reason: str | None
    first_win: bool


def allowed_targets(current: Status) -> tuple[str, ...]:
    """List the statuses reachable from current, in lifecycle order."""
    return tuple(status.value for status in Status if status in TRANSITIONS[current])


def advance(
    current: Status,
    target: Status,
    *,
    now: datetime,
    amount: Decimal | None,
    lost_reason: str | None,
    ever_won: bool,
) -> StatusChanged:
    """Move a deal to target or raise the TransitionError that forbids it.

    amount is the deal's effective amount (given now or already stored); lost_reason is kept,
    stripped, only for a lost deal. Plain status strings are accepted too.
    """
    current, target = Status(current), Status(target)
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    reason = (lost_reason or "").strip()
    _require_details(target, amount, reason)
    return StatusChanged(
        from_status=current,
        to_status=target,
        at=as_utc(now),
        amount=amount,
        lost_reason=reason if target is Status.LOST else None,
        first_win=target is Status.WON and not ever_won,
    )


def _require_details(target: Status, amount: Decimal | None, reason: str) -> None:
    """Raise when a won deal lacks an amount or a lost deal a reason."""
    if target is Status.WON and amount is None:
        raise AmountRequired("a won deal needs an amount")
    if target is Status.LOST and not reason:
        raise LostReasonRequired("a lost deal needs a lost_reason")
