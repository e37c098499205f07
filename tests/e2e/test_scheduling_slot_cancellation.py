"""R14, R15, R18: a reception school cancels slots it declared; their pupils are booked again or wait.

Works on a campaign of its own while registrations are open, in the domain traitement-surface through the
school 0931649M.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from harness.portal import PortalClient
from tests.e2e.conftest import OPEN, Clock, register_body
from tests.e2e.test_scheduling import booked, register, send, slots_body
from tests.stack import ServiceStack

pytestmark = pytest.mark.e2e

DOMAIN, FORMATION, SCHOOL = "traitement-surface", "2nde-pro-traitement-surfaces", "0931649M"
FIRST_SLOT, SECOND_SLOT = "2013-03-14T09:00:00+01:00", "2013-03-15T09:00:00+01:00"
AFTER_PLANNING_PUPIL = "0000000003L"
"""Registered here in time; the file on the days after planning ends asks a new interview for it."""


@pytest.fixture(autouse=True)
async def registrations_open(clock: Clock) -> None:
    await clock.at_least(OPEN)


def cancel_body(actor: str, domain: str, *starts: str, reason: str = "Atelier fermé pour travaux") -> dict[str, Any]:
    return {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": actor,
        "domain_code": domain,
        "starts_at": list(starts),
        "reason": reason,
    }


def cancelled(ine: str):  # type: ignore[no-untyped-def]
    return lambda e: e["_routing_key"] == "scheduling.interview_cancelled" and e["ine"] == ine


def shortfall(portal: PortalClient, since: int, waiting: int):  # type: ignore[no-untyped-def]
    """The domain's shortfall at ``waiting``, told after the ``since``-th event (earlier files told others)."""
    return lambda e: (
        e["_routing_key"] == "scheduling.capacity_shortfall"
        and e["domain_code"] == DOMAIN
        and e["waiting_pupils"] == waiting
        and portal.events.index(e) >= since
    )


def at(instant: str):  # type: ignore[no-untyped-def]
    return lambda e: datetime.fromisoformat(e["starts_at"]) == datetime.fromisoformat(instant)


@pytest.fixture(scope="module")
async def cancellation(portal: PortalClient, clock: Clock) -> dict[str, Any]:
    """Two slots of two seats, three pupils (two in the first slot, one in the second), then the first cancelled."""
    await clock.at_least(OPEN)
    declared = await send(
        portal, "declare_interview_slots", slots_body(SCHOOL, DOMAIN, (FIRST_SLOT, 2), (SECOND_SLOT, 2))
    )
    assert declared["_routing_key"] == "scheduling.slots_declared", declared
    pupils = [(await register(portal, FORMATION))["pupil"]["ine"] for _ in range(3)]
    bookings = {ine: await portal.wait_for(booked(ine, DOMAIN)) for ine in pupils}
    in_first = [ine for ine in pupils if at(FIRST_SLOT)(bookings[ine])]
    body = cancel_body(SCHOOL, DOMAIN, FIRST_SLOT)
    since = len(portal.events)

    answer = await send(portal, "cancel_interview_slots", body)

    return {
        "pupils": pupils,
        "bookings": bookings,
        "in_first": in_first,
        "body": body,
        "answer": answer,
        "since": since,
    }


async def test_r14_cancelled_slots_are_told_with_the_figures_of_what_moved(cancellation: dict[str, Any]) -> None:
    answer = cancellation["answer"]

    assert cancellation["in_first"] == cancellation["pupils"][:2], "the two oldest took the earliest seats"
    assert answer["_routing_key"] == "scheduling.slots_cancelled", answer
    assert answer["reception_uai"] == SCHOOL and answer["domain_code"] == DOMAIN
    assert answer["slots_cancelled"] == 1
    assert answer["interviews_moved"] == len(cancellation["in_first"])


async def test_r15_r18_the_oldest_moved_pupil_takes_the_next_fitting_seat_and_the_other_waits(
    portal: PortalClient, cancellation: dict[str, Any]
) -> None:
    oldest, younger = cancellation["in_first"]
    cancellations = [await portal.wait_for(cancelled(ine)) for ine in (oldest, younger)]
    rebooked = await portal.wait_for(
        lambda e: booked(oldest, DOMAIN)(e) and e["interview_id"] != cancellation["bookings"][oldest]["interview_id"]
    )
    waiting = await portal.wait_for(shortfall(portal, cancellation["since"], 1), timeout=20)

    assert [c["reason"] for c in cancellations] == ["slot_cancelled", "slot_cancelled"]
    assert [c["interview_id"] for c in cancellations] == [
        cancellation["bookings"][i]["interview_id"] for i in (oldest, younger)
    ]
    assert all(c["causation_id"] == cancellation["body"]["command_id"] for c in cancellations)
    assert at(SECOND_SLOT)(rebooked) and rebooked["reception_uai"] == SCHOOL
    assert waiting["waiting_pupils"] == 1
    assert not [
        e
        for e in portal.events
        if booked(younger, DOMAIN)(e) and e["interview_id"] != cancellation["bookings"][younger]["interview_id"]
    ]


async def test_a_cancellation_published_again_has_no_second_effect(
    stack: ServiceStack, portal: PortalClient, cancellation: dict[str, Any]
) -> None:
    body = cancellation["body"]
    seen = {"queue": "scheduling.commands", "routing_key": "cancel_interview_slots", "outcome": "duplicate"}
    before = stack.counted("scheduling", **seen)

    await portal.send("cancel_interview_slots", body)
    # Scheduling has found it in its inbox: whatever it was going to publish about it, it has published.
    await stack.wait_counted("scheduling", **seen, at_least=before + 1)

    assert (
        len(
            [
                e
                for e in portal.events
                if e["_routing_key"] == "scheduling.slots_cancelled" and str(e["causation_id"]) == body["command_id"]
            ]
        )
        == 1
    )


async def test_r14_a_cancelled_slot_declared_again_opens_again_for_the_pupil_who_waits(
    portal: PortalClient, cancellation: dict[str, Any]
) -> None:
    _, younger = cancellation["in_first"]
    await portal.wait_for(shortfall(portal, cancellation["since"], 1), timeout=20)
    since = len(portal.events)

    again = await send(portal, "declare_interview_slots", slots_body(SCHOOL, DOMAIN, (FIRST_SLOT, 1)))
    seat = await portal.wait_for(
        lambda e: booked(younger, DOMAIN)(e) and e["interview_id"] != cancellation["bookings"][younger]["interview_id"]
    )
    resolved = await portal.wait_for(shortfall(portal, since, 0), timeout=20)

    assert again["_routing_key"] == "scheduling.slots_declared" and again["slots_added"] == 1
    assert at(FIRST_SLOT)(seat)
    assert resolved["waiting_pupils"] == 0


async def test_cancellations_a_school_may_not_make_are_rejected_with_their_reason(portal: PortalClient) -> None:
    cases = [
        (cancel_body(SCHOOL, "traitement-surfaces", SECOND_SLOT), "unknown_domain"),
        (cancel_body("0771642S", DOMAIN, "2013-03-28T09:00:00+01:00"), "unknown_slot"),
        (cancel_body("0940115P", DOMAIN, SECOND_SLOT), "unauthorized"),
        (cancel_body(SCHOOL, DOMAIN), "invalid"),
    ]
    for body, reason in cases:
        event = await send(portal, "cancel_interview_slots", body)

        assert event["_routing_key"] == "scheduling.command_rejected", (reason, event)
        assert event["reason"] == reason and event["message"]


async def test_r14_one_unknown_instant_cancels_nothing(portal: PortalClient) -> None:
    kept = "2013-03-21T14:00:00+01:00"
    await send(portal, "declare_interview_slots", slots_body(SCHOOL, DOMAIN, (kept, 1)))
    body = cancel_body(SCHOOL, DOMAIN, kept, "2013-03-21T15:00:00+01:00")

    refused = await send(portal, "cancel_interview_slots", body)
    pupil = await register(portal, FORMATION)
    seat = await portal.wait_for(booked(pupil["pupil"]["ine"], DOMAIN))

    assert refused["reason"] == "unknown_slot" and "21/03/2013 à 15h00" in refused["message"]
    assert [e["field"] for e in refused["errors"]] == ["starts_at.1"]
    assert at(kept)(seat), "the slot named beside the unknown instant is still open"


async def test_r21_the_pupil_asked_for_after_planning_ends_is_registered_in_time(portal: PortalClient) -> None:
    event = await send(
        portal, "register_candidacy", register_body(pupil={"ine": AFTER_PLANNING_PUPIL}, formation_code="cap-ebeniste")
    )

    assert event["_routing_key"] == "enrollment.candidacy_registered"
