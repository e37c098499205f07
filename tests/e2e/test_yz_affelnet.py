"""affelnet_export end to end: bonuses reach a real HTTP server standing in for Affelnet, once (R27–R30)."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harness.affelnet_receiver import AffelnetReceiver, Scripted
from harness.portal import PortalClient
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.conftest import OPEN, Clock
from tests.e2e.test_scheduling import booked, register, send, slots_body
from tests.stack import ROOT, ServiceStack

pytestmark = pytest.mark.e2e
FORMATION = "2nde-pro-photographie"
PUPILS = 7


def key(pupil: dict[str, Any]) -> str:
    return f"passpro-2013-{pupil['pupil']['ine']}-{FORMATION}"


def confirm(pupil: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": pupil["origin_uai"],
        "ine": pupil["pupil"]["ine"],
        "formation_code": FORMATION,
        "family_confirmed": True,
        "wish_entered_on": "2013-05-20",
        **fields,
    }


def exported(pupil: dict[str, Any]):  # type: ignore[no-untyped-def]
    return lambda e: e["_routing_key"] == "affelnet_export.bonus_exported" and e["ine"] == pupil["pupil"]["ine"]


@pytest.fixture(scope="module")
async def pupils(portal: PortalClient, clock: Clock) -> list[dict[str, Any]]:
    """Pupils with a final opinion très favorable in photography; the second confirmed before it existed."""
    await clock.at_least(OPEN)
    start = (clock.at + timedelta(days=6)).replace(hour=9, minute=0, second=0, microsecond=0)
    await send(portal, "declare_interview_slots", slots_body("0931238R", "photographie", (start.isoformat(), PUPILS)))
    registered = [await register(portal, FORMATION, origin_opinion="favorable") for _ in range(PUPILS)]
    interviews = [await portal.wait_for(booked(p["pupil"]["ine"])) for p in registered]
    early = await send(portal, "confirm_wish", confirm(registered[1]))
    assert early["_routing_key"] == "affelnet_export.wish_confirmed"
    await clock.at_least((datetime.fromisoformat(interviews[-1]["starts_at"]) + timedelta(hours=3)).isoformat())
    for interview in interviews:
        body = {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": interview["reception_uai"],
            "interview_id": interview["interview_id"],
            "attended": True,
            "report": "Bon projet en photographie.",
            "opinions": [{"formation_code": FORMATION, "opinion": "favorable"}],
        }
        for _ in range(50):  # opinions learns of the booking asynchronously
            outcome = await send(portal, "submit_interview_report", {**body, "command_id": str(uuid.uuid4())})
            if outcome["_routing_key"] == "opinions.interview_reported":
                break
        await portal.wait_for(
            lambda e, i=interview: e["_routing_key"] == "opinions.final_opinion_computed" and e["ine"] == i["ine"]
        )
    return registered


async def test_r28_no_bonus_before_the_confirmation_then_exactly_one(
    portal: PortalClient, affelnet: AffelnetReceiver, pupils: list[dict[str, Any]]
) -> None:
    pupil = pupils[0]
    with pytest.raises(TimeoutError):
        await portal.wait_for(exported(pupil), timeout=2)
    assert key(pupil) not in affelnet.attempts

    confirmed = await send(portal, "confirm_wish", confirm(pupil))
    event = await portal.wait_for(exported(pupil), timeout=20)

    assert confirmed["_routing_key"] == "affelnet_export.wish_confirmed"
    assert affelnet.accepted[key(pupil)] == {
        "campaign": "2013",
        "ine": pupil["pupil"]["ine"],
        "formation_code": FORMATION,
        "final_opinion": "tres_favorable",
        "bonus_points": 40,
    }
    assert event["bonus_points"] == 40 and affelnet.attempts[key(pupil)] == 1


async def test_r28_a_confirmation_given_before_the_final_opinion_counts(
    portal: PortalClient, affelnet: AffelnetReceiver, pupils: list[dict[str, Any]]
) -> None:
    await portal.wait_for(exported(pupils[1]), timeout=20)

    assert key(pupils[1]) in affelnet.accepted


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"wish_entered_on": "2013-06-01"}, "wish_deadline_passed"),
        ({"family_confirmed": False}, "invalid"),
        ({"formation_code": "cap-cuisine"}, "unknown_candidacy"),
        ({"actor_uai": "0941918Z"}, "unauthorized"),
        ({"ine": "123"}, "invalid_ine"),
    ],
)
async def test_r28_a_confirmation_that_cannot_count_is_rejected(
    portal: PortalClient, pupils: list[dict[str, Any]], change: dict[str, Any], reason: str
) -> None:
    event = await send(portal, "confirm_wish", confirm(pupils[2], **change))

    assert event["_routing_key"] == "affelnet_export.command_rejected" and event["reason"] == reason


async def test_r30_unavailable_affelnet_is_retried_with_one_idempotency_key_and_one_delivery(
    portal: PortalClient, affelnet: AffelnetReceiver, pupils: list[dict[str, Any]]
) -> None:
    pupil = pupils[3]
    affelnet.answer(key(pupil), Scripted(503), Scripted(503), Scripted(201, delay=0.3))

    await send(portal, "confirm_wish", confirm(pupil))
    await portal.wait_for(exported(pupil), timeout=40)

    assert affelnet.attempts[key(pupil)] == 3
    assert key(pupil) in affelnet.accepted
    assert sum(1 for e in portal.events if exported(pupil)(e)) == 1


async def test_r30_a_refused_bonus_is_parked_visible_and_replayed_after_a_fix(
    portal: PortalClient, affelnet: AffelnetReceiver, pupils: list[dict[str, Any]], tmp_path: Path
) -> None:
    pupil = pupils[4]
    affelnet.answer(key(pupil), Scripted(422))
    await send(portal, "confirm_wish", confirm(pupil))
    for _ in range(100):
        if affelnet.attempts.get(key(pupil)):
            break
        await asyncio.sleep(0.1)
    parked_csv = tmp_path / "bonuses.csv"
    for _ in range(50):
        admin("csv", str(parked_csv))
        rows = {r["ine"]: r for r in csv.DictReader(parked_csv.open())}
        if rows.get(pupil["pupil"]["ine"], {}).get("state") == "parked":
            break
        await asyncio.sleep(0.1)

    admin("replay")
    await portal.wait_for(exported(pupil), timeout=20)

    assert rows[pupil["pupil"]["ine"]]["state"] == "parked"
    assert rows[pupil["pupil"]["ine"]]["last_status"] == "422"
    assert affelnet.attempts[key(pupil)] == 2 and key(pupil) in affelnet.accepted


async def test_r30_a_bonus_being_retried_is_delivered_after_the_service_restarts(
    portal: PortalClient, affelnet: AffelnetReceiver, pupils: list[dict[str, Any]], stack: ServiceStack
) -> None:
    pupil = pupils[5]
    affelnet.answer(key(pupil), Scripted(503))
    await send(portal, "confirm_wish", confirm(pupil))
    for _ in range(100):
        if affelnet.attempts.get(key(pupil)):
            break
        await asyncio.sleep(0.1)

    stack.stop("affelnet_export")
    stack.start("affelnet_export")
    await stack.wait_ready()
    await portal.wait_for(exported(pupil), timeout=40)

    assert affelnet.attempts[key(pupil)] == 2 and key(pupil) in affelnet.accepted


def admin(*args: str) -> str:
    env = {**os.environ, "PASSPRO_DATABASE_URL": TEST_DATABASE_URL, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "services.affelnet_export.admin", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout
