"""R15 on the real broker and database: a pupil already waiting for a seat in one domain who registers in another
stays counted in the first domain's shortfall; a planning round must not end its episode, or the same shortfall
would be told again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.scheduling.app import SERVICE as SCHEDULING
from tests.service.delivering import delivery, envelope, events_consumer, schema, service_pool

__all__ = ["schema"]  # the fixture

INE, ORIGIN = "0168000122F", "0944512U"
AT = datetime(2013, 2, 12, 8, 0, tzinfo=UTC)


def registered(domain_code: str, formation: str) -> dict[str, Any]:
    return {
        **envelope(AT),
        "ine": INE,
        "formation_code": formation,
        "domain_code": domain_code,
        "origin_uai": ORIGIN,
        "origin_opinion": "favorable",
        "pupil": {"ine": INE, "first_name": "Inès", "last_name": "Martin"},
        "referent": {"name": "Paul Durand", "email": "paul.durand@example.org"},
        "origin_comment": "Motivée.",
        "channel": "portal",
        "registered_at": AT.isoformat(),
        "revision": 1,
    }


async def test_r15_a_registration_in_another_domain_leaves_a_pupil_waiting_for_a_seat_counted(schema: str) -> None:
    pool = await service_pool(schema, SCHEDULING)
    try:
        consumer = events_consumer(pool, SCHEDULING)
        await consumer.deliver(
            await delivery(
                "enrollment.candidacy_registered",
                registered("production-conception-mecanique", "2nde-pro-production-conception-mecanique"),
            )
        )
        # Its round ended with no seat: the pupil waits for one, counted in the domain's shortfall.
        await pool.execute("UPDATE needs SET plan_after = NULL")
        await consumer.deliver(
            await delivery(
                "enrollment.candidacy_registered",
                registered("tapisserie-ameublement", "2nde-pro-artisanat-tapisserie-ameublement"),
            )
        )

        rounds = {
            r["domain_code"]: r["plan_after"] is not None
            for r in await pool.fetch("SELECT domain_code, plan_after FROM needs WHERE state = 'waiting'")
        }
    finally:
        await pool.close()
    assert rounds == {"production-conception-mecanique": False, "tapisserie-ameublement": True}
