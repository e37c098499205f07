"""The relay when the database goes away between a confirm and the delete of the confirmed rows (the fault run's
PostgreSQL restart): the rows stay in the outbox, and must still be published again and deleted once it is back."""

from __future__ import annotations

import asyncio
import time

import aio_pika
import asyncpg

from services.runtime.relay import OutboxRelay
from tests.conftest import ADMIN_URL
from tests.service.runtime.test_consumer import (
    _drain,
    _listening,
    _until_outbox_empty,
    command,
    consumer,
    delivery,
    outbox,
    pool,
    schema,
)

__all__ = ["pool", "schema"]  # the fixtures


async def test_rows_confirmed_but_not_deleted_are_published_again_and_deleted_once_the_database_is_back(
    pool: asyncpg.Pool,
) -> None:
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        listener = await _listening(await connection.channel(), "enrollment.candidacy_withdrawn")
        # The delete of the confirmed rows fails as it would with the database away; publishing still works.
        await pool.execute("REVOKE DELETE ON outbox FROM CURRENT_USER")
        relay = OutboxRelay(pool, ADMIN_URL, app_id="test", recovery_seconds=0.2, recovery_grace=0.5)
        await relay.start()
        try:
            handler = consumer(pool)
            handler.hand_off = relay.submit
            await handler.deliver(await delivery("withdraw_candidacy", command()))
            deadline = time.monotonic() + 10
            while (first := await listener.get(fail=False, timeout=5)) is None:  # confirmed, not deleted
                assert time.monotonic() < deadline, "the row was never published"
                await asyncio.sleep(0.05)
            while relay._held and time.monotonic() < deadline:  # the delete failed and the rows were let go
                await asyncio.sleep(0.05)
            assert len(await outbox(pool)) == 2
            await pool.execute("GRANT DELETE ON outbox TO CURRENT_USER")
            await _until_outbox_empty(pool, 10)
        finally:
            await relay.stop()
        again = await _drain(listener)

    # Published again from the outbox (consumers dedupe by message id), the same message.
    assert {m.message_id for m in again} == {first.message_id}
