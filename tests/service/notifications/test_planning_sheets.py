"""Planning sheets on a real database (R19 for reception schools): a sheet not gone out yet is replaced, not
followed, when the day's list changes; one leased meanwhile goes, and the newer version follows it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import asyncpg
import pytest

from contracts.campaign import load_campaign
from services.notifications.domain import PlanningEntry, PlanningFormation
from services.notifications.planning import ask_sheet
from services.notifications.repository import SQL_DIR, NotificationsRepository
from tests.service.outside import migrated_pool

CAMPAIGN = load_campaign()
RECEPTION = "0931024H"
DAY = date(2013, 3, 12)


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    async with migrated_pool("notifications", SQL_DIR) as pool:
        yield pool


def entry(interview: str, hour: int, last_name: str) -> PlanningEntry:
    starts = datetime(2013, 3, 12, hour, 0, tzinfo=CAMPAIGN.tz)
    return PlanningEntry(
        interview_id=interview,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        domain_code="ebenisterie",
        place="Atelier bois",
        first_name="Léa",
        last_name=last_name,
        origin_uai="0930122C",
        formations=(PlanningFormation("cap-ebeniste", "favorable", None),),
    )


async def states(pool: asyncpg.Pool) -> dict[str, str]:
    rows = await pool.fetch("SELECT key, state FROM mails WHERE kind = 'planning' ORDER BY key")
    return {row["key"]: row["state"] for row in rows}


async def ask(pool: asyncpg.Pool, *entries: PlanningEntry) -> str | None:
    async with pool.acquire() as conn, conn.transaction():
        return await ask_sheet(NotificationsRepository(conn, CAMPAIGN.campaign), RECEPTION, DAY, entries)


async def test_r19_a_pending_sheet_is_dropped_and_replaced_when_the_day_changes(pool: asyncpg.Pool) -> None:
    first = await ask(pool, entry("a", 9, "Moreau"))
    second = await ask(pool, entry("a", 9, "Moreau"), entry("b", 10, "Benali"))

    assert first and second and first != second
    assert await states(pool) == {first: "dropped", second: "pending"}


async def test_r19_a_sheet_leased_meanwhile_goes_and_the_newer_version_follows_it(pool: asyncpg.Pool) -> None:
    first = await ask(pool, entry("a", 9, "Moreau"))
    await pool.execute(
        "UPDATE mails SET state = 'sending', lease_until = clock_timestamp() + interval '1 minute' WHERE key = $1",
        first,
    )

    second = await ask(pool, entry("a", 9, "Moreau"), entry("b", 10, "Benali"))

    assert first and second and first != second
    assert await states(pool) == {first: "sending", second: "pending"}


async def test_r19_the_same_list_asks_for_no_second_sheet(pool: asyncpg.Pool) -> None:
    first = await ask(pool, entry("a", 9, "Moreau"))

    assert await ask(pool, entry("a", 9, "Moreau")) is None
    assert await states(pool) == {first: "pending"}


async def mark(conn: asyncpg.Connection, day: date) -> None:
    await NotificationsRepository(conn, CAMPAIGN.campaign).mark_planning_days([(RECEPTION, day)])


async def test_r19_batches_marking_the_same_days_in_other_orders_wait_for_nobody(pool: asyncpg.Pool) -> None:
    """Two transactions mark the same two days, each in the other's order, interleaved: both commit. (The flag's
    upsert this replaced held each day's row to the end of the transaction: this interleaving deadlocked.)"""
    other = DAY + timedelta(days=1)
    async with pool.acquire() as first, pool.acquire() as second:
        one, two = first.transaction(), second.transaction()
        await one.start()
        await two.start()
        await mark(first, DAY)
        await mark(second, other)
        both = asyncio.gather(mark(first, other), mark(second, DAY))
        await asyncio.wait_for(both, 5)
        await one.commit()
        await two.commit()
    async with pool.acquire() as conn:
        changed = await NotificationsRepository(conn, CAMPAIGN.campaign).changed_planning_days([DAY, other])
    assert [(c.reception_uai, c.day, len(c.marks)) for c in changed] == [(RECEPTION, DAY, 2), (RECEPTION, other, 2)]


async def test_r19_a_day_marked_while_its_sheet_is_looked_at_is_looked_at_again(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await mark(conn, DAY)
        repo = NotificationsRepository(conn, CAMPAIGN.campaign)
        (seen,) = await repo.changed_planning_days([DAY])
        async with pool.acquire() as booking:
            await mark(booking, DAY)  # a booking committed between the sweep's read and its delete
        await repo.planning_day_seen(seen)
        (again,) = await repo.changed_planning_days([DAY])
        await repo.planning_day_seen(again)
        assert await repo.changed_planning_days([DAY]) == []
    assert len(seen.marks) == 1 and len(again.marks) == 1 and seen.marks != again.marks
