"""Shortfall counts delivered out of the order scheduling published them, through notifications' consumer on the
real database (R15): a count that waited to be tried again while newer ones were handled says nothing about now.

Seen in a fault run: "1 waiting" published just before "0", delivered after it, opened a second episode and
mailed "1 élève attend" to the domain's schools while nobody waited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.notifications.app import SERVICE as NOTIFICATIONS
from tests.service.delivering import delivery, envelope, events_consumer, schema, service_pool

__all__ = ["schema"]  # the fixture

DOMAIN = "hotellerie-restauration"
T0 = datetime(2013, 2, 12, 8, 0, tzinfo=UTC)


def shortfall(waiting: int, published: datetime) -> dict[str, Any]:
    return {
        **envelope(published),
        "domain_code": DOMAIN,
        "waiting_pupils": waiting,
        "first_possible_on": "2013-02-18",
    }


async def shortfall_mails(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT key FROM mails WHERE kind = 'shortfall' ORDER BY key")
    return [row["key"] for row in rows]


async def deliver_counts(schema: str, counts: list[tuple[int, int]]) -> list[str]:
    """Delivers ``(waiting, published seconds after T0)`` in the order given; returns the shortfall mails asked."""
    pool = await service_pool(schema, NOTIFICATIONS)
    try:
        consumer = events_consumer(pool, NOTIFICATIONS)
        for waiting, second in counts:
            body = shortfall(waiting, T0 + timedelta(seconds=second))
            await consumer.deliver(await delivery("scheduling.capacity_shortfall", body))
        return await shortfall_mails(pool)
    finally:
        await pool.close()


async def test_r15_a_late_count_published_before_the_end_of_the_episode_opens_no_new_one(schema: str) -> None:
    # Published: 1 (t=0), 3 (t=2), 1 (t=4), 0 (t=6). Delivered: the "1" of t=4 last, after the "0".
    mails = await deliver_counts(schema, [(1, 0), (3, 2), (0, 6), (1, 4)])

    assert mails == ["shortfall:hotellerie-restauration:1:1", "shortfall:hotellerie-restauration:1:3"]


async def test_r15_a_late_count_does_not_tell_a_growth_that_is_over(schema: str) -> None:
    # Published: 2 (t=0), 5 (t=2), 2 (t=4). Delivered: 2, 2, then the 5 of t=2, older than the last count applied.
    mails = await deliver_counts(schema, [(2, 0), (2, 4), (5, 2)])

    assert mails == ["shortfall:hotellerie-restauration:1:2"]


async def test_r15_counts_in_order_still_open_a_new_episode_after_the_end(schema: str) -> None:
    mails = await deliver_counts(schema, [(1, 0), (0, 2), (1, 4)])

    assert mails == ["shortfall:hotellerie-restauration:1:1", "shortfall:hotellerie-restauration:2:1"]
