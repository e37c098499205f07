"""What the set-based handlers' tests share: two fresh schemas of one service, the same messages delivered to one
one by one (the reference) and to the other all at once (handled in sets), and how many transactions it took."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import pytest

from services.runtime.consumer import Consumer
from services.runtime.service import Service
from tests.conftest import TEST_DATABASE_URL
from tests.service.delivering import delivery, service_pool

Keyed = list[tuple[str, dict[str, Any]]]
"""Messages as (routing key, body), in the order they are delivered."""


@pytest.fixture
async def schemas() -> AsyncIterator[tuple[str, str]]:
    names = (f"t_{uuid.uuid4().hex[:12]}", f"t_{uuid.uuid4().hex[:12]}")
    yield names
    conn = await asyncpg.connect(TEST_DATABASE_URL)
    for name in names:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    await conn.close()


async def fresh(schema: str, service: Service, clock: datetime) -> asyncpg.Pool:
    """The service's tables, migrated as it does, its virtual clock at ``clock``."""
    pool = await service_pool(schema, service)
    await pool.execute("INSERT INTO clock (base) VALUES ($1)", clock)
    return pool


async def one_by_one(consumer: Consumer, keyed: Keyed) -> None:
    for key, body in keyed:
        await consumer.deliver(await delivery(key, body))


async def all_at_once(consumer: Consumer, keyed: Keyed) -> None:
    """As the broker delivers with a prefetch: all in flight at once, each in its own task."""
    messages = [await delivery(key, body) for key, body in keyed]
    await asyncio.gather(*(consumer.deliver(m) for m in messages))


async def transactions(pool: asyncpg.Pool) -> int:
    """How many transactions wrote the inbox rows (one xmin per transaction)."""
    return int(await pool.fetchval("SELECT count(DISTINCT xmin::text) FROM inbox"))
