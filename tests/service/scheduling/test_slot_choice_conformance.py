"""The booking statement and the pure rule agree: on random slots, some cancelled, SQL books what ``choose_slot`` picks.

R13–R18 are written twice on purpose: as a pure function (tested under hypothesis) and as one SQL
statement (fast and safe under concurrency). This test keeps the two the same rule.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg
import pytest

from contracts.campaign import load_campaign
from services.runtime.database import RUNTIME_SQL, create_pool, migrate
from services.scheduling import domain
from services.scheduling.handlers import policy
from services.scheduling.repository import SQL_DIR, SchedulingRepository
from tests.conftest import TEST_DATABASE_URL

SCHOOLS = ["0771455N", "0931720P", "0940784S"]
NOW = datetime.fromisoformat("2013-03-01T08:00:00+01:00")


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    streams = {"runtime": RUNTIME_SQL / "migrations", "scheduling": SQL_DIR / "migrations"}
    await migrate(TEST_DATABASE_URL, schema, streams)
    pool = await create_pool(TEST_DATABASE_URL, schema, 2)
    yield pool
    await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await pool.close()


@pytest.mark.parametrize("seed", range(50))
async def test_r13_r18_the_booking_statement_books_the_slot_the_rule_chooses(pool: asyncpg.Pool, seed: int) -> None:
    rng = random.Random(seed)
    rules = policy(load_campaign())
    slots: dict[tuple[str, datetime], domain.Slot] = {}
    for _ in range(rng.randint(1, 12)):
        start = (NOW + timedelta(days=rng.randint(0, 14))).replace(hour=rng.choice([8, 9, 11, 13, 14, 16]))
        school = rng.choice(SCHOOLS)
        slots[school, start] = domain.Slot(str(uuid.uuid4()), school, start, rng.randint(0, 2),
                                           cancelled=rng.random() < 0.25)
    taken = sorted({(NOW + timedelta(days=rng.randint(5, 14))).replace(hour=rng.choice([9, 14]))
                    for _ in range(rng.randint(0, 3))})
    origin = rng.choice(["0930122C", "0771234Y", "0941918Z"])
    async with pool.acquire() as conn, conn.transaction():
        for slot in slots.values():
            capacity = max(slot.free_seats, 1)
            await conn.execute(
                "INSERT INTO slots (slot_id, campaign, reception_uai, domain_code, place, starts_at, ends_at, half_day,"
                " capacity, booked, cancelled_at) VALUES ($1, '2013', $2, 'paysage-horticulture', 'Serre', $3,"
                " $3::timestamptz + interval '30 min', $4, $5, $6, CASE WHEN $7 THEN $3::timestamptz END)",
                uuid.UUID(slot.slot_id), slot.reception_uai, slot.starts_at, domain.half_day(slot.starts_at, rules.tz),
                capacity, capacity - slot.free_seats, slot.cancelled)
        for instant in taken:
            other = uuid.uuid4()
            await conn.execute(
                "INSERT INTO slots (slot_id, campaign, reception_uai, domain_code, place, starts_at, ends_at, half_day,"
                " capacity, booked) VALUES ($1, '2013', '0931720P', 'personnes-territoires', 'x', $2, $2, $3, 1, 1)",
                other, instant, domain.half_day(instant, rules.tz))
            await conn.execute(
                "INSERT INTO interviews (interview_id, campaign, ine, domain_code, origin_uai, slot_id, reception_uai,"
                " place, starts_at, ends_at, half_day, formation_codes, status, booked_at) VALUES ($1, '2013',"
                " '1234567890A', $2, $3, $4, '0931720P', 'x', $5, $5, $6, '{}', 'booked', $5)",
                uuid.uuid4(), f"d-{other}", origin, other, instant, domain.half_day(instant, rules.tz))
        await conn.execute(
            "INSERT INTO needs (campaign, ine, domain_code, origin_uai, registered_at, formation_codes, state)"
            " VALUES ('2013', '1234567890A', 'paysage-horticulture', $1, $2, '{capa-travaux-paysagers}', 'waiting')",
            origin, NOW)

    expected = domain.choose_slot(slots.values(), origin_uai=origin, taken=taken, now=NOW, policy=rules)
    async with pool.acquire() as conn, conn.transaction():
        booking = await SchedulingRepository(conn, "2013").book_waiting_need(
            "1234567890A", "paysage-horticulture", earliest=domain.earliest_start(NOW, rules),
            gap_hours=rules.min_gap_hours, half_day_rule=rules.one_interview_per_half_day, now=NOW)

    if expected is None:
        assert booking is None
    else:
        assert booking is not None
        chosen = await pool.fetchval("SELECT slot_id FROM interviews WHERE interview_id = $1", booking.interview_id)
        assert str(chosen) == expected.slot_id
