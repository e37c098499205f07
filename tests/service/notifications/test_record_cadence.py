"""R19 on a slow SMTP server: each mail is recorded as sent right after the server took it, before the next one
goes, so a crash then sends one mail again at most, not the round. A round once held all its accepted mails
unrecorded until its end: a slow link made that seconds, and a kill sent them all again."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from email import message_from_bytes
from typing import Any

import pytest

from contracts.campaign import load_campaign
from services.notifications.app import SERVICE as NOTIFICATIONS
from services.notifications.sender import RECORD_AFTER, Mailer, send_due
from services.runtime.service import WorkerContext
from services.runtime.settings import ServiceSettings
from tests.service.delivering import delivery, events_consumer, schema, service_pool
from tests.service.notifications.test_same_mail_once import DOMAINS, booked, registered
from tests.service.outside import serving

__all__ = ["schema"]  # the fixture


class SlowSink:
    """An SMTP server slow to take each mail (more than ``RECORD_AFTER``), noting when it answered."""

    def __init__(self) -> None:
        self.answered: list[tuple[str, float]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(RECORD_AFTER * 2)
        message_id = str(message_from_bytes(envelope.content)["Message-ID"]).strip()
        self.answered.append((message_id, time.time()))
        return "250 OK"


@pytest.fixture
def slow_smtp() -> Any:
    sink = SlowSink()
    with serving(sink) as port:
        yield sink, port


async def test_r19_on_a_slow_server_each_mail_is_recorded_before_the_next_one_goes(
    schema: str, slow_smtp: tuple[SlowSink, int]
) -> None:
    sink, port = slow_smtp
    pool = await service_pool(schema, NOTIFICATIONS)
    consumer = events_consumer(pool, NOTIFICATIONS)
    try:
        for day, (code, formation) in enumerate(DOMAINS.items(), start=5):
            await consumer.deliver(await delivery("enrollment.candidacy_registered", registered(code, formation)))
            await consumer.deliver(
                await delivery("scheduling.interview_booked", booked(uuid.uuid4(), code, formation, day))
            )
        ctx = WorkerContext(pool, load_campaign(), "notifications", lambda: None)
        settings = ServiceSettings(smtp_host="127.0.0.1", smtp_port=port)
        mailer = Mailer(settings)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(sink.answered) < len(DOMAINS):
            await send_due(ctx, settings, mailer)
            await asyncio.sleep(0.1)
        await mailer.close()
        rows = await pool.fetch("SELECT key, sent_at FROM mails WHERE kind = 'convocation' AND state = 'sent'")
    finally:
        await pool.close()

    sent_at = {f"<{r['key'].replace(':', '.')}@passpro.ac-creteil.fr>": r["sent_at"] for r in rows}
    assert len(sink.answered) == len(DOMAINS) == len(sent_at)
    # In one round, over one connection: the first mail's record precedes the server's answer to the second.
    (first, _), (_, second_answered) = sorted(sink.answered, key=lambda answer: answer[1])
    assert sent_at[first] < datetime.fromtimestamp(second_answered, UTC)
