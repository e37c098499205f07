"""Two replicas of scheduling on the same queues and database, thousands of messages at once (R13, R15).

Checked from the outside (events) and from scheduling's own tables: no seat over capacity, no pupil
with two interviews in one domain, no pupil waiting while a fitting seat is free, nobody lost.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import asyncpg
import pytest

from harness.portal import PortalClient
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.conftest import OPEN, Clock, register_body
from tests.stack import ServiceStack

pytestmark = pytest.mark.e2e

DOMAIN = "paysage-horticulture"
FORMATIONS = [
    "capa-production-horticole",
    "capa-travaux-paysagers",
    "2nde-pro-agri-amenagement-paysager",
    "2nde-pro-agri-productions-horticoles",
    "2nde-pro-agri-technicien-conseil-vente-jardin",
]
SCHOOLS = ["0771455N", "0931720P", "0940784S"]
ORIGINS = ["0930122C", "0771234Y", "0941918Z", "0940115P"]
PUPILS = 1200


async def settled(conn: asyncpg.Connection, pupils: int, deadline: float) -> dict[str, int]:
    """Waits until every pupil has a need and nothing moves any more."""
    previous = None
    while time.monotonic() < deadline:
        row = await conn.fetchrow(
            "SELECT count(*) AS needs, count(*) FILTER (WHERE state = 'booked') AS booked,"
            " count(*) FILTER (WHERE state = 'waiting') AS waiting FROM scheduling.needs"
            " WHERE campaign = '2013' AND domain_code = $1",
            DOMAIN,
        )
        current = dict(row)
        if current["needs"] == pupils and current == previous:
            return current
        previous = current
        await asyncio.sleep(2.5)  # longer than the sweep's period
    raise TimeoutError(f"scheduling did not settle: {previous}")


async def test_two_replicas_book_thousands_without_breaking_a_rule(
    stack: ServiceStack, portal: PortalClient, clock: Clock
) -> None:
    await clock.at_least(OPEN)
    stack.start("scheduling#1")
    await stack.wait_ready()
    rng = random.Random(2013)
    commands: list[tuple[str, dict]] = []
    for _ in range(PUPILS):
        first = register_body(
            formation_code=rng.choice(FORMATIONS), actor_uai=(origin := rng.choice(ORIGINS)), origin_uai=origin
        )
        commands.append(("register_candidacy", first))
        if rng.random() < 0.3:
            commands.append(
                (
                    "register_candidacy",
                    register_body(
                        pupil=first["pupil"], formation_code=rng.choice(FORMATIONS), actor_uai=origin, origin_uai=origin
                    ),
                )
            )
    declared_seats = 0
    for school in SCHOOLS:
        for day in range(1, 11):
            capacity = rng.randint(5, 40)
            declared_seats += capacity
            commands.append(
                (
                    "declare_interview_slots",
                    {
                        "command_id": str(uuid.uuid4()),
                        "campaign": "2013",
                        "actor_uai": school,
                        "domain_code": DOMAIN,
                        "place": "Serres du lycée",
                        "slots": [
                            {
                                "starts_at": f"2013-03-{day + 4:02d}T{9 + day % 6:02d}:00:00+01:00",
                                "duration_minutes": 20,
                                "capacity": capacity,
                            }
                        ],
                    },
                )
            )
    rng.shuffle(commands)

    try:
        await asyncio.gather(*(portal.send(key, body) for key, body in commands))
        conn = await asyncpg.connect(TEST_DATABASE_URL)
        try:
            counts = await settled(conn, PUPILS, time.monotonic() + 240)
            over = await conn.fetchval(
                "SELECT count(*) FROM scheduling.slots s WHERE s.booked > s.capacity OR s.booked <> "
                "(SELECT count(*) FROM scheduling.interviews i WHERE i.slot_id = s.slot_id"  # a no-show used its seat
                " AND i.status IN ('booked', 'attended', 'absent'))"
            )
            doubles = await conn.fetchval(
                "SELECT count(*) FROM (SELECT ine FROM scheduling.interviews WHERE domain_code = $1"
                " AND status IN ('booked', 'attended') GROUP BY ine HAVING count(*) > 1) d",
                DOMAIN,
            )
            free_fitting = await conn.fetchval(
                "SELECT coalesce(sum(capacity - booked), 0) FROM scheduling.slots WHERE domain_code = $1"
                " AND starts_at >= $2::timestamptz + interval '5 days'",
                DOMAIN,
                clock.at,
            )
        finally:
            await conn.close()
    finally:
        stack.stop("scheduling#1")

    assert over == 0
    assert doubles == 0
    assert counts["booked"] + counts["waiting"] == PUPILS
    assert counts["booked"] == min(PUPILS, declared_seats)
    assert counts["waiting"] == 0 or free_fitting == 0
