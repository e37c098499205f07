"""The sweep's alarm on real PostgreSQL: `interviews_at_risk` at most once per domain and campaign day while
pupils registered by the deadline still wait as the window closes, whatever the number of sweeps (R15, R17)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg
import pytest
from structlog.testing import capture_logs

from contracts.base import Event
from contracts.campaign import load_campaign
from contracts.events import InterviewsAtRisk
from services.runtime.service import Context
from services.scheduling import handlers

CAMPAIGN = load_campaign()
DOMAIN, OTHER = "ebenisterie", "hotellerie-restauration"
IN_TIME = datetime.fromisoformat("2013-03-29T23:59:00+01:00")
"""The last minute of the registration deadline (29 March 2013, winter time)."""
LATE = datetime.fromisoformat("2013-03-30T00:00:00+01:00")
INSERT_NEED = (
    "INSERT INTO needs (campaign, ine, domain_code, origin_uai, registered_at, formation_codes, state, plan_after)"
    " VALUES ('2013', $1, $2, '0930122C', $3, '{cap-ebeniste}', $4, $5)"
)


@pytest.fixture
async def waiting(pool: asyncpg.Pool) -> None:
    """Two pupils of DOMAIN registered in time who wait; others who must not count."""
    rows = [
        ("0000000001A", DOMAIN, IN_TIME, "waiting", None),
        ("0000000002A", DOMAIN, datetime.fromisoformat("2013-02-11T09:00:00+01:00"), "waiting", None),
        ("0000000003A", DOMAIN, LATE, "waiting", None),  # registered after the deadline ended
        ("0000000004A", DOMAIN, IN_TIME, "booked", None),
        ("0000000005A", DOMAIN, IN_TIME, "waiting", datetime.fromisoformat("2013-04-20T00:00:00+02:00")),  # round
        ("0000000006A", OTHER, IN_TIME, "held", None),
    ]
    await pool.executemany(INSERT_NEED, rows)


async def sweep(pool: asyncpg.Pool, now: str) -> list[InterviewsAtRisk]:
    async with pool.acquire() as conn, conn.transaction():
        ctx = Context(
            conn=conn,
            now=datetime.fromisoformat(now),
            campaign=CAMPAIGN,
            service="scheduling",
            causation_id=None,
            virtual_clock=True,
        )
        events: Sequence[Event] = await handlers.sweep(ctx)
    return [e for e in events if isinstance(e, InterviewsAtRisk)]


async def test_r15_r17_no_alarm_while_the_last_booking_day_is_more_than_alarm_days_away(
    pool: asyncpg.Pool, waiting: None
) -> None:
    assert await sweep(pool, "2013-04-08T23:59:00+02:00") == []


async def test_r15_r17_the_alarm_is_raised_once_per_domain_and_campaign_day_while_it_holds(
    pool: asyncpg.Pool, waiting: None
) -> None:
    first = await sweep(pool, "2013-04-09T08:00:00+02:00")
    same_day = [await sweep(pool, f"2013-04-09T{hour:02d}:00:00+02:00") for hour in (9, 13, 23)]
    next_day = await sweep(pool, "2013-04-10T00:00:00+02:00")
    next_day_again = await sweep(pool, "2013-04-10T17:00:00+02:00")

    assert [(e.domain_code, e.waiting_pupils, e.last_booking_day) for e in first] == [(DOMAIN, 2, date(2013, 4, 12))]
    assert same_day == [[], [], []]
    assert [(e.domain_code, e.waiting_pupils, e.last_booking_day) for e in next_day] == [(DOMAIN, 2, date(2013, 4, 12))]
    assert next_day_again == []


async def test_r15_r17_once_no_day_remains_the_alarm_goes_on_with_no_last_booking_day(
    pool: asyncpg.Pool, waiting: None
) -> None:
    await sweep(pool, "2013-04-12T10:00:00+02:00")

    after = await sweep(pool, "2013-04-13T00:30:00+02:00")

    assert [(e.domain_code, e.waiting_pupils, e.last_booking_day) for e in after] == [(DOMAIN, 2, None)]


async def test_r15_two_replicas_sweeping_at_once_raise_the_days_alarm_once(pool: asyncpg.Pool, waiting: None) -> None:
    results = await asyncio.gather(*(sweep(pool, "2013-04-11T10:00:00+02:00") for _ in range(2)))

    assert sorted(len(r) for r in results) == [0, 1]


async def test_r15_the_alarm_is_logged_as_a_warning_with_identifiers_and_counts_only(
    pool: asyncpg.Pool, waiting: None
) -> None:
    with capture_logs() as logs:
        await sweep(pool, "2013-04-09T08:00:00+02:00")

    alarms = [line for line in logs if line["event"] == "interviews_at_risk"]
    assert alarms == [
        {
            "event": "interviews_at_risk",
            "log_level": "warning",
            "domain_code": DOMAIN,
            "waiting_pupils": 2,
            "last_booking_day": "2013-04-12",
        }
    ]
