"""Who published a message: the broker refuses a user_id other than the connection's account, and ours set it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest
from aiormq.exceptions import ChannelPreconditionFailed

from contracts import routing
from deploy import topology
from harness.portal import PortalClient
from services.runtime.database import RUNTIME_SQL, create_pool, migrate
from services.runtime.outbox import write_outbox
from services.runtime.relay import OutboxRelay, amqp_user
from tests.conftest import TEST_DATABASE_URL
from tests.service.broker.conftest import Connect, Listen, account_url, probe_key

PUBLISHERS = {
    topology.PORTAL_USER: routing.COMMANDS_EXCHANGE,
    **{service: routing.EVENTS_EXCHANGE for service in routing.SERVICES},
}
"""Each account that publishes, and an exchange it may publish to."""


def own_key(account: str) -> str:
    """A fresh key the account may publish with: a service only its own ``<service>.…`` events."""
    return f"{account}.{probe_key()}" if account in routing.SERVICES else probe_key()


def _impostures() -> list[object]:
    names = list(PUBLISHERS)
    return [
        pytest.param(account, claimed, id=f"{account}-as-{claimed}")
        for i, account in enumerate(names)
        # The operators' account is the one worth forging: its commands purge a campaign.
        for claimed in (topology.ADMIN_USER, names[(i + 1) % len(names)])
    ]


@pytest.mark.parametrize(("account", "claimed"), _impostures())
async def test_the_broker_refuses_a_message_claiming_another_account(
    connect: Connect, account: str, claimed: str
) -> None:
    channel = await (await connect(account)).channel(publisher_confirms=True)
    exchange = await channel.get_exchange(PUBLISHERS[account], ensure=False)

    # aiormq raises this class for the channel's close code 406 only.
    with pytest.raises(
        ChannelPreconditionFailed,
        match=f"^PRECONDITION_FAILED - user_id property set to "
        f"'{re.escape(claimed)}' but authenticated user was '{re.escape(account)}'",
    ):
        await exchange.publish(aio_pika.Message(b"{}", user_id=claimed), routing_key=own_key(account))


@pytest.mark.parametrize("account", list(PUBLISHERS))
async def test_the_broker_delivers_a_message_carrying_the_accounts_own_user_id(
    connect: Connect, listen: Listen, account: str
) -> None:
    key = own_key(account)
    listener = await listen(PUBLISHERS[account], key)
    channel = await (await connect(account)).channel(publisher_confirms=True, on_return_raises=True)
    exchange = await channel.get_exchange(PUBLISHERS[account], ensure=False)

    await exchange.publish(aio_pika.Message(b"{}", user_id=account), routing_key=key, mandatory=True)

    assert (await listener.next()).user_id == account
    await channel.close()


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    """A schema of its own holding the runtime's tables, the outbox among them."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await migrate(TEST_DATABASE_URL, schema, {"runtime": RUNTIME_SQL / "migrations"})
    pool = await create_pool(TEST_DATABASE_URL, schema, 2)
    yield pool
    await pool.close()
    conn = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.mark.parametrize("service", routing.SERVICES)
async def test_the_outbox_relay_publishes_as_its_own_account(pool: asyncpg.Pool, listen: Listen, service: str) -> None:
    key = own_key(service)
    listener = await listen(routing.EVENTS_EXCHANGE, key)
    async with pool.acquire() as conn:
        await write_outbox(conn, [(key, routing.EVENTS_EXCHANGE, key, b"{}", json.dumps({}), key)])
    relay = OutboxRelay(pool, account_url(service), app_id=service)
    await relay.start()
    try:
        message = await listener.next(timeout=10)
    finally:
        await relay.stop()

    assert (message.message_id, message.user_id) == (key, service)


async def test_the_portal_client_publishes_as_its_own_account(listen: Listen) -> None:
    key = probe_key()
    listener = await listen(routing.COMMANDS_EXCHANGE, key)

    async with PortalClient(account_url(topology.PORTAL_USER), bindings=(probe_key(),)) as portal:
        await portal.send(key, b"{}", message_id=key)

    message = await listener.next()
    assert (message.message_id, message.user_id) == (key, topology.PORTAL_USER)


@pytest.mark.parametrize(
    ("url", "user"),
    [
        ("amqp://enrollment:secret@rabbitmq:5672/passpro", "enrollment"),
        ("amqps://affelnet_export:s%40cret@rabbitmq/passpro", "affelnet_export"),
        ("amqp://passpro%2Dadmin:x@127.0.0.1/passpro", "passpro-admin"),
        ("amqp://127.0.0.1:5672/passpro", "guest"),
        ("amqps://rabbitmq/passpro?auth=external&cafile=/ca.pem", None),
    ],
)
def test_the_relay_reads_its_account_from_the_amqp_url(url: str, user: str | None) -> None:
    assert amqp_user(url) == user
