"""A real database outage under a consumer: its deliveries wait in the retry queues, none is parked, each is
handled once when the database is back, with a fresh delivery count.

The consumer's pool points at a PostgreSQL this test starts (and stops) for itself, so the shared one is never
disturbed; the broker is the test vhost's, with the topology ``deploy.local infra-up`` loaded.

Run in a pytest session of its own (`make test` does): it consumes ``enrollment.commands`` of the test vhost
itself, which the end-to-end session's enrollment process would otherwise share with it.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractIncomingMessage

from contracts import routing
from services.runtime.consumer import Consumer
from services.runtime.database import RUNTIME_SQL, create_pool, migrate
from services.runtime.retries import Retries
from tests.conftest import ADMIN_URL, AMQP_HOST, TEST_VHOST
from tests.service.own_postgres import OwnPostgres, postgres
from tests.service.runtime.test_consumer import SQL, command, consumer

QUEUE = "enrollment.commands"
SERVICE_URL = f"amqp://enrollment:enrollment@{AMQP_HOST.split('://', 1)[1]}/{TEST_VHOST}"
MESSAGES = 20
OUTAGE_SECONDS = 5.0
__all__ = ["postgres"]  # the fixture


class RecordingRetries(Retries):
    """The real retries, noting which deliveries they sent to wait (to tell them from the ones handled)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.sent: set[int] = set()

    async def wait(self, message: AbstractIncomingMessage, queue: str) -> Any:
        waiting = await super().wait(message, queue)
        self.sent.add(id(message))
        return waiting


@pytest.fixture
async def pool(postgres: OwnPostgres) -> AsyncIterator[asyncpg.Pool]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await migrate(postgres.url, schema, {"runtime": RUNTIME_SQL / "migrations", "probe": SQL / "migrations"})
    pool = await create_pool(postgres.url, schema, 4)
    yield pool
    await pool.close()


async def _depth(channel: aio_pika.abc.AbstractChannel, queue: str) -> int:
    declared = await channel.declare_queue(queue, passive=True)
    return int(declared.declaration_result.message_count or 0)


async def test_a_database_outage_retries_every_delivery_then_handles_each_once_and_parks_none(
    postgres: OwnPostgres, pool: asyncpg.Pool
) -> None:
    handled: list[dict[str, Any]] = []
    seen = 0
    service = await aio_pika.connect(SERVICE_URL, client_properties={"connection_name": "transient-retry-test"})
    admin = await aio_pika.connect(ADMIN_URL)
    async with service, admin:
        watch = await admin.channel()
        for name in (QUEUE, *routing.retry_queues(QUEUE)):
            await (await watch.declare_queue(name, passive=True)).purge()
        parked_before = await _depth(watch, routing.parking_queue(QUEUE))
        retries = RecordingRetries(
            await service.channel(publisher_confirms=True, on_return_raises=True), "enrollment", "enrollment"
        )
        handler: Consumer = consumer(pool)
        handler.retries, handler.batches.size = retries, 8  # batches too: a failed batch sends each to wait
        channel = await service.channel()
        await channel.set_qos(prefetch_count=16)
        queue = await channel.get_queue(QUEUE, ensure=False)

        async def on_message(message: AbstractIncomingMessage) -> None:
            nonlocal seen
            seen += 1
            try:
                await handler.deliver(message)
            except Exception:  # what FastStream's NACK_ON_ERROR does
                await message.nack(requeue=True)
                return
            await message.ack()
            if id(message) not in retries.sent:
                handled.append(dict(message.headers or {}))

        await queue.consume(on_message)
        postgres.stop()
        outage_began = time.monotonic()
        commands = [command(ine=f"{n:010d}R", reason="outage") for n in range(MESSAGES)]
        exchange = await (await admin.channel()).get_exchange(routing.COMMANDS_EXCHANGE, ensure=False)
        for body in commands:
            await exchange.publish(
                aio_pika.Message(
                    json.dumps(body).encode(),
                    message_id=body["command_id"],
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key="withdraw_candidacy",
            )
        while time.monotonic() - outage_began < OUTAGE_SECONDS:
            await asyncio.sleep(0.2)
        waiting = sum([await _depth(watch, name) for name in routing.retry_queues(QUEUE)])
        postgres.start()

        # Up to the longest wait (120 s): a delivery whose pooled connection died with the old server waits once more.
        deadline = time.monotonic() + routing.RETRY_DELAYS[-1] + 60
        effects = 0
        while time.monotonic() < deadline:
            try:
                effects = int(await pool.fetchval("SELECT count(*) FROM effects"))
            except Exception:  # the pool reconnecting
                effects = 0
            if effects >= MESSAGES:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)  # a duplicate effect would show now
        rows = await pool.fetch("SELECT ine, count(*) AS n FROM effects GROUP BY ine")
        parked_after = await _depth(watch, routing.parking_queue(QUEUE))
        left = sum([await _depth(watch, name) for name in (QUEUE, *routing.retry_queues(QUEUE))])

    assert waiting > 0  # the outage held deliveries up in the retry queues
    assert {r["ine"] for r in rows} == {c["ine"] for c in commands}
    assert all(r["n"] == 1 for r in rows)
    assert parked_after == parked_before
    assert left == 0
    assert seen > MESSAGES  # each was tried during the outage, then again
    assert handled and all(int(h.get(routing.RETRY_COUNT_HEADER, 0)) >= 1 for h in handled)
    # Back from a retry queue with a fresh count: the outage never counted towards the delivery limit.
    assert all(int(h.get("x-delivery-count", 0)) == 0 for h in handled)
