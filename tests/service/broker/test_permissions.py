"""Least privilege, enforced by the real broker: each account of the topology is refused what it has no business doing.

What each account may do is spelled here from the routing names (the intent), not read back from the
permission patterns of ``deploy.topology``: the test checks the patterns, so it cannot borrow them.
Every refused attempt uses a routing key or a queue name nothing else uses, so a permission wrongly
granted fails the test without touching the queues other runs work on.
"""

from __future__ import annotations

import re
import uuid

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage, AbstractQueue
from aiormq.exceptions import ChannelAccessRefused, ChannelLockedResource, ProbableAuthenticationError

from contracts import routing
from deploy import topology
from tests.conftest import TEST_VHOST
from tests.service.broker.conftest import ACCOUNTS, Connect, Listen, Listener, account_url, probe_key

PORTAL = topology.PORTAL_USER
SCOPED = [portal.name for portal in topology.portals()]
"""The [[portals]] accounts of the campaign: each scoped to its schools."""
LIMITED = [name for name in ACCOUNTS if name != topology.ADMIN_USER]
"""Every account but the operators', which may do anything."""
DEFINITIONS = topology.definitions((TEST_VHOST,))
EXCHANGES = [exchange["name"] for exchange in DEFINITIONS["exchanges"]]
QUEUES = [queue["name"] for queue in DEFINITIONS["queues"]]
DEFAULT_EXCHANGE = ""
"""Routes by queue name straight into any queue: nobody but the operators may publish there."""
BUILT_IN_EXCHANGES = (DEFAULT_EXCHANGE, "amq.topic")

MAY_WRITE: dict[str, set[str]] = {
    PORTAL: {routing.COMMANDS_EXCHANGE},
    **{name: {routing.COMMANDS_EXCHANGE} for name in SCOPED},
    **{
        service: {
            routing.EVENTS_EXCHANGE,
            routing.SCHOOLS_EXCHANGE,
            routing.PARKING_EXCHANGE,
            routing.retry_exchange(service),
        }
        for service in routing.SERVICES
    },
}
MAY_READ: dict[str, set[str]] = {
    PORTAL: set(),
    **{name: set() for name in SCOPED},
    **{service: {spec.name for spec in routing.queues_of(service)} for service in routing.SERVICES},
}
"""The durable queues each account consumes; the portal reads only its own server-named queues."""

TAKES = ("basic.get", "basic.consume")


def _refused_for(account: str) -> str:
    return f"refused for user '{re.escape(account)}'"


async def _exchange(channel: AbstractChannel, name: str) -> AbstractExchange:
    return channel.default_exchange if name == DEFAULT_EXCHANGE else await channel.get_exchange(name, ensure=False)


async def _ignore(_: AbstractIncomingMessage) -> None:
    """Never acks: whatever a consumer got goes back to its queue when the channel closes."""


async def _take(queue: AbstractQueue, how: str) -> None:
    """Reads from ``queue`` and gives back anything it got, unacknowledged, so no other run loses a message."""
    if how == "basic.get":
        message = await queue.get(no_ack=False, fail=False)
        if message is not None:
            await message.reject(requeue=True)
    else:
        tag = await queue.consume(_ignore, no_ack=False)
        await queue.cancel(tag)


FORBIDDEN_WRITES = [
    pytest.param(account, exchange, id=f"{account}->{exchange or 'amq.default'}")
    for account in LIMITED
    for exchange in (*EXCHANGES, *BUILT_IN_EXCHANGES)
    if exchange not in MAY_WRITE.get(account, set())
]


@pytest.mark.parametrize(("account", "exchange"), FORBIDDEN_WRITES)
async def test_an_account_cannot_publish_to_an_exchange_it_has_no_business_on(
    connect: Connect, account: str, exchange: str
) -> None:
    channel = await (await connect(account)).channel(publisher_confirms=True)
    target = await _exchange(channel, exchange)

    with pytest.raises(ChannelAccessRefused, match=f"exchange '{re.escape(exchange or 'amq.default')}'"):
        await target.publish(
            aio_pika.Message(b"{}", content_type="application/json"), routing_key=allowed_key(account, exchange)
        )


def allowed_key(account: str, exchange: str) -> str:
    """A fresh key the account's topic permissions on ``exchange`` would let through, were the exchange its own."""
    if account in routing.SERVICES and exchange == routing.EVENTS_EXCHANGE:
        return f"{account}.{probe_key()}"
    if account in routing.SERVICES and exchange == routing.SCHOOLS_EXCHANGE:
        return f"0930122C.{account}.{probe_key()}"
    return probe_key()


FORBIDDEN_READS = [
    pytest.param(account, queue, how, id=f"{account}<-{queue}-{how}")
    for account in LIMITED
    for queue in QUEUES
    if queue not in MAY_READ.get(account, set())
    for how in TAKES
]


@pytest.mark.parametrize(("account", "queue", "how"), FORBIDDEN_READS)
async def test_an_account_cannot_read_a_queue_that_is_not_its_own(
    connect: Connect, account: str, queue: str, how: str
) -> None:
    channel = await (await connect(account)).channel()
    # Looking a queue up (a passive declare) needs no permission; taking from it does.
    target = await channel.get_queue(queue, ensure=True)
    try:
        with pytest.raises(ChannelAccessRefused, match=f"queue '{re.escape(queue)}'.*{_refused_for(account)}"):
            await _take(target, how)
    finally:
        if not channel.is_closed:
            await channel.close()


@pytest.mark.parametrize("account", LIMITED)
@pytest.mark.parametrize("prefix", ["probe.", "amq.gen-"])
async def test_an_account_cannot_declare_a_queue_it_names(connect: Connect, account: str, prefix: str) -> None:
    channel = await (await connect(account)).channel()
    name = f"{prefix}{uuid.uuid4().hex}"

    with pytest.raises(ChannelAccessRefused, match=f"queue name '{re.escape(name)}'|queue '{re.escape(name)}'"):
        await channel.declare_queue(name, exclusive=True, auto_delete=True)


@pytest.mark.parametrize("service", routing.SERVICES)
async def test_a_service_cannot_declare_any_queue_not_even_a_server_named_one(connect: Connect, service: str) -> None:
    channel = await (await connect(service)).channel()

    with pytest.raises(ChannelAccessRefused, match=rf"queue 'amq\.gen-.*{_refused_for(service)}"):
        await channel.declare_queue(None, exclusive=True, auto_delete=True)


@pytest.mark.parametrize("spec", routing.QUEUES, ids=lambda spec: spec.name)
async def test_a_service_cannot_bind_its_own_queue_to_more_keys(connect: Connect, spec: routing.QueueSpec) -> None:
    channel = await (await connect(spec.service)).channel()
    queue = await channel.get_queue(spec.name, ensure=False)

    with pytest.raises(ChannelAccessRefused, match=_refused_for(spec.service)):
        await queue.bind(await channel.get_exchange(spec.exchange, ensure=False), probe_key())


READABLE_EXCHANGE = {PORTAL: routing.EVENTS_EXCHANGE, **{name: routing.SCHOOLS_EXCHANGE for name in SCOPED}}
"""The académie's portal reads every event; a school's portal reads the copies about its schools only."""


@pytest.mark.parametrize(
    ("portal", "exchange"),
    [(portal, e) for portal, readable in READABLE_EXCHANGE.items() for e in EXCHANGES if e != readable],
)
async def test_a_portal_cannot_bind_its_queue_to_an_exchange_it_does_not_read(
    connect: Connect, portal: str, exchange: str
) -> None:
    channel = await (await connect(portal)).channel()
    queue = await channel.declare_queue(None, exclusive=True, auto_delete=True)

    with pytest.raises(ChannelAccessRefused, match=f"exchange '{re.escape(exchange)}'.*{_refused_for(portal)}"):
        await queue.bind(await channel.get_exchange(exchange, ensure=False), probe_key())


async def test_a_portal_cannot_read_another_portals_queue(connect: Connect) -> None:
    owner = await (await connect(PORTAL)).channel()
    queue = await owner.declare_queue(None, exclusive=True, auto_delete=True)
    other = await aio_pika.connect(account_url(PORTAL))
    async with other:
        channel = await other.channel()
        target = await channel.get_queue(queue.name, ensure=False)

        with pytest.raises(ChannelLockedResource):
            await target.get(fail=False)


@pytest.mark.parametrize("account", list(ACCOUNTS))
async def test_a_wrong_password_is_refused(account: str) -> None:
    connection = await aio_pika.connect(account_url(account))
    await connection.close()

    with pytest.raises(ProbableAuthenticationError):
        await aio_pika.connect(account_url(account, password=f"not-{ACCOUNTS[account].password}"))


async def test_the_portal_publishes_commands(connect: Connect, listen: Listen) -> None:
    key = probe_key()
    listener = await listen(routing.COMMANDS_EXCHANGE, key)
    channel = await (await connect(PORTAL)).channel(publisher_confirms=True, on_return_raises=True)
    commands = await channel.get_exchange(routing.COMMANDS_EXCHANGE, ensure=False)

    await commands.publish(aio_pika.Message(b"{}", message_id=key), routing_key=key, mandatory=True)

    assert (await listener.next()).message_id == key
    await channel.close()


async def test_the_portal_reads_events_through_its_own_server_named_queue(connect: Connect) -> None:
    key = probe_key()
    channel = await (await connect(PORTAL)).channel()
    queue = await channel.declare_queue(None, exclusive=True, auto_delete=True)
    await queue.bind(await channel.get_exchange(routing.EVENTS_EXCHANGE, ensure=False), key)
    operators = await (await connect(topology.ADMIN_USER)).channel(publisher_confirms=True, on_return_raises=True)
    events = await operators.get_exchange(routing.EVENTS_EXCHANGE, ensure=False)

    await events.publish(aio_pika.Message(b"{}", message_id=key), routing_key=key, mandatory=True)

    message = await Listener(queue).next()
    assert queue.name.startswith("amq.gen-") and message.message_id == key
    await channel.close()
    await operators.close()


ALLOWED_WRITES = [
    pytest.param(account, exchange, id=f"{account}->{exchange}")
    for account in LIMITED
    for exchange in sorted(MAY_WRITE.get(account, set()))
    if account != PORTAL and account not in SCOPED
]


@pytest.mark.parametrize(("account", "exchange"), ALLOWED_WRITES)
async def test_a_service_publishes_its_events_and_parks_messages(
    connect: Connect, listen: Listen, account: str, exchange: str
) -> None:
    key = allowed_key(account, exchange)
    listener = await listen(exchange, key)
    channel = await (await connect(account)).channel(publisher_confirms=True, on_return_raises=True)
    target = await channel.get_exchange(exchange, ensure=False)

    await target.publish(aio_pika.Message(b"{}", message_id=key), routing_key=key, mandatory=True)

    assert (await listener.next()).message_id == key
    await channel.close()


ALLOWED_READS = [
    pytest.param(account, queue, how, id=f"{account}<-{queue}-{how}")
    for account in LIMITED
    for queue in sorted(MAY_READ.get(account, set()))
    for how in TAKES
]


@pytest.mark.parametrize(("account", "queue", "how"), ALLOWED_READS)
async def test_a_service_reads_its_own_queues(connect: Connect, account: str, queue: str, how: str) -> None:
    channel = await (await connect(account)).channel()
    await channel.set_qos(prefetch_count=1)
    target = await channel.get_queue(queue, ensure=True)

    await _take(target, how)

    assert not channel.is_closed
    await channel.close()
