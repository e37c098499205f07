"""R14, R17, R21 at the end of the campaign: planning closes after 3 April, new interviews after 12 April.

Runs after the files that need earlier days (name order: the clock only moves forward) and before the
purge. Its pupil was registered in time by test_scheduling_slot_cancellation; run alone, this file
registers it itself (an identical registration after the deadline is an accepted no-op, R9).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from deploy.portal import PortalClient
from tests.e2e.conftest import OPEN, Clock, register_body
from tests.e2e.test_scheduling import send, slots_body
from tests.e2e.test_scheduling_slot_cancellation import AFTER_PLANNING_PUPIL, cancel_body

pytestmark = pytest.mark.e2e

DOMAIN, SCHOOL = "signaletique-decor", "0940461R"
LAST_SLOT = "2013-04-16T10:00:00+02:00"


@pytest.fixture(scope="module")
async def pupil(portal: PortalClient, clock: Clock) -> dict[str, Any]:
    await clock.at_least(OPEN)
    body = register_body(pupil={"ine": AFTER_PLANNING_PUPIL}, formation_code="cap-ebeniste")
    event = await send(portal, "register_candidacy", body)
    assert event["_routing_key"] == "enrollment.candidacy_registered", event
    return body


def ask(pupil: dict[str, Any]) -> dict[str, Any]:
    return {"command_id": str(uuid.uuid4()), "campaign": "2013", "actor_uai": pupil["origin_uai"],
            "ine": pupil["pupil"]["ine"], "domain_code": "ebenisterie"}


async def test_r14_slots_are_declared_and_cancelled_on_the_last_planning_day(
    portal: PortalClient, clock: Clock, pupil: dict[str, Any]  # the pupil is registered before the clock moves
) -> None:
    await clock.at_least("2013-04-03T17:00:00+02:00")
    declaration = slots_body(SCHOOL, DOMAIN, (LAST_SLOT, 2))
    declared = await send(portal, "declare_interview_slots", declaration)

    cancelled = await send(portal, "cancel_interview_slots", cancel_body(SCHOOL, DOMAIN, LAST_SLOT))
    # Pupils of the domain still waiting took the seats at once (their bookings precede the cancellation).
    seated = [e for e in portal.caused_by(declaration["command_id"])
              if e["_routing_key"] == "scheduling.interview_booked"]

    assert declared["_routing_key"] == "scheduling.slots_declared" and declared["slots_added"] == 1
    assert cancelled["_routing_key"] == "scheduling.slots_cancelled", cancelled
    assert cancelled["slots_cancelled"] == 1 and cancelled["interviews_moved"] == len(seated)


async def test_r14_after_planning_ends_on_slots_are_neither_declared_nor_cancelled(
    portal: PortalClient, clock: Clock
) -> None:
    await clock.at_least("2013-04-04T08:00:00+02:00")

    declared = await send(portal, "declare_interview_slots", slots_body(SCHOOL, DOMAIN, (LAST_SLOT, 2)))
    cancelled = await send(portal, "cancel_interview_slots", cancel_body(SCHOOL, DOMAIN, LAST_SLOT))

    for event in (declared, cancelled):
        assert event["_routing_key"] == "scheduling.command_rejected", event
        assert event["reason"] == "outside_planning_window" and "03/04/2013" in event["message"]


async def test_r17_a_new_interview_may_be_asked_while_the_last_day_is_the_notice_period_ahead(
    portal: PortalClient, clock: Clock, pupil: dict[str, Any]
) -> None:
    await clock.at_least("2013-04-12T08:00:00+02:00")

    event = await send(portal, "request_new_interview", ask(pupil))

    # The calendar lets it through; the pupil missed no interview, which is what is answered.
    assert event["reason"] == "unknown_interview", event


async def test_r17_r21_a_new_interview_is_no_longer_possible_when_no_day_is_far_enough_ahead(
    portal: PortalClient, clock: Clock, pupil: dict[str, Any]
) -> None:
    await clock.at_least("2013-04-13T08:00:00+02:00")

    event = await send(portal, "request_new_interview", ask(pupil))

    assert event["_routing_key"] == "scheduling.command_rejected", event
    assert event["reason"] == "no_interview_possible" and "17/04/2013" in event["message"]


async def test_r21_after_the_interview_window_a_request_is_outside_interview_window(
    portal: PortalClient, clock: Clock, pupil: dict[str, Any]
) -> None:
    await clock.at_least("2013-04-18T08:00:00+02:00")

    event = await send(portal, "request_new_interview", ask(pupil))

    assert event["reason"] == "outside_interview_window", event
