"""Back-off for work retried against the outside world (SMTP, Affelnet): capped, exponential, with jitter."""

from __future__ import annotations

from datetime import timedelta


def retry_delay(attempts: int, jitter: float, *, base: timedelta, cap: timedelta) -> timedelta:
    """The pause before attempt ``attempts + 1``; ``jitter`` in [0, 1) comes from the caller."""
    ceiling = min(cap.total_seconds(), base.total_seconds() * 2 ** min(attempts, 20))
    return timedelta(seconds=ceiling * (0.5 + jitter / 2))
