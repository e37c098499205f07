"""notifications end to end: real mails to a real SMTP server, each sent once (R19, R20, R20b, R22, R26).

One timeline in one domain: three pupils convoked while SMTP is down, one withdraws, reminders
before the interview, one report (recap sheet), one report overdue (reminder to the school).
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import aio_pika
import icalendar
import pytest
from pypdf import PdfReader

from harness.mail_sink import MailSink
from harness.portal import PortalClient
from tests.conftest import ADMIN_URL
from tests.e2e.conftest import OPEN, Clock, SmtpServer
from tests.e2e.mails import about, all_sent, attachment, mail_rows, mails
from tests.e2e.test_scheduling import booked, register, send, slots_body
from tests.stack import ServiceStack

pytestmark = pytest.mark.e2e
DOMAIN, SCHOOL = "ceramique-staff", "0771280Y"


@pytest.fixture(scope="module")
def sink(smtp: SmtpServer) -> MailSink:
    return smtp.sink


@pytest.fixture(scope="module")
async def timeline(portal: PortalClient, clock: Clock, sink: MailSink, smtp: SmtpServer) -> dict[str, Any]:
    await clock.at_least(OPEN)
    smtp.down()
    start_at = (clock.at + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    await send(
        portal,
        "declare_interview_slots",
        slots_body(SCHOOL, DOMAIN, (start_at.isoformat(), 3), place="Atelier céramique, bâtiment C"),
    )
    names = [("Anaïs", "Lefèvre-Ngô"), ("Théo", "Dubreuil"), ("Maëlys", "Keïta")]
    pupils = []
    for first, last in names:
        pupil = await register(portal, "cap-metiers-ceramique", pupil={"first_name": first, "last_name": last})
        pupils.append(pupil)
    await register(portal, "cap-staffeur-ornemaniste", pupil=pupils[0]["pupil"], origin_opinion="assez_favorable")
    interviews = [await portal.wait_for(booked(p["pupil"]["ine"], DOMAIN)) for p in pupils]
    # The sender has tried each convocation and failed: only then does "nothing received" mean something.
    await mail_rows(
        [f"convocation:{i['interview_id']}" for i in interviews],
        lambda rows: len(rows) == 3 and all(r["attempts"] >= 1 for r in rows),
    )
    while_down = [m for m in sink.received() if any(about(p, "Convocation Passpro")(m) for p in pupils)]
    smtp.up()  # SMTP comes back: the waiting convocations go out
    return {"pupils": pupils, "interviews": interviews, "while_down": while_down, "start": start_at}


async def test_r19_a_convocation_goes_to_the_origin_school_and_the_referent_with_pdf_and_calendar(
    portal: PortalClient, sink: MailSink, timeline: dict[str, Any]
) -> None:
    pupil, interview = timeline["pupils"][0], timeline["interviews"][0]

    [mail] = await mails(sink, about(pupil, "Convocation Passpro"))
    sent = await portal.wait_for(
        lambda e: (
            e["_routing_key"] == "notifications.convocation_sent" and e["interview_id"] == interview["interview_id"]
        )
    )

    body = mail.get_body(("plain",)).get_content()
    assert timeline["while_down"] == []
    assert set(sent["recipients"]) == {"ce.0930122c@ac-creteil.fr", pupil["referent"]["email"]}
    assert "Anaïs" in body and "Lefèvre-Ngô" in body and "lettre de motivation" in body
    start = datetime.fromisoformat(interview["starts_at"])
    assert start.strftime("%d/%m/%Y") in body and start.strftime("%Hh%M") in body
    assert "Atelier céramique, bâtiment C" in body
    calendar = icalendar.Calendar.from_ical(attachment(mail, "convocation.ics"))
    event = next(iter(calendar.walk("VEVENT")))
    assert event.decoded("DTSTART") == start
    pdf = "".join(page.extract_text() for page in PdfReader(io.BytesIO(attachment(mail, "convocation.pdf"))).pages)
    assert "Lefèvre" in pdf


async def test_r19_every_convocation_is_sent_once_even_after_smtp_came_back(
    sink: MailSink, timeline: dict[str, Any]
) -> None:
    for pupil in timeline["pupils"]:
        await mails(sink, about(pupil, "Convocation Passpro"))
    await mail_rows([f"convocation:{i['interview_id']}" for i in timeline["interviews"]], all_sent(3))

    ours = [m for p in timeline["pupils"] for m in sink.received() if about(p, "Convocation Passpro")(m)]
    assert len(ours) == 3
    assert len({str(m["Message-ID"]) for m in ours}) == 3


async def test_r10_r19_a_withdrawal_sends_a_cancellation_that_calendars_understand(
    portal: PortalClient, sink: MailSink, timeline: dict[str, Any]
) -> None:
    pupil, interview = timeline["pupils"][1], timeline["interviews"][1]
    await mails(sink, about(pupil, "Convocation Passpro"))

    await send(
        portal,
        "withdraw_candidacy",
        {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": pupil["origin_uai"],
            "ine": pupil["pupil"]["ine"],
            "formation_code": "cap-metiers-ceramique",
        },
    )
    [mail] = await mails(sink, about(pupil, "Annulation Passpro"))

    calendar = icalendar.Calendar.from_ical(attachment(mail, "convocation.ics"))
    event = next(iter(calendar.walk("VEVENT")))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]).startswith(interview["interview_id"])
    assert int(event["SEQUENCE"]) > 0


async def test_r20b_a_reminder_goes_out_two_days_before_the_interview(
    sink: MailSink, clock: Clock, timeline: dict[str, Any]
) -> None:
    await clock.at_least((timeline["start"] - timedelta(days=1)).isoformat())

    reminded = await mails(sink, about(timeline["pupils"][0], "Rappel Passpro"))
    cancelled = await mails(sink, about(timeline["pupils"][1], "Rappel Passpro"), timeout=2)

    assert len(reminded) == 1 and "lettre de motivation" in reminded[0].get_body(("plain",)).get_content()
    assert cancelled == []


async def test_r26_the_recap_sheet_goes_to_the_origin_school_with_the_three_opinions(
    portal: PortalClient, sink: MailSink, clock: Clock, timeline: dict[str, Any]
) -> None:
    pupil, interview = timeline["pupils"][0], timeline["interviews"][0]
    await clock.at_least((timeline["start"] + timedelta(hours=2)).isoformat())
    await send(
        portal,
        "submit_interview_report",
        {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": interview["reception_uai"],
            "interview_id": interview["interview_id"],
            "attended": True,
            "report": "Très bonne connaissance du métier.",
            "opinions": [
                {"formation_code": "cap-metiers-ceramique", "opinion": "favorable"},
                {"formation_code": "cap-staffeur-ornemaniste", "opinion": "reserve"},
            ],
        },
    )

    [mail] = await mails(sink, about(pupil, "Fiche récapitulative Passpro"))
    sent = await portal.wait_for(
        lambda e: e["_routing_key"] == "notifications.recap_sent" and e["ine"] == pupil["pupil"]["ine"]
    )

    body = mail.get_body(("plain",)).get_content()
    assert sent["recipients"] == ["ce.0930122c@ac-creteil.fr"]
    assert "Très favorable" in body and "Peu favorable" in body and "Très bonne connaissance du métier." in body


async def test_r22_the_reception_school_is_reminded_once_of_an_overdue_report(
    sink: MailSink, clock: Clock, timeline: dict[str, Any]
) -> None:
    late = timeline["pupils"][2]
    await clock.at_least((timeline["start"] + timedelta(days=4, hours=2)).isoformat())

    [mail] = await mails(
        sink,
        lambda m: (
            str(m["Subject"]).startswith("Relance Passpro")
            and late["pupil"]["last_name"] in m.get_body(("plain",)).get_content()
        ),
    )

    assert str(mail["To"]) == f"ce.{SCHOOL.lower()}@ac-creteil.fr"


async def test_r19_a_booking_delivered_again_does_not_send_a_second_convocation(
    stack: ServiceStack, portal: PortalClient, sink: MailSink, timeline: dict[str, Any]
) -> None:
    pupil, interview = timeline["pupils"][2], timeline["interviews"][2]
    await mails(sink, about(pupil, "Convocation Passpro"))
    same_message = {key: value for key, value in interview.items() if not key.startswith("_")}
    republished = {**same_message, "event_id": str(uuid.uuid4())}  # the same booking, under a new message id
    where = {"queue": "notifications.events", "routing_key": "scheduling.interview_booked"}
    before = {outcome: stack.counted("notifications", **where, outcome=outcome) for outcome in ("duplicate", "handled")}

    for event in (same_message, republished):
        await publish_as_scheduling(event)
    # Both were taken: the first found in the inbox, the second handled without asking for a second mail.
    for outcome, seen in before.items():
        await stack.wait_counted("notifications", **where, outcome=outcome, at_least=seen + 1)
    await mail_rows([f"convocation:{interview['interview_id']}"], all_sent(1))

    assert len(await mails(sink, about(pupil, "Convocation Passpro"), timeout=0)) == 1


async def publish_as_scheduling(event: dict[str, Any]) -> None:
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("passpro.events", ensure=False)
        await exchange.publish(
            aio_pika.Message(
                json.dumps(event).encode(),
                message_id=event["event_id"],
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                user_id="passpro-admin",
            ),
            routing_key="scheduling.interview_booked",
        )
