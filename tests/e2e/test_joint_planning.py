"""A pupil's domains planned together, end to end (R13, R15–R19): seats on one day only, morning and afternoon
in a first domain, the morning only in a second.

Each scenario has its own pair of domains in the file's own campaign; what it leaves free it cancels, and a
pupil left waiting is withdrawn, so the next scenario finds the domains as it expects.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from harness.portal import PortalClient
from tests.e2e.conftest import OPEN, Clock, SmtpServer, register_body

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
async def registrations_open(clock: Clock) -> None:
    await clock.at_least(OPEN)


async def send(portal: PortalClient, command: str, body: dict[str, Any]) -> dict[str, Any]:
    await portal.send(command, body)
    return await portal.outcome(body["command_id"])


def slots(actor: str, domain: str, *starts: datetime) -> dict[str, Any]:
    return {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": actor,
        "domain_code": domain,
        "place": "Salle 12",
        "slots": [{"starts_at": s.isoformat(), "duration_minutes": 30, "capacity": 1} for s in starts],
    }


async def one_day_of_seats(
    portal: PortalClient, clock: Clock, first: tuple[str, str], second: tuple[str, str]
) -> dict[str, datetime]:
    """Morning and afternoon in the first domain, morning only in the second, one seat each."""
    day = (clock.at + timedelta(days=8)).replace(hour=0, minute=0, second=0, microsecond=0)
    at = {"first_am": day.replace(hour=9), "first_pm": day.replace(hour=14), "second_am": day.replace(hour=10)}
    for (school, domain), starts in ((first, [at["first_am"], at["first_pm"]]), (second, [at["second_am"]])):
        declared = await send(portal, "declare_interview_slots", slots(school, domain, *starts))
        assert declared["_routing_key"] == "scheduling.slots_declared", declared
    return at


async def cancellation_mail(smtp: SmtpServer, last_name: str, timeout: float = 60) -> EmailMessage | None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for mail in smtp.sink.received():
            if (
                str(mail["Subject"]).startswith("Annulation Passpro")
                and last_name in mail.get_body(("plain",)).get_content()
            ):
                return mail
        await asyncio.sleep(0.2)
    return None


async def register(portal: PortalClient, formation: str, pupil: dict[str, Any]) -> None:
    event = await send(portal, "register_candidacy", register_body(formation_code=formation, pupil=pupil))
    assert event["_routing_key"] == "enrollment.candidacy_registered", event


def about(ine: str, key: str, domain: str | None = None):  # type: ignore[no-untyped-def]
    return lambda e: (
        e["_routing_key"] == f"scheduling.{key}"
        and e.get("ine") == ine
        and (domain is None or e["domain_code"] == domain)
    )


def convoked(interview_id: str):  # type: ignore[no-untyped-def]
    return lambda e: e["_routing_key"] == "notifications.convocation_sent" and e["interview_id"] == interview_id


async def cancel_free(portal: PortalClient, school: str, domain: str, *starts: datetime) -> None:
    body = {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": school,
        "domain_code": domain,
        "starts_at": [s.isoformat() for s in starts],
        "reason": "Créneau non utilisé",
    }
    assert (await send(portal, "cancel_interview_slots", body))["interviews_moved"] == 0


def hour(event: dict[str, Any]) -> int:
    return datetime.fromisoformat(event["starts_at"]).hour


PHOTO = ("0931238R", "photographie")
CERAMIQUE = ("0940348T", "ceramique-staff")


async def test_r15_candidacies_sent_together_get_two_convocations_and_no_cancellation(
    portal: PortalClient, clock: Clock
) -> None:
    at = await one_day_of_seats(portal, clock, PHOTO, CERAMIQUE)
    pupil = {"ine": f"{uuid.uuid4().int % 10**10:010d}X", "last_name": "Aubertin"}

    await register(portal, "2nde-pro-photographie", pupil)
    await register(portal, "cap-metiers-ceramique", pupil)
    first = await portal.wait_for(about(pupil["ine"], "interview_booked", PHOTO[1]))
    second = await portal.wait_for(about(pupil["ine"], "interview_booked", CERAMIQUE[1]))
    await portal.wait_for(convoked(first["interview_id"]), timeout=60)
    await portal.wait_for(convoked(second["interview_id"]), timeout=60)

    assert (hour(first), hour(second)) == (14, 10)
    assert not [e for e in portal.events if about(pupil["ine"], "interview_cancelled")(e)]
    await cancel_free(portal, *PHOTO, at["first_am"])


METALLERIE = ("0930830X", "metallerie")
MODE = ("0931311V", "mode-vetement-maroquinerie")


async def test_r15_a_candidacy_sent_later_moves_the_first_interview_and_the_pupil_never_waits(
    portal: PortalClient, clock: Clock, smtp: SmtpServer
) -> None:
    at = await one_day_of_seats(portal, clock, METALLERIE, MODE)
    pupil = {"ine": f"{uuid.uuid4().int % 10**10:010d}X", "last_name": "Bréval"}
    since = len(portal.events)

    await register(portal, "cap-serrurier-metallier", pupil)
    morning = await portal.wait_for(about(pupil["ine"], "interview_booked", METALLERIE[1]))
    await register(portal, "cap-mode-vetement-flou", pupil)
    cancelled = await portal.wait_for(about(pupil["ine"], "interview_cancelled", METALLERIE[1]))
    moved = await portal.wait_for(
        lambda e: (
            about(pupil["ine"], "interview_booked", METALLERIE[1])(e) and e["interview_id"] != morning["interview_id"]
        )
    )
    second = await portal.wait_for(about(pupil["ine"], "interview_booked", MODE[1]))
    for interview in (morning, moved, second):
        await portal.wait_for(convoked(interview["interview_id"]), timeout=60)
    mailed = await cancellation_mail(smtp, "Bréval")

    assert hour(morning) == 9
    assert (cancelled["interview_id"], cancelled["reason"]) == (morning["interview_id"], "rescheduled")
    assert (hour(moved), hour(second)) == (14, 10)
    later = portal.events[since:]
    assert later.index(cancelled) < later.index(moved)
    assert mailed is not None and "déplacé" in mailed.get_body(("plain",)).get_content()
    assert not [
        e
        for e in later
        if e["_routing_key"] == "scheduling.capacity_shortfall"
        and e["domain_code"] == MODE[1]
        and e["waiting_pupils"] > 0
    ]
    await cancel_free(portal, *METALLERIE, at["first_am"])


AGRICOLE = ("0771455N", "production-agricole")
HYGIENE = ("0931587V", "hygiene-environnement")


async def test_r15_a_pupil_with_no_plan_of_both_domains_waits_with_a_shortfall(
    portal: PortalClient, clock: Clock
) -> None:
    day = (clock.at + timedelta(days=8)).replace(hour=0, minute=0, second=0, microsecond=0)
    only_morning, other_morning = day.replace(hour=9), day.replace(hour=10)
    await send(portal, "declare_interview_slots", slots(*AGRICOLE, only_morning))
    await send(portal, "declare_interview_slots", slots(*HYGIENE, other_morning))
    pupil = {"ine": f"{uuid.uuid4().int % 10**10:010d}X", "last_name": "Caradec"}

    await register(portal, "2nde-pro-agri-production-animale", pupil)
    await register(portal, "cap-maintenance-hygiene-locaux", pupil)
    first = await portal.wait_for(about(pupil["ine"], "interview_booked", AGRICOLE[1]))
    shortfall = await portal.wait_for(
        lambda e: (
            e["_routing_key"] == "scheduling.capacity_shortfall"
            and e["domain_code"] == HYGIENE[1]
            and e["waiting_pupils"] >= 1
        ),
        timeout=20,
    )

    assert hour(first) == 9
    assert shortfall["first_possible_on"]
    assert not [e for e in portal.events if about(pupil["ine"], "interview_booked", HYGIENE[1])(e)]
    assert not [e for e in portal.events if about(pupil["ine"], "interview_cancelled")(e)]
    withdraw = {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": "0930122C",
        "ine": pupil["ine"],
        "formation_code": "cap-maintenance-hygiene-locaux",
    }
    await send(portal, "withdraw_candidacy", withdraw)
    await cancel_free(portal, *HYGIENE, other_morning)
