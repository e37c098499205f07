"""Logging in to the real broker (test vhost) as each account of the topology, and listening as the operators."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import quote

import aio_pika
import pytest
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage, AbstractQueue

from deploy import topology
from tests.conftest import ADMIN_URL, AMQP_HOST, TEST_VHOST

ACCOUNTS = {account.name: account for account in topology.accounts()}


def account_url(name: str, password: str | None = None) -> str:
    """The test vhost's URL for ``name``, with the password the broker's definitions give it unless told."""
    secret = ACCOUNTS[name].password if password is None else password
    return f"amqp://{quote(name, safe='')}:{quote(secret, safe='')}@{AMQP_HOST.split('://', 1)[1]}/{TEST_VHOST}"


def probe_key() -> str:
    """A routing key no binding of the topology matches, unique to one test."""
    return f"probe-{uuid.uuid4().hex}"


Connect = Callable[[str], Awaitable[AbstractConnection]]


@pytest.fixture(scope="module")
async def connect() -> AsyncIterator[Connect]:
    """One connection per account for the module: a refusal closes a channel, never the connection."""
    opened: dict[str, AbstractConnection] = {}

    async def _connect(name: str) -> AbstractConnection:
        if name not in opened or opened[name].is_closed:
            opened[name] = await aio_pika.connect(
                account_url(name), client_properties={"connection_name": f"permission-test-{name}"}
            )
        return opened[name]

    yield _connect
    for connection in opened.values():
        await connection.close()


class Listener:
    """An operators' exclusive queue bound to an exchange, to see what an account's publish delivered."""

    def __init__(self, queue: AbstractQueue) -> None:
        self.queue = queue

    async def next(self, timeout: float = 5.0) -> AbstractIncomingMessage:
        deadline = time.monotonic() + timeout
        while True:
            message = await self.queue.get(no_ack=True, fail=False)
            if message is not None:
                return message
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing arrived on {self.queue.name} within {timeout} s")
            await asyncio.sleep(0.05)


Listen = Callable[[str, str], Awaitable[Listener]]


@pytest.fixture
async def listen() -> AsyncIterator[Listen]:
    connection = await aio_pika.connect(ADMIN_URL)

    async def _listen(exchange: str, key: str) -> Listener:
        channel = await connection.channel()
        queue = await channel.declare_queue(None, exclusive=True, auto_delete=True)
        await queue.bind(await channel.get_exchange(exchange, ensure=False), key)
        return Listener(queue)

    yield _listen
    await connection.close()
