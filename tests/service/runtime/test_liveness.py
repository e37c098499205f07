"""Liveness that means something: a process whose consumer the broker cancelled, and nothing restored, says 503."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import asyncpg
import httpx
import pytest

from contracts import routing
from contracts.campaign import load_campaign
from services.runtime.app import ServiceProcess
from services.runtime.service import Service
from services.runtime.settings import ServiceSettings
from tests.conftest import ADMIN_URL, TEST_DATABASE_URL

SQL = Path(__file__).parent / "sql"
GRACE = 1.0
DEADLINE = 20.0
"""The bound: grace, plus the time the broker takes to cancel and this test's polling."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def declare(queue: str) -> None:
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue, durable=True, arguments={"x-queue-type": "quorum"})


@pytest.fixture
async def process() -> AsyncIterator[ServiceProcess]:
    """A service process of its own (schema, queue, health port) on the test vhost, consuming one queue."""
    name = f"t_live_{uuid.uuid4().hex[:10]}"
    queue = f"{name}.commands"
    await declare(queue)
    settings = ServiceSettings(
        amqp_url=ADMIN_URL,
        database_url=TEST_DATABASE_URL,
        health_port=free_port(),
        liveness_grace=GRACE,
        db_pool_size=2,
    )
    service_process = ServiceProcess(Service(name=name, sql_dir=SQL), settings, load_campaign(), None)
    service_process.queues = [routing.QueueSpec(queue, name, routing.COMMANDS_EXCHANGE, ())]
    await service_process.start()
    try:
        yield service_process
    finally:
        await service_process.stop()
        connection = await aio_pika.connect(ADMIN_URL)
        async with connection:
            await (await connection.channel()).queue_delete(queue)
        conn = await asyncpg.connect(TEST_DATABASE_URL)
        await conn.execute(f'DROP SCHEMA "{name}" CASCADE')
        await conn.close()


async def health(process: ServiceProcess, which: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"http://127.0.0.1:{process.settings.health_port}/health/{which}", timeout=5)


async def delete(queue: str) -> None:
    """The broker cancels the queue's consumers (basic.cancel): what a lost node can leave behind."""
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        await (await connection.channel()).queue_delete(queue)


async def test_a_consumer_cancelled_by_the_broker_and_not_restored_turns_liveness_503_within_the_bound(
    process: ServiceProcess,
) -> None:
    queue = process.queues[0].name
    live, ready = await health(process, "live"), await health(process, "ready")
    assert (live.status_code, live.json()["own_consumers"]) == (200, {queue: 1})
    assert ready.status_code == 200 and ready.json()["checks"]["own_consumers"] == {queue: 1}

    await delete(queue)
    cancelled = time.monotonic()
    while (live := await health(process, "live")).status_code == 200:
        assert time.monotonic() - cancelled < DEADLINE, "liveness still 200 after the consumer was cancelled"
        await asyncio.sleep(0.25)
    took = time.monotonic() - cancelled

    assert live.status_code == 503 and live.json()["own_consumers"] == {queue: 0}
    assert GRACE <= took < DEADLINE
    ready = await health(process, "ready")
    assert ready.status_code == 503 and ready.json()["checks"]["own_consumers"] == {queue: 0}


async def test_a_consumer_restored_after_the_cancel_keeps_the_process_live(process: ServiceProcess) -> None:
    queue = process.queues[0].name
    await delete(queue)
    await declare(queue)  # the queue back: the client consumes it again, no restart needed
    restored = time.monotonic()
    while (await health(process, "live")).json()["own_consumers"] != {queue: 1}:
        assert time.monotonic() - restored < DEADLINE, "the consumer was not restored"
        await asyncio.sleep(0.25)
    await asyncio.sleep(GRACE * 2)

    live, ready = await health(process, "live"), await health(process, "ready")
    assert (live.status_code, ready.status_code) == (200, 200)
    assert ready.json()["checks"]["consumers"] == {queue: 1}


async def test_a_process_with_all_its_consumers_stays_live_past_the_grace(process: ServiceProcess) -> None:
    first = await health(process, "live")
    await asyncio.sleep(GRACE * 2)
    second = await health(process, "live")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["own_consumers"] == {process.queues[0].name: 1}
