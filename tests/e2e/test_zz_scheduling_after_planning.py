"""R14, R15, R17, R21 at the end of the campaign: planning closes after 3 April, new interviews after 12 April,
and pupils still waiting raise the alarm from 9 April (3 days before the last booking day) on.

On a campaign of its own: its pupil is registered on the opening day, then the clock moves to the end of the
campaign. Nobody declares slots in ébénisterie: its pupils wait, and are the alarm's.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from harness.portal import PortalClient
from ops.cli import app
from ops.settings import local_service_urls
from tests.e2e.conftest import OPEN, Clock, register_body
from tests.e2e.test_scheduling import send, slots_body
from tests.e2e.test_scheduling_slot_cancellation import AFTER_PLANNING_PUPIL, cancel_body
from tests.stack import HEALTH_BASE_PORT

pytestmark = pytest.mark.e2e

DOMAIN, SCHOOL = "signaletique-decor", "0940461R"
LAST_SLOT = "2013-04-16T10:00:00+02:00"
PARIS = ZoneInfo("Europe/Paris")
AT_RISK = "scheduling.interviews_at_risk"
WAITING_DOMAIN, WAITING_LABEL = "ebenisterie", "Ébénisterie"


@pytest.fixture(scope="module")
async def pupil(portal: PortalClient, clock: Clock) -> dict[str, Any]:
    await clock.at_least(OPEN)
    body = register_body(pupil={"ine": AFTER_PLANNING_PUPIL}, formation_code="cap-ebeniste")
    event = await send(portal, "register_candidacy", body)
    assert event["_routing_key"] == "enrollment.candidacy_registered", event
    return body


def ask(pupil: dict[str, Any]) -> dict[str, Any]:
    return {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": pupil["origin_uai"],
        "ine": pupil["pupil"]["ine"],
        "domain_code": "ebenisterie",
    }


async def test_r14_slots_are_declared_and_cancelled_on_the_last_planning_day(
    portal: PortalClient,
    clock: Clock,
    pupil: dict[str, Any],  # the pupil is registered before the clock moves
) -> None:
    await clock.at_least("2013-04-03T17:00:00+02:00")
    declaration = slots_body(SCHOOL, DOMAIN, (LAST_SLOT, 2))
    declared = await send(portal, "declare_interview_slots", declaration)

    cancelled = await send(portal, "cancel_interview_slots", cancel_body(SCHOOL, DOMAIN, LAST_SLOT))
    # Pupils of the domain still waiting took the seats at once (their bookings precede the cancellation).
    seated = [
        e for e in portal.caused_by(declaration["command_id"]) if e["_routing_key"] == "scheduling.interview_booked"
    ]

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


def campaign_day(event: dict[str, Any]) -> date:
    return datetime.fromisoformat(event["occurred_at"]).astimezone(PARIS).date()


def waiting_in(portal: PortalClient, domain_code: str) -> int:
    """Pupils with an active candidacy in the domain and no interview there, replayed from the services' events."""
    active: dict[tuple[str, str], bool] = {}
    booked: dict[str, str] = {}
    for e in portal.events:
        key = e["_routing_key"]
        if e["_app_id"] not in ("enrollment", "scheduling") or e.get("domain_code") != domain_code:
            continue
        if key == "enrollment.candidacy_registered":
            active[(e["ine"], e["formation_code"])] = True
        elif key == "enrollment.candidacy_withdrawn":
            active[(e["ine"], e["formation_code"])] = False
        elif key in ("scheduling.interview_booked", "scheduling.interview_cancelled"):
            booked[e["interview_id"]] = e["ine"] if key.endswith("booked") else ""
    return len({ine for (ine, _), on in active.items() if on} - set(booked.values()))


def alarm_of(day: str) -> Any:
    return lambda e: (
        e["_routing_key"] == AT_RISK
        and e["domain_code"] == WAITING_DOMAIN
        and campaign_day(e) == date.fromisoformat(day)
    )


async def ops_campaign() -> str:
    # Wide enough that rich keeps each alarm on one line.
    env = {"PASSPRO_SERVICE_URLS": json.dumps(local_service_urls(HEALTH_BASE_PORT)), "COLUMNS": "200"}
    result = await asyncio.to_thread(CliRunner().invoke, app, ["ops", "campaign"], env=env, terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


async def test_r15_r17_pupils_still_waiting_3_days_before_the_last_booking_day_raise_the_alarm(
    portal: PortalClient, clock: Clock, pupil: dict[str, Any]
) -> None:
    await clock.at_least("2013-04-09T08:00:00+02:00")

    alarm = await portal.wait_for(alarm_of("2013-04-09"), timeout=30)
    output = await ops_campaign()

    waiting = waiting_in(portal, WAITING_DOMAIN)
    assert waiting >= 1  # at least the pupil of this file
    # 17 April, the last interview day, minus the 5 days' notice.
    assert alarm["last_booking_day"] == "2013-04-12" and alarm["waiting_pupils"] == waiting, alarm
    assert not [e for e in portal.events if e["_routing_key"] == AT_RISK and campaign_day(e) < date(2013, 4, 9)]
    pupils = "1 pupil" if waiting == 1 else f"{waiting} pupils"
    assert f"Alarm: {pupils} of {WAITING_LABEL} still wait" in output
    assert "last day to book: 12/04/2013" in output


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


async def test_r15_r17_once_no_day_remains_the_alarm_says_the_pupils_can_no_longer_be_received(
    portal: PortalClient, clock: Clock, pupil: dict[str, Any]
) -> None:
    await clock.at_least("2013-04-13T08:00:00+02:00")

    alarm = await portal.wait_for(alarm_of("2013-04-13"), timeout=30)
    output = await ops_campaign()

    assert alarm["last_booking_day"] is None and alarm["waiting_pupils"] == waiting_in(portal, WAITING_DOMAIN)
    assert f"of {WAITING_LABEL} still wait" in output
    assert "no day left to book: they can no longer be received" in output


async def test_r21_after_the_interview_window_a_request_is_outside_interview_window(
    portal: PortalClient, clock: Clock, pupil: dict[str, Any]
) -> None:
    await clock.at_least("2013-04-18T08:00:00+02:00")

    event = await send(portal, "request_new_interview", ask(pupil))

    assert event["reason"] == "outside_interview_window", event


async def test_r15_the_alarm_was_raised_at_most_once_per_domain_and_campaign_day(
    portal: PortalClient, clock: Clock, pupil: dict[str, Any]
) -> None:
    await clock.at_least("2013-04-18T08:00:00+02:00")
    await portal.wait_for(alarm_of("2013-04-18"), timeout=30)

    raised = Counter(
        (e["domain_code"], campaign_day(e))
        for e in portal.events
        if e["_routing_key"] == AT_RISK and e["_app_id"] == "scheduling"
    )

    # The sweep ran every 2 s through each of these days: each domain's alarm was still told once a day.
    assert {(WAITING_DOMAIN, date(2013, 4, d)) for d in (9, 13, 18)} <= set(raised)
    assert set(raised.values()) == {1}, raised
