"""Every school is reachable, end to end: mails go to the directory's mailbox or the one the SAIO form gave (R19, R26).

Schools without portal access register through the SAIO form (R12); they have no académie mailbox
ce.<uai>@…, so the form gives one, unless the campaign's schools directory already does.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest

from harness.mail_sink import MailSink
from harness.portal import PortalClient
from tests.e2e.conftest import OPEN, Clock, SmtpServer, register_body
from tests.e2e.test_scheduling import booked, send, slots_body
from tests.e2e.test_yzz_notifications import about, mails

pytestmark = pytest.mark.e2e
DOMAIN, RECEPTION, FORMATION = "ebenisterie", "0931024H", "cap-ebeniste"
PARIS_COLLEGE = "0750654D"
"""Outside the académie and outside the bundled directory: it must give its mailbox on the form."""
GIVEN_MAILBOX = "secretariat.college-paris@example.org"
CFA = "0932045T"
CFA_MAILBOX = "secretariat.cfa-hotellerie@example.org"
"""The CFA's mailbox in the bundled campaign file's directory."""


@pytest.fixture(scope="module")
def sink(smtp: SmtpServer) -> MailSink:
    return smtp.sink


def saio_form(origin: str, last_name: str, **overrides: Any) -> dict[str, Any]:
    return register_body(
        origin_uai=origin,
        actor_uai=origin,
        channel="saio_form",
        formation_code=FORMATION,
        pupil={"last_name": last_name},
        **overrides,
    )


async def test_r19_a_saio_form_registration_without_a_mailbox_for_the_school_is_rejected_naming_the_field(
    portal: PortalClient, clock: Clock
) -> None:
    await clock.at_least(OPEN)
    body = saio_form(PARIS_COLLEGE, "Sans-Adresse")

    event = await send(portal, "register_candidacy", body)
    await asyncio.sleep(1)  # time enough for a second answer or an event, if one were ever sent

    assert event["_routing_key"] == "enrollment.command_rejected"
    assert event["reason"] == "invalid"
    assert [e["field"] for e in event["errors"]] == ["origin_mailbox"]
    assert "formulaire du SAIO" in event["message"] and "adresse électronique" in event["message"]
    assert len(portal.caused_by(body["command_id"])) == 1
    again = {**body, "command_id": str(uuid.uuid4()), "origin_mailbox": GIVEN_MAILBOX}
    accepted = await send(portal, "register_candidacy", again)
    assert accepted["_routing_key"] == "enrollment.candidacy_registered"
    assert accepted["revision"] == 1  # the rejected registration recorded nothing
    assert accepted["origin_mailbox"] == GIVEN_MAILBOX


async def registered(portal: PortalClient, body: dict[str, Any]) -> dict[str, Any]:
    event = await send(portal, "register_candidacy", body)
    assert event["_routing_key"] == "enrollment.candidacy_registered", event
    return body


@pytest.fixture(scope="module")
async def convoked(portal: PortalClient, clock: Clock) -> dict[str, Any]:
    """A Paris collège's pupil (mailbox given on the form) and a CFA's (mailbox in the directory), booked."""
    await clock.at_least(OPEN)
    start_at = (clock.at + timedelta(days=7)).replace(hour=14, minute=0, second=0, microsecond=0)
    await send(
        portal,
        "declare_interview_slots",
        slots_body(RECEPTION, DOMAIN, (start_at.isoformat(), 4), place="Atelier d'ébénisterie"),
    )
    paris = await registered(portal, saio_form(PARIS_COLLEGE, "Morel-Paris", origin_mailbox=GIVEN_MAILBOX))
    cfa = await registered(portal, saio_form(CFA, "Benali-Apprenti"))  # the directory knows its mailbox
    interviews = {
        name: await portal.wait_for(booked(pupil["pupil"]["ine"], DOMAIN), timeout=30)
        for name, pupil in (("paris", paris), ("cfa", cfa))
    }
    return {"paris": paris, "cfa": cfa, "interviews": interviews, "start": start_at}


async def test_r19_the_convocation_of_a_saio_form_pupil_goes_to_the_mailbox_the_form_gave(
    portal: PortalClient, sink: MailSink, convoked: dict[str, Any]
) -> None:
    pupil, interview = convoked["paris"], convoked["interviews"]["paris"]

    [mail] = await mails(sink, about(pupil, "Convocation Passpro"))
    sent = await portal.wait_for(
        lambda e: (
            e["_routing_key"] == "notifications.convocation_sent" and e["interview_id"] == interview["interview_id"]
        ),
        timeout=60,
    )

    assert set(sent["recipients"]) == {GIVEN_MAILBOX, pupil["referent"]["email"]}
    assert GIVEN_MAILBOX in str(mail["To"]) and "ce.0750654d@" not in str(mail["To"])


async def test_r19_r26_a_directory_school_with_a_mailbox_gets_the_convocation_and_the_recap_there(
    portal: PortalClient, sink: MailSink, clock: Clock, convoked: dict[str, Any]
) -> None:
    pupil, interview = convoked["cfa"], convoked["interviews"]["cfa"]
    [convocation] = await mails(sink, about(pupil, "Convocation Passpro"))
    await clock.at_least((convoked["start"] + timedelta(hours=1)).isoformat())

    reported = await send(
        portal,
        "submit_interview_report",
        {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": RECEPTION,
            "interview_id": interview["interview_id"],
            "attended": True,
            "report": "Projet d'apprentissage réfléchi.",
            "opinions": [{"formation_code": FORMATION, "opinion": "favorable"}],
        },
    )
    [recap] = await mails(sink, about(pupil, "Fiche récapitulative Passpro"))
    sent = await portal.wait_for(
        lambda e: e["_routing_key"] == "notifications.recap_sent" and e["ine"] == pupil["pupil"]["ine"], timeout=60
    )

    assert reported["_routing_key"].startswith("opinions.") and "rejected" not in reported["_routing_key"]
    assert CFA_MAILBOX in str(convocation["To"]) and "ce.0932045t@" not in str(convocation["To"])
    assert sent["recipients"] == [CFA_MAILBOX]
    assert str(recap["To"]) == CFA_MAILBOX
    assert f"CFA des métiers de l'hôtellerie de Saint-Denis (UAI {CFA})" in recap.get_body(("plain",)).get_content()
