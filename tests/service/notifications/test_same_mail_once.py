"""R26 on the real broker, database and an SMTP server: two recap sheets of one pupil asked for two domains'
results that arrived together say the same thing; the family receives it once, the other is recorded dropped."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest

from contracts.campaign import load_campaign
from services.notifications.app import SERVICE as NOTIFICATIONS
from services.notifications.sender import Mailer, send_due
from services.runtime.service import WorkerContext
from services.runtime.settings import ServiceSettings
from tests.service.delivering import delivery, envelope, events_consumer, schema, service_pool
from tests.service.outside import serving

__all__ = ["schema"]  # the fixture

INE, ORIGIN, RECEPTION = "0168000122F", "0944512U", "0940784S"
DOMAINS = {
    "metallerie": "cap-constructeur-alu-verre",
    "tapisserie-ameublement": "2nde-pro-artisanat-tapisserie-ameublement",
}
AT = datetime(2013, 2, 12, 8, 0, tzinfo=UTC)


class Sink:
    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    sink = Sink()
    with serving(sink) as port:
        yield sink, port


def registered(domain_code: str, formation: str) -> dict[str, Any]:
    return {
        **envelope(AT),
        "ine": INE,
        "formation_code": formation,
        "domain_code": domain_code,
        "origin_uai": ORIGIN,
        "origin_opinion": "favorable",
        "pupil": {"ine": INE, "first_name": "Inès", "last_name": "Martin"},
        "referent": {"name": "Paul Durand", "email": "paul.durand@example.org"},
        "origin_comment": "Motivée.",
        "channel": "portal",
        "registered_at": AT.isoformat(),
        "revision": 1,
    }


def booked(interview_id: uuid.UUID, domain_code: str, formation: str, day: int) -> dict[str, Any]:
    starts = datetime(2013, 3, day, 8, 0, tzinfo=UTC)
    return {
        **envelope(AT),
        "interview_id": str(interview_id),
        "ine": INE,
        "domain_code": domain_code,
        "reception_uai": RECEPTION,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=30)).isoformat(),
        "place": "Salle 12",
        "formation_codes": [formation],
    }


def reported(interview_id: uuid.UUID, domain_code: str) -> dict[str, Any]:
    return {
        **envelope(AT + timedelta(days=30)),
        "interview_id": str(interview_id),
        "ine": INE,
        "domain_code": domain_code,
        "attended": True,
        "reception_uai": RECEPTION,
        "report": "Projet réfléchi.",
    }


def final(formation: str) -> dict[str, Any]:
    return {
        **envelope(AT + timedelta(days=30)),
        "ine": INE,
        "formation_code": formation,
        "origin_opinion": "favorable",
        "reception_opinion": "favorable",
        "final_opinion": "tres_favorable",
    }


async def test_r26_two_identical_recap_sheets_of_a_pupil_reach_the_family_once(
    schema: str,
    smtp: tuple[Sink, int],
) -> None:
    sink, port = smtp
    pool = await service_pool(schema, NOTIFICATIONS)
    consumer = events_consumer(pool, NOTIFICATIONS)
    interviews = {code: uuid.uuid4() for code in DOMAINS}
    try:
        for day, (code, formation) in enumerate(DOMAINS.items(), start=5):
            await consumer.deliver(await delivery("enrollment.candidacy_registered", registered(code, formation)))
            await consumer.deliver(
                await delivery("scheduling.interview_booked", booked(interviews[code], code, formation, day))
            )
        # Both domains' results arrive before either recap sheet goes (they settle for a moment first).
        for code, formation in DOMAINS.items():
            await consumer.deliver(await delivery("opinions.interview_reported", reported(interviews[code], code)))
            await consumer.deliver(await delivery("opinions.final_opinion_computed", final(formation)))

        ctx = WorkerContext(pool, load_campaign(), "notifications", lambda: None)
        mailer = Mailer(ServiceSettings(smtp_host="127.0.0.1", smtp_port=port))
        deadline = time.monotonic() + 30
        query = "SELECT key, state, last_error FROM mails WHERE kind = 'recap' ORDER BY state"
        while time.monotonic() < deadline:
            await send_due(ctx, ServiceSettings(smtp_host="127.0.0.1", smtp_port=port), mailer)
            recaps = [dict(r) for r in await pool.fetch(query)]
            if len(recaps) == 2 and all(r["state"] in ("sent", "dropped") for r in recaps):
                break
            await asyncio.sleep(0.2)
        await mailer.close()
    finally:
        await pool.close()

    assert [(r["state"], r["last_error"]) for r in recaps] == [
        ("dropped", "same_content_as_the_last_one_sent"),
        ("sent", None),
    ]
    recap_mails = [m for m in sink.received if m["Message-ID"].startswith("<recap.")]
    assert [m["Message-ID"] for m in recap_mails] == [
        f"<{next(r['key'] for r in recaps if r['state'] == 'sent').replace(':', '.')}@passpro.ac-creteil.fr>"
    ]
