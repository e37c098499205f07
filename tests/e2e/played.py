"""A small campaign an e2e file plays on its own stack before it checks a campaign's figures, purges it or
scans its logs.

One pupil of 0930122C registered in animal production (R2–R8), booked at a reception school (R13–R18),
convoked (R19), reported on (R21, R24), recapped (R26), the wish confirmed (R27–R28) and the bonus
delivered to Affelnet (R29–R30): every service has its part, so those files have something to work on
without depending on another file's data.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from harness.portal import PortalClient
from tests.e2e.conftest import OPEN, Clock, register_body

FORMATION, DOMAIN, RECEPTION = "2nde-pro-agri-production-animale", "production-agricole", "0940784S"
REGISTRATION_DEADLINE = date(2013, 3, 29)


async def answer_of(portal: PortalClient, command: str, body: dict[str, Any]) -> dict[str, Any]:
    await portal.send(command, body)
    return await portal.outcome(body["command_id"], timeout=30)


def registrations_open(clock: Clock) -> bool:
    return clock.at.date() <= REGISTRATION_DEADLINE


async def play_one_pupil(portal: PortalClient, clock: Clock, *, bonus: bool = True) -> str:
    """Plays one pupil from registration to the recap sheet (and the bonus); returns the pupil's INE.

    The file's clock only moves forward: this needs registrations still open, so a file plays it first.
    """
    await clock.at_least(OPEN)
    assert registrations_open(clock), (
        "registrations are closed on this file's clock: play the pupil before moving the clock past 29 March"
    )
    start = (clock.at + timedelta(days=6)).replace(hour=10, minute=0, second=0, microsecond=0)
    declared = await answer_of(
        portal,
        "declare_interview_slots",
        {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": RECEPTION,
            "domain_code": DOMAIN,
            "place": "Bergerie du lycée",
            "slots": [{"starts_at": start.isoformat(), "duration_minutes": 30, "capacity": 1}],
        },
    )
    assert declared["_routing_key"] == "scheduling.slots_declared", declared
    body = register_body(
        formation_code=FORMATION,
        pupil={"last_name": "Confidentiel-Nguyễn", "first_name": "Anaëlle", "birth_date": "1998-11-03"},
        referent={"name": "M. Référent Privé", "email": "referent.prive@example.org"},
        origin_comment="Commentaire confidentiel : élève très motivée par l'élevage.",
    )
    registered = await answer_of(portal, "register_candidacy", body)
    assert registered["_routing_key"] == "enrollment.candidacy_registered", registered
    ine: str = body["pupil"]["ine"]
    if bonus:  # R28: a confirmation given before the final opinion counts once the opinion exists
        confirmation = {
            "campaign": "2013",
            "actor_uai": body["actor_uai"],
            "ine": ine,
            "formation_code": FORMATION,
            "family_confirmed": True,
            "wish_entered_on": "2013-05-20",
        }
        for _ in range(50):  # affelnet_export learns of the candidacy from enrollment's event
            confirmed = await answer_of(portal, "confirm_wish", {**confirmation, "command_id": str(uuid.uuid4())})
            if confirmed.get("reason") != "unknown_candidacy":
                break
        assert confirmed["_routing_key"] == "affelnet_export.wish_confirmed", confirmed
    booked = await portal.wait_for(
        lambda e: e["_routing_key"] == "scheduling.interview_booked" and e["ine"] == ine, timeout=30
    )
    await portal.wait_for(
        lambda e: e["_routing_key"] == "notifications.convocation_sent" and e["interview_id"] == booked["interview_id"],
        timeout=60,
    )
    await clock.at_least((datetime.fromisoformat(booked["starts_at"]) + timedelta(hours=1)).isoformat())
    report = {
        "campaign": "2013",
        "actor_uai": booked["reception_uai"],
        "interview_id": booked["interview_id"],
        "attended": True,
        "report": "Compte rendu confidentiel : projet solide, stage en élevage.",
        "opinions": [{"formation_code": FORMATION, "opinion": "favorable"}],
    }
    for _ in range(50):  # opinions learns of the booking from scheduling's event
        reported = await answer_of(portal, "submit_interview_report", {**report, "command_id": str(uuid.uuid4())})
        if reported["_routing_key"] == "opinions.interview_reported":
            break
    assert reported["_routing_key"] == "opinions.interview_reported", reported
    await portal.wait_for(lambda e: e["_routing_key"] == "notifications.recap_sent" and e["ine"] == ine, timeout=60)
    if bonus:
        await portal.wait_for(
            lambda e: e["_routing_key"] == "affelnet_export.bonus_exported" and e["ine"] == ine, timeout=60
        )
    return ine
