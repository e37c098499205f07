"""R6, R9 after the registration deadline: new registrations are closed, an origin opinion can still be updated,
until the pupil's interview has taken place.

The file's own campaign: two pupils registered on the opening day, one of them booked on 20 March, then the
clock moved past the deadline (29 March).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from harness.portal import PortalClient
from tests.e2e.conftest import OPEN, Clock, register_body

pytestmark = pytest.mark.e2e

AFTER_THE_DEADLINE = "2013-03-30T08:00:00+01:00"
FORMATION, DOMAIN, RECEPTION = "2nde-pro-agri-production-animale", "production-agricole", "0940784S"


@dataclass(frozen=True)
class Registered:
    never_interviewed: dict[str, Any]
    interviewed: dict[str, Any]


async def _answer(portal: PortalClient, command: str, body: dict[str, Any]) -> dict[str, Any]:
    await portal.send(command, body)
    return await portal.outcome(body["command_id"], timeout=30)


@pytest.fixture(scope="module")
async def registered(portal: PortalClient, clock: Clock) -> Registered:
    await clock.at_least(OPEN)
    declared = await _answer(
        portal,
        "declare_interview_slots",
        {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": RECEPTION,
            "domain_code": DOMAIN,
            "place": "Salle des projets",
            "slots": [{"starts_at": "2013-03-20T10:00:00+01:00", "duration_minutes": 30, "capacity": 1}],
        },
    )
    assert declared["_routing_key"] == "scheduling.slots_declared", declared
    never = register_body(formation_code="cap-cuisine", origin_opinion="favorable")
    interviewed = register_body(formation_code=FORMATION, origin_opinion="favorable")
    for body in (never, interviewed):
        answer = await _answer(portal, "register_candidacy", body)
        assert answer["_routing_key"] == "enrollment.candidacy_registered", answer
    ine = interviewed["pupil"]["ine"]
    booked = await portal.wait_for(
        lambda e: e["_routing_key"] == "scheduling.interview_booked" and e["ine"] == ine, timeout=30
    )
    assert booked["starts_at"].startswith("2013-03-20T")
    await clock.at_least(AFTER_THE_DEADLINE)  # the 20 March interview is past
    return Registered(never, interviewed)


async def test_r6_after_the_deadline_new_registrations_are_closed_but_opinions_can_still_be_updated(
    portal: PortalClient, registered: Registered
) -> None:
    late = register_body()
    update = {
        **registered.never_interviewed,
        "command_id": str(uuid.uuid4()),
        "origin_opinion": "assez_favorable",
    }

    closed = await _answer(portal, "register_candidacy", late)
    updated = await _answer(portal, "register_candidacy", update)

    assert closed["reason"] == "registration_closed" and "29/03/2013" in closed["message"]
    assert updated["_routing_key"] == "enrollment.candidacy_registered" and updated["revision"] == 2


async def test_r9_once_the_booked_interview_has_taken_place_the_origin_opinion_is_locked(
    portal: PortalClient, registered: Registered
) -> None:
    changed = {**registered.interviewed, "command_id": str(uuid.uuid4()), "origin_opinion": "reserve"}

    event = await _answer(portal, "register_candidacy", changed)

    assert event["reason"] == "opinion_locked"
