"""SQL keeps the mechanics, the planner the rule: the candidate filter hides no seat the rule would take, and
taking a seat never fills a slot over its capacity, two connections racing (R13–R18, real PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import datetime, timedelta

import asyncpg
import pytest

from contracts.campaign import load_campaign
from services.scheduling import domain
from services.scheduling.handlers import policy
from services.scheduling.repository import SchedulingRepository, SeatTaken

SCHOOLS = ["0771455N", "0931720P", "0940784S"]
DOMAINS = ["paysage-horticulture", "personnes-territoires"]
NOW = datetime.fromisoformat("2013-03-01T08:00:00+01:00")
INSERT_SLOT = (
    "INSERT INTO slots (slot_id, campaign, reception_uai, domain_code, place, starts_at, ends_at, half_day,"
    " capacity, booked, cancelled_at) VALUES ($1, '2013', $2, $3, 'Serre', $4, $4::timestamptz + interval '30 min',"
    " $5, $6, $7, CASE WHEN $8 THEN $4::timestamptz END)"
)


@pytest.mark.parametrize("seed", range(30))
async def test_r14_r17_the_candidate_filter_hides_no_seat_the_rule_would_take(pool: asyncpg.Pool, seed: int) -> None:
    rng = random.Random(seed)
    rules = policy(load_campaign())
    by_place: dict[tuple[str, str, datetime], domain.Slot] = {}  # one slot per school, domain and start
    for n in range(rng.randint(1, 15)):
        start = (NOW + timedelta(days=rng.randint(0, 14))).replace(hour=rng.choice([8, 9, 11, 13, 14, 16]))
        school, code = rng.choice(SCHOOLS), DOMAINS[n % 2]
        by_place[school, code, start] = domain.Slot(
            str(uuid.uuid4()), school, start, rng.randint(0, 2), cancelled=rng.random() < 0.25, domain_code=code
        )
    slots = list(by_place.values())
    async with pool.acquire() as conn:
        for s in slots:
            capacity = max(s.free_seats, 1)
            await conn.execute(
                INSERT_SLOT,
                uuid.UUID(s.slot_id),
                s.reception_uai,
                s.domain_code,
                s.starts_at,
                domain.half_day(s.starts_at, rules.tz),
                capacity,
                capacity - s.free_seats,
                s.cancelled,
            )
        candidates = await SchedulingRepository(conn, "2013").candidate_slots(
            DOMAINS, domain.earliest_start(NOW, rules)
        )

    # What the rule accepts for a pupil with no interview yet: the filter may keep more, never less.
    accepted = {
        (s.slot_id, s.domain_code, s.free_seats) for s in slots if domain.fits(s, taken=[], now=NOW, policy=rules)
    }
    offered = {(s.slot_id, s.domain_code, s.free_seats) for s in candidates}
    assert accepted <= offered
    assert all(domain.fits(s, taken=[], now=NOW, policy=rules) for s in candidates)


async def test_r15_two_connections_racing_for_seats_never_fill_a_slot_over_its_capacity(pool: asyncpg.Pool) -> None:
    rules = policy(load_campaign())
    slot_id = uuid.uuid4()
    start = NOW + timedelta(days=7)
    pupils = [f"{n:010d}A" for n in range(40)]
    async with pool.acquire() as conn:
        await conn.execute(
            INSERT_SLOT, slot_id, SCHOOLS[0], DOMAINS[0], start, domain.half_day(start, rules.tz), 7, 0, False
        )
        for ine in pupils:
            await conn.execute(
                "INSERT INTO needs (campaign, ine, domain_code, origin_uai, registered_at, formation_codes, state)"
                " VALUES ('2013', $1, $2, '0930122C', $3, '{capa-travaux-paysagers}', 'waiting')",
                ine,
                DOMAINS[0],
                NOW,
            )

    async def book_all(share: list[str]) -> int:
        booked = 0
        async with pool.acquire() as conn:
            for ine in share:
                async with conn.transaction():
                    try:
                        await SchedulingRepository(conn, "2013").book(
                            ine, DOMAINS[0], str(slot_id), half_day_rule=True, now=NOW
                        )
                    except SeatTaken:
                        continue
                    await asyncio.sleep(0)  # hold the row lock while the other connection waits for it
                    booked += 1
        return booked

    results = await asyncio.gather(book_all(pupils[::2]), book_all(pupils[1::2]))

    row = await pool.fetchrow("SELECT booked, capacity FROM slots WHERE slot_id = $1", slot_id)
    interviews = await pool.fetchval("SELECT count(*) FROM interviews WHERE slot_id = $1", slot_id)
    assert sum(results) == row["booked"] == interviews == 7 == row["capacity"]
