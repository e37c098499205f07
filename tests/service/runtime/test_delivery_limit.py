"""A command that makes its handler raise every time, on a healthy system: the real broker counts its returns,
dead-letters it at the queue's delivery limit into the parking queue with its own ``x-death``, and the commands
behind it are handled meanwhile. Operators see it parked for that reason (``passpro ops failed``).

Nothing here builds an ``x-death``: the quorum queue's at-least-once dead-lettering does. The consumer's pause
between two failures (2^n seconds, at most 30) is shortened so ten deliveries take seconds, not minutes.

Run in a pytest session of its own (`make test` does): it consumes ``enrollment.commands`` of the test vhost
itself, which the end-to-end session's enrollment process would otherwise share with it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractIncomingMessage

from contracts import routing
from deploy.topology import DELIVERY_LIMIT
from ops.failed import list_parked
from ops.parked import DEAD_LETTERED
from ops.settings import OpsSettings
from services.runtime import consumer as consumer_module
from services.runtime.retries import Retries
from tests.conftest import ADMIN_URL, AMQP_HOST, TEST_VHOST
from tests.service.runtime.test_consumer import command, consumer, pool, schema

__all__ = ["pool", "schema"]  # the fixtures
QUEUE = "enrollment.commands"
SERVICE_URL = f"amqp://enrollment:enrollment@{AMQP_HOST.split('://', 1)[1]}/{TEST_VHOST}"
BEHIND = 12


async def _publish(channel: aio_pika.abc.AbstractChannel, body: dict[str, Any]) -> None:
    exchange = await channel.get_exchange(routing.COMMANDS_EXCHANGE, ensure=False)
    await exchange.publish(
        aio_pika.Message(
            json.dumps(body).encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=body["command_id"],
            user_id="passpro-admin",
        ),
        routing_key="withdraw_candidacy",
        mandatory=True,
    )


async def test_a_command_its_handler_fails_every_time_is_parked_by_the_broker_at_the_limit_and_the_queue_flows(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer_module, "MAX_RETRY_PAUSE", 0.05)
    poison = command(reason="crash", ine="9999999999Z")  # the stand-in handler raises a RuntimeError for it
    behind = [command(ine=f"{n:010d}B") for n in range(BEHIND)]
    seen: Counter[str] = Counter()
    service = await aio_pika.connect(SERVICE_URL, client_properties={"connection_name": "delivery-limit-test"})
    admin = await aio_pika.connect(ADMIN_URL)
    async with service, admin:
        watch = await admin.channel()
        for name in (QUEUE, *routing.retry_queues(QUEUE), routing.parking_queue(QUEUE)):
            await (await watch.declare_queue(name, passive=True)).purge()
        handler = consumer(pool)
        handler.retries = Retries(
            await service.channel(publisher_confirms=True, on_return_raises=True), "enrollment", "enrollment"
        )
        channel = await service.channel()
        await channel.set_qos(prefetch_count=4)
        queue = await channel.get_queue(QUEUE, ensure=False)

        async def on_message(message: AbstractIncomingMessage) -> None:
            seen[message.message_id or ""] += 1
            try:
                await handler.deliver(message)
            except Exception:  # what the runtime's subscriber does (NACK_ON_ERROR): back to the queue
                await message.nack(requeue=True)
                return
            await message.ack()

        tag = await queue.consume(on_message)
        publisher = await admin.channel(publisher_confirms=True, on_return_raises=True)
        await _publish(publisher, poison)
        for body in behind:
            await _publish(publisher, body)
        deadline, parked = time.monotonic() + 90, []
        while time.monotonic() < deadline and not parked:
            listing = await list_parked(OpsSettings(vhost=TEST_VHOST), [routing.parking_queue(QUEUE)], 10)
            parked = listing.messages
            await asyncio.sleep(0.3)
        handled_while_cycling = int(await pool.fetchval("SELECT count(*) FROM effects WHERE ine <> $1", poison["ine"]))
        await queue.cancel(tag)
        left = await watch.declare_queue(QUEUE, passive=True)

    assert [(p.original_id or p.id, p.queue, p.kind, p.reason) for p in parked] == [
        (poison["command_id"], QUEUE, DEAD_LETTERED, "delivery_limit")
    ]
    # Every delivery the broker gave the consumer before it gave up on the command (never a retry queue's copy:
    # a bug is not transient).
    assert seen[poison["command_id"]] >= DELIVERY_LIMIT
    assert all(seen[body["command_id"]] == 1 for body in behind)
    assert handled_while_cycling == BEHIND
    assert left.declaration_result.message_count == 0
    # The failed attempts wrote nothing: each rolled back with its transaction.
    assert await pool.fetchval("SELECT count(*) FROM effects WHERE ine = $1", poison["ine"]) == 0
