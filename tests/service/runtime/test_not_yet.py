"""A command refused for something another service's events bring (a candidacy, an interview) waits while some
of the service's events wait in its retry queues: a failure delayed them, and the command may have overtaken the
one it names. With nothing delayed, or once it has waited through the whole ladder, it is answered at once.

Seen in a fault run: after a PostgreSQL outage, confirmations reached affelnet_export while the registrations
they named still waited in its retry queues, and were refused as unknown.

Run in a pytest session of its own (`make test` does): it uses the retry queues of ``enrollment`` in the test
vhost, which the end-to-end session's enrollment would consume.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import aio_pika
import asyncpg
import pytest

from contracts import routing
from contracts.base import Event
from contracts.campaign import load_campaign
from contracts.commands import WithdrawCandidacy
from services.runtime.consumer import Consumer
from services.runtime.retries import Retries
from services.runtime.service import Context, Rejected, Service
from tests.conftest import ADMIN_URL, AMQP_HOST, TEST_VHOST
from tests.service.runtime.test_consumer import SQL, command, delivery, outbox, pool, schema

__all__ = ["pool", "schema"]  # the fixtures
SERVICE_URL = f"amqp://enrollment:enrollment@{AMQP_HOST.split('://', 1)[1]}/{TEST_VHOST}"
DELAYED = routing.retry_queue("enrollment.events", 30)
COMMANDS_WAITING = routing.retry_queue("enrollment.commands", routing.RETRY_DELAYS[0])


async def not_known_yet(cmd: WithdrawCandidacy, ctx: Context) -> Sequence[Event]:
    raise Rejected("unknown_candidacy", "Aucune candidature active.", [("ine", "unknown")], maybe_not_yet=True)


def consumer(pool: asyncpg.Pool, retries: Retries) -> Consumer:
    service = Service(name="enrollment", sql_dir=SQL, commands={"withdraw_candidacy": not_known_yet})
    queue = routing.QueueSpec("enrollment.commands", "enrollment", routing.COMMANDS_EXCHANGE, ("withdraw_candidacy",))
    return Consumer(
        service=service, queue=queue, pool=pool, campaign=load_campaign(), virtual_clock=True, retries=retries
    )


async def _depth(channel: aio_pika.abc.AbstractChannel, queue: str) -> int:
    return int((await channel.declare_queue(queue, passive=True)).declaration_result.message_count or 0)


async def _rejections(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The answers on passpro.events (the origin school's copy on passpro.schools is the same answer)."""
    rows = await outbox(pool)
    return [json.loads(r["body"]) for r in rows if r["routing_key"] == "enrollment.command_rejected"]


@pytest.fixture
async def channels() -> Any:
    service = await aio_pika.connect(SERVICE_URL)
    admin = await aio_pika.connect(ADMIN_URL)
    async with service, admin:
        watch = await admin.channel()
        for name in (DELAYED, *routing.retry_queues("enrollment.commands")):
            await (await watch.declare_queue(name, passive=True)).purge()
        retries = Retries(
            await service.channel(publisher_confirms=True, on_return_raises=True), "enrollment", "enrollment"
        )
        yield retries, watch
        for name in (DELAYED, *routing.retry_queues("enrollment.commands")):
            await (await watch.declare_queue(name, passive=True)).purge()


async def _delay_an_event(watch: aio_pika.abc.AbstractChannel) -> None:
    """An event of enrollment's queue sent to wait, as a transient failure sends it (the body does not matter)."""
    body = json.dumps({"event_id": str(uuid.uuid4())}).encode()
    await watch.default_exchange.publish(aio_pika.Message(body), routing_key=DELAYED)


async def test_a_command_naming_what_delayed_events_may_bring_waits_instead_of_being_refused(
    pool: asyncpg.Pool, channels: tuple[Retries, aio_pika.abc.AbstractChannel]
) -> None:
    retries, watch = channels
    await _delay_an_event(watch)

    await consumer(pool, retries).deliver(await delivery("withdraw_candidacy", command(reason="late")))

    assert await _rejections(pool) == []
    assert await _depth(watch, COMMANDS_WAITING) == 1


async def test_with_no_event_delayed_the_command_is_refused_at_once(
    pool: asyncpg.Pool, channels: tuple[Retries, aio_pika.abc.AbstractChannel]
) -> None:
    retries, watch = channels

    await consumer(pool, retries).deliver(await delivery("withdraw_candidacy", command(reason="late")))

    assert [r["reason"] for r in await _rejections(pool)] == ["unknown_candidacy"]
    assert await _depth(watch, COMMANDS_WAITING) == 0


async def test_a_command_that_waited_through_the_whole_ladder_is_refused_even_if_events_still_wait(
    pool: asyncpg.Pool, channels: tuple[Retries, aio_pika.abc.AbstractChannel]
) -> None:
    retries, watch = channels
    await _delay_an_event(watch)
    message = await delivery("withdraw_candidacy", command(reason="late"))
    message.headers[routing.RETRY_COUNT_HEADER] = len(routing.RETRY_DELAYS)

    await consumer(pool, retries).deliver(message)

    assert [r["reason"] for r in await _rejections(pool)] == ["unknown_candidacy"]
