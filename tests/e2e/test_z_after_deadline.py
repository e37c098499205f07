"""R6, R9 after the registration deadline (after the earlier files: the clock only moves forward)."""

from __future__ import annotations

from harness.portal import PortalClient
from tests.e2e.conftest import Clock, register_body


async def test_r6_after_the_deadline_new_registrations_are_closed_but_opinions_can_still_be_updated(
    portal: PortalClient, clock: Clock
) -> None:
    await clock.at_least("2013-03-30T08:00:00+01:00")
    late = register_body()
    # Registered on 11 February by the scheduling tests, never interviewed.
    update = register_body(pupil={"ine": "0000000002L"}, formation_code="cap-cuisine", origin_opinion="assez_favorable")

    await portal.send("register_candidacy", late)
    await portal.send("register_candidacy", update)
    closed = await portal.outcome(late["command_id"])
    updated = await portal.outcome(update["command_id"])

    assert closed["reason"] == "registration_closed" and "29/03/2013" in closed["message"]
    assert updated["_routing_key"] == "enrollment.candidacy_registered" and updated["revision"] == 2


async def test_r9_once_the_booked_interview_has_taken_place_the_origin_opinion_is_locked(
    portal: PortalClient, clock: Clock
) -> None:
    await clock.at_least("2013-03-30T08:00:00+01:00")  # the 20 March interview is past
    changed = register_body(
        pupil={"ine": "0000000001L"},
        formation_code="2nde-pro-agri-service-personnes-territoires",
        origin_opinion="reserve",
    )

    await portal.send("register_candidacy", changed)
    event = await portal.outcome(changed["command_id"])

    assert event["reason"] == "opinion_locked"
