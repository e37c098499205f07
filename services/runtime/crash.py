"""Crash injection at named points (``PASSPRO_CRASH_AT=<point>[@<n>]``): inert unless set, then dies as kill -9 would.

The fault tests start one process with the switch on to crash it exactly where a random kill rarely lands
(between a commit and the ack, a confirm and the delete, SMTP's 250 and the mark-sent), then start it again
without the switch and count, from outside, what was lost or done twice. The variable is read once, when this
module is first imported; unset, ``point()`` costs one comparison.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENV = "PASSPRO_CRASH_AT"
EXIT_CODE = 137
"""What a shell reports for kill -9 (128 + 9): supervisors and the tests treat the crash as that kill."""
POINTS = frozenset(
    {
        "consumer.after_commit",
        "outbox.after_commit_before_hand_off",
        "relay.after_confirm",
        "notifications.after_250",
        "affelnet.after_2xx",
    }
)
"""Where ``point()`` is called, each named after what has happened and what has not yet:
``consumer.after_commit`` the transaction committed, the delivery not acked (single and batch paths);
``outbox.after_commit_before_hand_off`` committed, the rows not yet handed to the relay in memory;
``relay.after_confirm`` the broker confirmed, the outbox rows not deleted; ``notifications.after_250`` SMTP
accepted a mail, not yet marked sent; ``affelnet.after_2xx`` Affelnet answered 2xx (or 409), the bonus not yet
marked delivered."""


@dataclass(frozen=True)
class Target:
    point: str
    nth: int = 1
    """The point fires the ``nth`` time this process reaches it."""


def parse(value: str | None) -> Target | None:
    """``<point>`` or ``<point>@<n>``; None when unset or blank. A value naming no point is an error, so that a
    misspelt switch stops the process at start instead of never firing."""
    if value is None or not value.strip():
        return None
    name, at, count = value.strip().partition("@")
    if name not in POINTS:
        raise ValueError(f"{ENV}={value!r}: unknown crash point {name!r}; known: {', '.join(sorted(POINTS))}")
    if not at:
        return Target(name)
    if not count.isdigit() or int(count) < 1:
        raise ValueError(f"{ENV}={value!r}: after '@' comes how many times the point is reached first (1, 2, …)")
    return Target(name, int(count))


_target = parse(os.environ.get(ENV))
_armed: str | None = _target.point if _target else None
_reached = 0


def point(name: str) -> None:
    """Crash here if the switch names this point and this is its n-th time; otherwise nothing."""
    if name != _armed:
        return
    _fire(name)


def _fire(name: str) -> None:
    global _reached
    assert _target is not None
    _reached += 1
    if _reached < _target.nth:
        return
    # Straight to the file descriptor: no logging pipeline, no buffer that a kill -9 would not flush either.
    os.write(2, f"passpro crash point {name} reached (time {_reached}): exiting with {EXIT_CODE}\n".encode())
    os._exit(EXIT_CODE)
