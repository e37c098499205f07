"""notifications end to end, what version 2 mails carry (R19-R21, R26-R28): a convocation naming the referent and
the origin school, with what to do when the pupil cannot come, and a calendar entry Outlook accepts; a convocation
corrected once after a partial withdrawal; a recap sheet that keeps the withdrawn candidacy.

One timeline in the ébénisterie domain: two pupils convoked at the same school, one later withdraws one of its two
formations, then reports on its interview.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aio_pika
import pytest

from harness.mail_sink import MailSink
from harness.portal import PortalClient
from tests.conftest import ADMIN_URL
from tests.e2e.conftest import OPEN, Clock, SmtpServer
from tests.e2e.mails import about, all_sent, calendar_event, mail_rows, mails, pdf, text
from tests.e2e.test_scheduling import booked, register, send, slots_body
from tests.stack import ServiceStack

pytestmark = pytest.mark.e2e
DOMAIN, RECEPTION = "ebenisterie", "0931024H"
CAP, BAC_PRO = "cap-ebeniste", "2nde-pro-artisanat-ebeniste"
CAP_LABEL, BAC_PRO_LABEL = "CAP Ébéniste", "2nde pro Artisanat et métiers d'art option ébéniste"
RECEPTION_LABEL = "Lycée professionnel Jean Jaurès (UAI 0931024H)"
ORIGIN, ORIGIN_LABEL = "0931238R", "Lycée professionnel Paul Éluard (UAI 0931238R)"
"""An origin school the campaign's directory names (a lycée's classe d'accueil): mails show its name."""


@pytest.fixture(scope="module")
def sink(smtp: SmtpServer) -> MailSink:
    return smtp.sink


@pytest.fixture(scope="module")
async def timeline(portal: PortalClient, clock: Clock, sink: MailSink) -> dict[str, Any]:
    await clock.at_least(OPEN)
    start_at = (clock.at + timedelta(days=8)).replace(hour=10, minute=0, second=0, microsecond=0)
    while start_at.weekday() >= 5:
        start_at += timedelta(days=1)
    referent = {"name": "M. Kaci Benali", "email": f"k.benali.{uuid.uuid4().hex[:8]}@example.org"}
    single = await register(
        portal,
        CAP,
        origin_uai=ORIGIN,
        actor_uai=ORIGIN,
        referent=referent,
        pupil={"first_name": "Yanis", "last_name": "Ould-Brahim"},
    )
    double = await register(portal, CAP, pupil={"first_name": "Léa", "last_name": "Moreau-Diallo"})
    await register(portal, BAC_PRO, pupil=double["pupil"], origin_opinion="assez_favorable")
    # Declared after both registrations, so the two-formation pupil is booked with both formations at once.
    await send(
        portal,
        "declare_interview_slots",
        slots_body(RECEPTION, DOMAIN, (start_at.isoformat(), 6), place="Atelier bois, bâtiment A"),
    )
    interviews = [await portal.wait_for(booked(p["pupil"]["ine"], DOMAIN), timeout=30) for p in (single, double)]
    convocations = [(await mails(sink, about(p, "Convocation Passpro")))[0] for p in (single, double)]
    return {
        "single": single,
        "double": double,
        "interviews": interviews,
        "convocations": convocations,
        "start": start_at,
    }


@pytest.fixture(scope="module")
async def partial_withdrawal(portal: PortalClient, timeline: dict[str, Any]) -> dict[str, Any]:
    """The two-formation pupil renounces one of them after its convocation went out."""
    pupil = timeline["double"]
    command_id = str(uuid.uuid4())
    event = await send(
        portal,
        "withdraw_candidacy",
        {
            "command_id": command_id,
            "campaign": "2013",
            "actor_uai": pupil["origin_uai"],
            "ine": pupil["pupil"]["ine"],
            "formation_code": BAC_PRO,
        },
    )
    assert event["_routing_key"] == "enrollment.candidacy_withdrawn" and event["remaining_in_domain"] == 1, event
    return event


async def test_r19_r21_the_convocation_names_the_referent_and_the_origin_school_and_what_an_absence_costs(
    timeline: dict[str, Any],
) -> None:
    pupil, mail = timeline["single"], timeline["convocations"][0]

    body = text(mail)
    sheet = pdf(mail, "convocation.pdf")

    assert str(mail["To"]) == f"ce.{ORIGIN.lower()}@ac-creteil.fr, {pupil['referent']['email']}"
    for document in (body, sheet):
        assert "M. Kaci Benali" in document
        assert ORIGIN_LABEL in document
        assert RECEPTION_LABEL in document
        assert "Si l'élève ne peut pas venir, merci de prévenir au plus tôt son établissement d'origine" in document
        assert "peut demander un nouvel entretien" in document and "17/04/2013" in document
        assert "ni avis final ni bonus Passpro dans Affelnet" in document


async def test_r19_the_calendar_request_has_organizer_attendee_and_the_booking_instant_as_stamp(
    timeline: dict[str, Any],
) -> None:
    pupil, interview, mail = timeline["single"], timeline["interviews"][0], timeline["convocations"][0]

    calendar, event = calendar_event(mail)

    booked_at = datetime.fromisoformat(interview["occurred_at"]).astimezone(UTC).replace(microsecond=0)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["ORGANIZER"]) == f"mailto:ce.{RECEPTION.lower()}@ac-creteil.fr"
    assert str(event["ATTENDEE"]) == f"mailto:{pupil['referent']['email']}"
    assert event["ATTENDEE"].params["CN"] == "M. Kaci Benali"
    assert event["ATTENDEE"].params["ROLE"] == "REQ-PARTICIPANT"
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert event.decoded("DTSTAMP") == booked_at, "when the booking was made, on the campaign's clock"
    assert event.decoded("DTSTAMP") != event.decoded("DTSTART")
    assert str(event["UID"]).startswith(interview["interview_id"])


async def test_r20_a_partial_withdrawal_sends_one_corrected_convocation_with_the_remaining_formation(
    stack: ServiceStack,
    portal: PortalClient,
    sink: MailSink,
    timeline: dict[str, Any],
    partial_withdrawal: dict[str, Any],
) -> None:
    pupil, first = timeline["double"], timeline["convocations"][1]
    interview_id = timeline["interviews"][1]["interview_id"]
    assert BAC_PRO_LABEL in text(first) and "2 lettres de motivation" in text(first)
    where = {"queue": "notifications.events", "routing_key": "enrollment.candidacy_withdrawn", "outcome": "handled"}

    [corrected] = await mails(sink, about(pupil, "Convocation Passpro (modifiée)"))
    handled = stack.counted("notifications", **where)
    await publish_again(partial_withdrawal)  # the same withdrawal delivered again, under a new message id
    # Handled, and the correction it could have asked for again is the one already sent, the only one.
    await stack.wait_counted("notifications", **where, at_least=handled + 1)
    await mail_rows([f"convocation:{interview_id}:1", f"convocation:{interview_id}:2"], all_sent(1))

    body = text(corrected)
    _, before = calendar_event(first)
    calendar, after = calendar_event(corrected)
    assert len(await mails(sink, about(pupil, "Convocation Passpro (modifiée)"), timeout=0)) == 1
    assert await mails(sink, about(pupil, "Annulation Passpro"), timeout=0) == []
    assert "Cette convocation remplace la précédente" in body
    assert f"- {CAP_LABEL}" in body and BAC_PRO_LABEL not in body
    assert "soit 1 lettre de motivation." in body
    assert BAC_PRO_LABEL not in pdf(corrected, "convocation.pdf")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("DTSTART") == before.decoded("DTSTART")
    withdrawn_at = datetime.fromisoformat(partial_withdrawal["occurred_at"]).astimezone(UTC).replace(microsecond=0)
    assert after.decoded("DTSTAMP") == withdrawn_at


async def test_r26_r28_the_recap_keeps_the_withdrawn_candidacy_and_says_what_comes_next(
    portal: PortalClient,
    sink: MailSink,
    clock: Clock,
    timeline: dict[str, Any],
    partial_withdrawal: dict[str, Any],
) -> None:
    pupil, interview = timeline["double"], timeline["interviews"][1]
    await clock.at_least((timeline["start"] + timedelta(hours=2)).isoformat())
    reported = await send(
        portal,
        "submit_interview_report",
        {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": RECEPTION,
            "interview_id": interview["interview_id"],
            "attended": True,
            "report": "Projet réfléchi, bon dossier.",
            "opinions": [{"formation_code": CAP, "opinion": "favorable"}],
        },
    )
    assert reported["_routing_key"] == "opinions.interview_reported", reported

    [mail] = await mails(sink, about(pupil, "Fiche récapitulative Passpro"))

    body, sheet = text(mail), pdf(mail, "fiche-recapitulative.pdf")
    when = datetime.fromisoformat(interview["starts_at"]).astimezone(ZoneInfo("Europe/Paris"))
    assert (
        f"{CAP_LABEL} Avis du collège d'origine : Favorable Avis du lycée d'accueil : Favorable "
        "Avis final : Très favorable" in body
    )
    assert (
        f"{BAC_PRO_LABEL} (candidature retirée) Avis du collège d'origine : Assez favorable "
        "Avis du lycée d'accueil : - Avis final : Aucun, pas de bonus" in body
    )
    for document in (body, sheet):
        assert "(candidature retirée)" in document and "Aucun, pas de bonus" in document
        assert RECEPTION_LABEL in document
        assert when.strftime("%d/%m/%Y à %Hh%M") in document
        assert "du 13/05/2013 au 31/05/2013 inclus" in document
        assert "au plus tard le 17/05/2013" in document
        assert "La famille confirme le choix de chaque formation" in document
        assert "Aucun domaine" not in document


async def publish_again(event: dict[str, Any]) -> None:
    """Publishes ``event`` again as enrollment would, with a new event id (a duplicate the inbox cannot spot)."""
    again = {key: value for key, value in event.items() if not key.startswith("_")} | {"event_id": str(uuid.uuid4())}
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("passpro.events", ensure=False)
        await exchange.publish(
            aio_pika.Message(
                json.dumps(again).encode(),
                message_id=again["event_id"],
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                user_id="passpro-admin",
            ),
            routing_key="enrollment.candidacy_withdrawn",
        )
