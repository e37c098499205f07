"""The planner seen on one waiting domain, for the rules' tests written slot by slot (R16–R18)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from services.scheduling import domain

DOMAIN = "hotellerie-restauration"


def choose_slot(
    slots: Iterable[domain.Slot], *, origin_uai: str, taken: Iterable[datetime], now: datetime, policy: domain.Policy
) -> domain.Slot | None:
    """The planner on one waiting domain, beside interviews that cannot move: the slot it books, or None."""
    by_id = {s.slot_id: s for s in slots}
    fixed = [
        domain.Held(
            f"i{n}", f"other-{n}", now, domain.Slot(f"t{n}", origin_uai, t, 1, domain_code=f"other-{n}"), attended=True
        )
        for n, t in enumerate(taken)
    ]
    plan = domain.plan_pupil(
        [domain.WaitingNeed(DOMAIN, now)],
        fixed,
        [replace(s, domain_code=DOMAIN) for s in by_id.values()],
        origin_uai=origin_uai,
        now=now,
        policy=policy,
    )
    booked = plan.bookings.get(DOMAIN)
    return None if booked is None else by_id[booked.slot_id]
