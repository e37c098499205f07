"""Helpers of the service tests that feed a service real deliveries: a schema of its own, migrated as the
service does, and events published through the real broker."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import pytest

from contracts import routing
from contracts.campaign import load_campaign
from services.runtime.consumer import Consumer
from services.runtime.database import RUNTIME_SQL, create_pool, migrate
from services.runtime.service import Service
from tests.conftest import ADMIN_URL, TEST_DATABASE_URL


@pytest.fixture
async def schema() -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    conn = await asyncpg.connect(TEST_DATABASE_URL)
    await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    await conn.close()


async def service_pool(schema: str, service: Service) -> asyncpg.Pool:
    await migrate(
        TEST_DATABASE_URL,
        schema,
        {"runtime": RUNTIME_SQL / "migrations", service.name: Path(service.sql_dir) / "migrations"},
    )
    return await create_pool(TEST_DATABASE_URL, schema, 3)


def events_consumer(pool: asyncpg.Pool, service: Service, *, batch_size: int = 1) -> Consumer:
    return _consumer(pool, service, routing.EVENTS_EXCHANGE, batch_size)


def commands_consumer(pool: asyncpg.Pool, service: Service, *, batch_size: int = 1) -> Consumer:
    return _consumer(pool, service, routing.COMMANDS_EXCHANGE, batch_size)


def _consumer(pool: asyncpg.Pool, service: Service, exchange: str, batch_size: int) -> Consumer:
    spec = next(s for s in routing.queues_of(service.name) if s.exchange == exchange)
    return Consumer(
        service=service, queue=spec, pool=pool, campaign=load_campaign(), virtual_clock=True, batch_size=batch_size
    )


async def delivery(routing_key: str, body: dict[str, Any]) -> aio_pika.abc.AbstractIncomingMessage:
    """A real delivery from the broker, published under the operators' account (trusted to replay events): an
    event (``event_id``) or a command (``command_id``)."""
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(None, exclusive=True)
        direct = await channel.get_exchange("amq.direct", ensure=False)
        await queue.bind(direct, routing_key)
        await direct.publish(
            aio_pika.Message(
                json.dumps(body).encode(),
                message_id=body.get("event_id") or body["command_id"],
                headers={},
                user_id="passpro-admin",
            ),
            routing_key=routing_key,
        )
        message = await queue.get(timeout=5)
        await message.ack()
    return message


def envelope(occurred_at: datetime) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "occurred_at": occurred_at.isoformat(),
        "campaign": "2013",
        "causation_id": None,
    }
