"""R19 with the database away right after SMTP accepted a convocation: the sender holds on and records the mail
as sent once the database is back; the family receives it once, not again when the lease runs out.

The database is a PostgreSQL of the test's own, stopped for real by the SMTP server while it takes the mail
(before it answers 250) and started again a few seconds later.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from prometheus_client import REGISTRY

from contracts.campaign import load_campaign
from services.notifications.app import SERVICE as NOTIFICATIONS
from services.notifications.sender import Mailer, send_due
from services.runtime.database import RUNTIME_SQL, create_pool, migrate
from services.runtime.service import WorkerContext
from services.runtime.settings import ServiceSettings
from tests.service.delivering import delivery, events_consumer
from tests.service.notifications.test_same_mail_once import booked, registered
from tests.service.outside import serving
from tests.service.own_postgres import OwnPostgres, postgres

__all__ = ["postgres"]  # the fixture
DOMAIN, FORMATION = "metallerie", "cap-constructeur-alu-verre"
AWAY_SECONDS = 3.0


class StoppingSink:
    """An SMTP server that stops the database while it takes the first mail, then starts it again later."""

    def __init__(self, server: OwnPostgres) -> None:
        self.server, self.received, self.restarted = server, [], threading.Event()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(envelope.content))
        if len(self.received) == 1:
            self.server.stop()  # blocks this server's own thread only: the sender waits for its answer
            threading.Timer(AWAY_SECONDS, self._start).start()
        return "250 OK"

    def _start(self) -> None:
        self.server.start()
        self.restarted.set()


@pytest.fixture
async def pool(postgres: OwnPostgres) -> AsyncIterator[asyncpg.Pool]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await migrate(
        postgres.url,
        schema,
        {"runtime": RUNTIME_SQL / "migrations", "notifications": Path(NOTIFICATIONS.sql_dir) / "migrations"},
    )
    pool = await create_pool(postgres.url, schema, 3)
    yield pool
    await pool.close()


def _waits() -> float:
    return REGISTRY.get_sample_value("passpro_record_waits_total", {"work": "mail"}) or 0.0


async def test_r19_a_mail_smtp_accepted_while_the_database_went_away_is_recorded_once_it_is_back_and_sent_once(
    postgres: OwnPostgres, pool: asyncpg.Pool
) -> None:
    consumer = events_consumer(pool, NOTIFICATIONS)
    interview = uuid.uuid4()
    await consumer.deliver(await delivery("enrollment.candidacy_registered", registered(DOMAIN, FORMATION)))
    await consumer.deliver(await delivery("scheduling.interview_booked", booked(interview, DOMAIN, FORMATION, 5)))
    sink = StoppingSink(postgres)
    with serving(sink) as port:
        settings = ServiceSettings(smtp_host="127.0.0.1", smtp_port=port)
        mailer = Mailer(settings)
        waits_before = _waits()
        try:
            ctx = WorkerContext(pool, load_campaign(), "notifications", lambda: None)
            deadline, state = time.monotonic() + 60, None
            while time.monotonic() < deadline and state != "sent":
                await send_due(ctx, settings, mailer)
                state = await pool.fetchval("SELECT state FROM mails WHERE kind = 'convocation'")
                await asyncio.sleep(0.2)
            # The lease has not run out yet: one more round shows nothing is left to send again.
            await send_due(ctx, settings, mailer)
        finally:
            await mailer.close()
    sink.restarted.wait(AWAY_SECONDS + 30)

    assert sink.restarted.is_set(), "the database was never stopped and started: no outage happened"
    assert _waits() > waits_before, "the record never found the database away"
    assert state == "sent"
    assert [m["Message-ID"].strip().split(".")[0] for m in sink.received] == ["<convocation"]
    outbox = await pool.fetchval("SELECT count(*) FROM outbox WHERE routing_key = 'notifications.convocation_sent'")
    assert outbox == 1
