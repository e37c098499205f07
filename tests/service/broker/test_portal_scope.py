"""R12 at the broker: a school's portal publishes and reads for its schools only, a service only its own events.

Each hostile attempt is made on the real broker with the account that tries it, and must be refused with
RabbitMQ's own reason, leaving the account's connection (and everyone else) working. The schools are those
the bundled campaign gives ``portal-93``; the other school is ``portal-94``'s.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aio_pika
import pytest
from aio_pika.abc import AbstractConnection
from aiormq.exceptions import ChannelAccessRefused

from contracts import routing
from deploy import topology
from deploy.local.rabbit import management
from tests.conftest import TEST_VHOST
from tests.service.broker.conftest import Connect, Listen, Listener, probe_key

PORTALS = {portal.name: portal for portal in topology.portals()}
SCOPED = "portal-93"
OWN, OTHER = "0930122C", "0941918Z"
"""A school of ``portal-93``, and one of ``portal-94`` only."""


def test_the_campaigns_portals_are_the_ones_these_tests_play() -> None:
    assert OWN in PORTALS[SCOPED].schools and OTHER not in PORTALS[SCOPED].schools
    assert OTHER in PORTALS["portal-94"].schools


def _topic_refused(key: str, exchange: str, account: str) -> str:
    return (
        f"ACCESS_REFUSED - access to topic '{re.escape(key)}' in exchange '{re.escape(exchange)}' "
        f"in vhost '[^']+' refused for user '{re.escape(account)}'"
    )


async def _still_usable(connection: AbstractConnection) -> None:
    """A refusal closes the channel it happened on, never the connection: the account goes on working."""
    assert not connection.is_closed
    channel = await connection.channel()
    await channel.close()


async def _publish(connection: AbstractConnection, exchange: str, key: str) -> None:
    channel = await connection.channel(publisher_confirms=True)
    target = await channel.get_exchange(exchange, ensure=False)
    await target.publish(aio_pika.Message(b"{}", message_id=str(uuid.uuid4())), routing_key=key)


async def _bind(connection: AbstractConnection, exchange: str, key: str) -> None:
    channel = await connection.channel()
    queue = await channel.declare_queue(None, exclusive=True, auto_delete=True)
    await queue.bind(await channel.get_exchange(exchange, ensure=False), key)


REFUSED_BINDS = [
    pytest.param("#", id="every-school"),
    pytest.param(f"{OTHER}.#", id="another-school"),
    pytest.param(f"*.{routing.event_key('scheduling', 'interview_booked')}", id="a-wildcard-school"),
    pytest.param(f"{OWN[:7]}*.#", id="a-prefix-of-its-school"),
    pytest.param(OWN, id="its-school-without-a-dot"),
]


@pytest.mark.parametrize("key", REFUSED_BINDS)
async def test_a_scoped_portal_cannot_bind_a_key_outside_its_schools(connect: Connect, key: str) -> None:
    connection = await connect(SCOPED)

    with pytest.raises(ChannelAccessRefused, match=_topic_refused(key, routing.SCHOOLS_EXCHANGE, SCOPED)):
        await _bind(connection, routing.SCHOOLS_EXCHANGE, key)
    await _still_usable(connection)


REFUSED_PUBLISHES = [
    pytest.param(routing.scoped_command_key("register_candidacy", OTHER), id="another-school"),
    pytest.param("register_candidacy", id="no-school"),
    pytest.param(f"{routing.ADVANCE_CLOCK}.{OWN}", id="not-a-portal-command"),
    pytest.param(f"register_candidacy.{OWN}.extra", id="more-after-its-school"),
    pytest.param(f"register_candidacy.{OTHER}x{OWN}", id="its-school-inside-another"),
]


@pytest.mark.parametrize("key", REFUSED_PUBLISHES)
async def test_a_scoped_portal_cannot_publish_a_command_for_another_school(connect: Connect, key: str) -> None:
    connection = await connect(SCOPED)

    with pytest.raises(ChannelAccessRefused, match=_topic_refused(key, routing.COMMANDS_EXCHANGE, SCOPED)):
        await _publish(connection, routing.COMMANDS_EXCHANGE, key)
    await _still_usable(connection)


async def test_a_scoped_portal_reads_the_copies_about_its_school(connect: Connect) -> None:
    """The allowed bind receives what a service publishes for that school."""
    probe = probe_key()
    channel = await (await connect(SCOPED)).channel()
    queue = await channel.declare_queue(None, exclusive=True, auto_delete=True)
    await queue.bind(await channel.get_exchange(routing.SCHOOLS_EXCHANGE, ensure=False), f"{OWN}.#")

    await _publish(await connect("scheduling"), routing.SCHOOLS_EXCHANGE, f"{OWN}.scheduling.{probe}")

    message = await Listener(queue).next()
    assert message.routing_key == f"{OWN}.scheduling.{probe}" and message.user_id is None
    await channel.close()


@pytest.mark.parametrize("service", routing.SERVICES)
async def test_a_service_cannot_publish_another_services_event(connect: Connect, service: str) -> None:
    other = routing.SERVICES[(routing.SERVICES.index(service) + 1) % len(routing.SERVICES)]
    key = routing.event_key(other, "command_rejected")
    connection = await connect(service)

    with pytest.raises(ChannelAccessRefused, match=_topic_refused(key, routing.EVENTS_EXCHANGE, service)):
        await _publish(connection, routing.EVENTS_EXCHANGE, key)
    await _still_usable(connection)


@pytest.mark.parametrize("service", routing.SERVICES)
async def test_a_service_cannot_publish_another_services_event_for_a_school(connect: Connect, service: str) -> None:
    other = routing.SERVICES[(routing.SERVICES.index(service) + 1) % len(routing.SERVICES)]
    key = routing.school_event_key(OWN, routing.event_key(other, "command_rejected"))
    connection = await connect(service)

    with pytest.raises(ChannelAccessRefused, match=_topic_refused(key, routing.SCHOOLS_EXCHANGE, service)):
        await _publish(connection, routing.SCHOOLS_EXCHANGE, key)
    await _still_usable(connection)


async def test_a_refused_publish_delivers_nothing(connect: Connect, listen: Listen) -> None:
    key = routing.event_key("scheduling", probe_key())
    listener = await listen(routing.EVENTS_EXCHANGE, key)

    with pytest.raises(ChannelAccessRefused):
        await _publish(await connect("enrollment"), routing.EVENTS_EXCHANGE, key)

    with pytest.raises(TimeoutError):
        await listener.next(timeout=1.0)


Declare = Callable[[AbstractConnection], Awaitable[object]]


async def test_a_scoped_portal_cannot_declare_a_durable_queue_it_names(connect: Connect) -> None:
    connection = await connect(SCOPED)
    name = f"{SCOPED}.events-{uuid.uuid4().hex}"
    channel = await connection.channel()

    with pytest.raises(ChannelAccessRefused, match=f"queue '{re.escape(name)}'.*refused for user '{SCOPED}'"):
        await channel.declare_queue(name, durable=True)
    await _still_usable(connection)


async def _queue_details(name: str, timeout: float = 15.0) -> dict[str, Any]:
    """The management API's view of a queue, once it has caught up with a queue just declared."""
    path = f"queues/{quote(TEST_VHOST, safe='')}/{quote(name, safe='')}"
    deadline = time.monotonic() + timeout
    while True:
        details = await asyncio.to_thread(management, "GET", path)
        if isinstance(details, dict) and "policy" in details:
            return details
        if time.monotonic() > deadline:
            raise TimeoutError(f"the management API did not show {name}'s policy within {timeout} s")
        await asyncio.sleep(0.2)


async def test_a_portals_server_named_queue_is_bounded_by_the_broker(connect: Connect) -> None:
    """Even a durable server-named queue (RabbitMQ 3.10 lets a portal declare one) gets the portals' bounds."""
    channel = await (await connect(SCOPED)).channel()
    queue = await channel.declare_queue(None, durable=True)
    try:
        details = await _queue_details(queue.name)
        assert details["policy"] == "passpro-portal-queues"
        assert details["effective_policy_definition"] == {
            "max-length": 100_000,
            "max-length-bytes": 64 * 1024 * 1024,
            "overflow": "drop-head",
            "expires": 30 * 60 * 1000,
        }
    finally:
        await queue.delete(if_unused=False, if_empty=False)
        await channel.close()


async def test_a_parking_queue_has_a_delivery_limit_and_a_dead_letter_route(connect: Connect) -> None:
    details = await _queue_details(routing.parking_queue("enrollment.commands"))

    assert details["policy"] == "passpro-parking"
    assert details["effective_policy_definition"]["delivery-limit"] == topology.PARKING_DELIVERY_LIMIT
    assert details["effective_policy_definition"]["dead-letter-routing-key"] == "parking.exhausted"
