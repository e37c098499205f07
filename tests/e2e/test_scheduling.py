"""scheduling end to end: slots declared and pupils registered through passpro.commands, bookings read from events.

Each test works in its own domain, so waiting pupils of one test never take another test's seats.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from harness.portal import PortalClient
from tests.conftest import ADMIN_URL, TEST_DATABASE_URL
from tests.e2e.conftest import OPEN, Clock, register_body
from tests.stack import ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
async def registrations_open(clock: Clock) -> None:
    await clock.at_least(OPEN)


def slots_body(
    actor: str, domain: str, *slots: tuple[str, int], duration: int = 30, place: str = "Atelier B, rez-de-chaussée"
) -> dict[str, Any]:
    return {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": actor,
        "domain_code": domain,
        "place": place,
        "slots": [
            {"starts_at": start, "duration_minutes": duration, "capacity": capacity} for start, capacity in slots
        ],
    }


async def send(portal: PortalClient, command: str, body: dict[str, Any]) -> dict[str, Any]:
    await portal.send(command, body)
    return await portal.outcome(body["command_id"])


async def register(portal: PortalClient, formation: str, **overrides: Any) -> dict[str, Any]:
    body = register_body(formation_code=formation, **overrides)
    event = await send(portal, "register_candidacy", body)
    assert event["_routing_key"] == "enrollment.candidacy_registered", event
    return body


def booked(ine: str, domain: str | None = None):  # type: ignore[no-untyped-def]
    return lambda e: (
        e["_routing_key"] == "scheduling.interview_booked"
        and e["ine"] == ine
        and (domain is None or e["domain_code"] == domain)
    )


async def test_slots_a_school_may_not_declare_are_rejected_with_their_reason(portal: PortalClient) -> None:
    cases = [
        (slots_body("0931587V", "pressing-blanchiment", ("2013-02-20T09:00:00+01:00", 2)), "unknown_domain"),
        (slots_body("0940115P", "pressing-blanchisserie", ("2013-02-20T09:00:00+01:00", 2)), "unauthorized"),
        (
            slots_body("0931587V", "pressing-blanchisserie", ("2013-04-18T09:00:00+02:00", 2)),
            "outside_interview_window",
        ),
        (
            slots_body("0931587V", "pressing-blanchisserie", ("2013-02-08T09:00:00+01:00", 2)),
            "outside_interview_window",
        ),
    ]
    for body, reason in cases:
        event = await send(portal, "declare_interview_slots", body)

        assert event["_routing_key"] == "scheduling.command_rejected"
        assert event["reason"] == reason and event["message"]


async def test_r13_one_interview_per_pupil_per_domain_whatever_the_formations(portal: PortalClient) -> None:
    declared = await send(
        portal,
        "declare_interview_slots",
        slots_body("0931587V", "pressing-blanchisserie", ("2013-02-20T09:00:00+01:00", 4)),
    )
    first = await register(portal, "cap-metiers-pressing")
    await register(portal, "2nde-pro-pressing-blanchisserie", pupil=first["pupil"])

    event = await portal.wait_for(booked(first["pupil"]["ine"]))
    marker = await register(portal, "cap-metiers-pressing")
    await portal.wait_for(booked(marker["pupil"]["ine"]))

    assert declared["_routing_key"] == "scheduling.slots_declared" and declared["slots_added"] == 1
    assert len([e for e in portal.events if booked(first["pupil"]["ine"])(e)]) == 1
    assert event["reception_uai"] == "0931587V" and event["place"] == "Atelier B, rez-de-chaussée"
    assert datetime.fromisoformat(event["starts_at"]) == datetime.fromisoformat("2013-02-20T09:00:00+01:00")
    duration = datetime.fromisoformat(event["ends_at"]) - datetime.fromisoformat(event["starts_at"])
    assert duration == timedelta(minutes=30)
    assert "cap-metiers-pressing" in event["formation_codes"]


async def test_r15_pupils_wait_with_a_shortfall_then_are_booked_oldest_first(portal: PortalClient) -> None:
    pupils = [await register(portal, "2nde-pro-conducteur-transport-routier") for _ in range(3)]
    shortfall = await portal.wait_for(
        lambda e: (
            e["_routing_key"] == "scheduling.capacity_shortfall"
            and e["domain_code"] == "conduite-service-routier"
            and e["waiting_pupils"] >= 3
        ),
        timeout=20,
    )

    await send(
        portal,
        "declare_interview_slots",
        slots_body(
            "0940532T",
            "conduite-service-routier",
            ("2013-02-26T14:00:00+01:00", 1),
            ("2013-02-25T09:00:00+01:00", 1),
            ("2013-02-27T09:00:00+01:00", 1),
        ),
    )
    bookings = [await portal.wait_for(booked(p["pupil"]["ine"])) for p in pupils]
    resolved = await portal.wait_for(
        lambda e: (
            e["_routing_key"] == "scheduling.capacity_shortfall"
            and e["domain_code"] == "conduite-service-routier"
            and e["waiting_pupils"] == 0
        ),
        timeout=20,
    )

    assert shortfall["waiting_pupils"] == 3 and resolved["waiting_pupils"] == 0
    starts = [datetime.fromisoformat(b["starts_at"]) for b in bookings]
    assert starts == sorted(starts), "the oldest registration gets the earliest seat"


async def test_r10_withdrawing_the_last_candidacy_cancels_the_interview_and_gives_the_seat_on(
    portal: PortalClient,
) -> None:
    await send(
        portal,
        "declare_interview_slots",
        slots_body("0771642S", "traitement-surface", ("2013-03-05T10:00:00+01:00", 1)),
    )
    first = await register(portal, "2nde-pro-traitement-surfaces")
    first_booking = await portal.wait_for(booked(first["pupil"]["ine"]))
    second = await register(portal, "2nde-pro-traitement-surfaces")
    withdraw = {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": first["origin_uai"],
        "ine": first["pupil"]["ine"],
        "formation_code": "2nde-pro-traitement-surfaces",
    }

    await send(portal, "withdraw_candidacy", withdraw)
    cancelled = await portal.wait_for(
        lambda e: e["_routing_key"] == "scheduling.interview_cancelled" and e["ine"] == first["pupil"]["ine"]
    )
    second_booking = await portal.wait_for(booked(second["pupil"]["ine"]))

    assert cancelled["interview_id"] == first_booking["interview_id"] and cancelled["reason"]
    assert second_booking["starts_at"] == first_booking["starts_at"]


async def test_r16_never_two_interviews_on_the_same_half_day(portal: PortalClient) -> None:
    await send(
        portal,
        "declare_interview_slots",
        slots_body("0931311V", "marchandisage-visuel", ("2013-03-06T09:00:00+01:00", 5)),
    )
    await send(
        portal,
        "declare_interview_slots",
        slots_body("0931024H", "tapisserie-ameublement", ("2013-03-06T11:00:00+01:00", 5)),
    )
    pupil = await register(portal, "2nde-pro-artisanat-marchandisage-visuel")
    await portal.wait_for(booked(pupil["pupil"]["ine"], "marchandisage-visuel"))
    earlier = {e["event_id"] for e in portal.events}
    await register(portal, "2nde-pro-artisanat-tapisserie-ameublement", pupil=pupil["pupil"])
    # The positive signal: the domain's waiting count went up, so the pupil was planned and left waiting.
    await portal.wait_for(
        lambda e: (
            e["_routing_key"] == "scheduling.capacity_shortfall"
            and e["domain_code"] == "tapisserie-ameublement"
            and e["waiting_pupils"] >= 1
            and e["event_id"] not in earlier
        ),
        timeout=30,
    )
    assert not [e for e in portal.events if booked(pupil["pupil"]["ine"], "tapisserie-ameublement")(e)]

    await send(
        portal,
        "declare_interview_slots",
        slots_body("0931024H", "tapisserie-ameublement", ("2013-03-06T14:30:00+01:00", 1)),
    )
    afternoon = await portal.wait_for(booked(pupil["pupil"]["ine"], "tapisserie-ameublement"))

    assert datetime.fromisoformat(afternoon["starts_at"]).hour == 14


async def test_r17_an_interview_is_booked_at_least_the_notice_period_ahead(portal: PortalClient, clock: Clock) -> None:
    too_soon = (clock.at + timedelta(days=2)).replace(hour=10).isoformat()
    await send(
        portal,
        "declare_interview_slots",
        slots_body("0771837D", "signaletique-decor", (too_soon, 3), ("2013-03-07T10:00:00+01:00", 1)),
    )
    pupil = await register(portal, "cap-signaletique-enseigne-decor")

    event = await portal.wait_for(booked(pupil["pupil"]["ine"]))

    assert datetime.fromisoformat(event["starts_at"]) == datetime.fromisoformat("2013-03-07T10:00:00+01:00")


async def test_r18_a_reception_school_of_the_pupils_departement_comes_first(portal: PortalClient) -> None:
    await send(
        portal,
        "declare_interview_slots",
        slots_body("0771374A", "production-conception-mecanique", ("2013-02-21T09:00:00+01:00", 5)),
    )
    await send(
        portal,
        "declare_interview_slots",
        slots_body("0931462J", "production-conception-mecanique", ("2013-03-12T09:00:00+01:00", 5)),
    )
    pupil = await register(portal, "2nde-pro-production-conception-mecanique")  # origin school in 093

    event = await portal.wait_for(booked(pupil["pupil"]["ine"]))

    assert event["reception_uai"] == "0931462J"


async def report_attendance(interview: dict[str, Any], attended: bool) -> None:
    """The opinions service's report event, as it publishes it."""
    reported = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": interview["starts_at"],
        "campaign": "2013",
        "causation_id": None,
        "interview_id": interview["interview_id"],
        "ine": interview["ine"],
        "domain_code": interview["domain_code"],
        "attended": attended,
        "reception_uai": interview["reception_uai"],
        "report": "",
    }
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        events = await channel.get_exchange("passpro.events", ensure=False)
        await events.publish(
            aio_pika.Message(
                json.dumps(reported).encode(),
                message_id=reported["event_id"],
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                user_id="passpro-admin",
            ),
            routing_key="opinions.interview_reported",
        )


async def test_r21_an_absent_pupil_gets_a_new_interview_when_the_origin_school_asks(portal: PortalClient) -> None:
    await send(
        portal,
        "declare_interview_slots",
        slots_body("0771642S", "laboratoire", ("2013-02-19T09:00:00+01:00", 1), ("2013-03-19T09:00:00+01:00", 1)),
    )
    pupil = await register(portal, "cap-employe-technique-laboratoire")
    first = await portal.wait_for(booked(pupil["pupil"]["ine"]))
    ask = {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": pupil["origin_uai"],
        "ine": pupil["pupil"]["ine"],
        "domain_code": "laboratoire",
    }
    not_missed = await send(portal, "request_new_interview", ask)

    await report_attendance(first, attended=False)
    by_another_school = await send(
        portal, "request_new_interview", {**ask, "command_id": str(uuid.uuid4()), "actor_uai": "0941918Z"}
    )
    retried = None
    for _ in range(40):  # the absence reaches scheduling asynchronously
        retried = await send(portal, "request_new_interview", {**ask, "command_id": str(uuid.uuid4())})
        if retried["_routing_key"] == "scheduling.interview_requested":
            break
    second = await portal.wait_for(
        lambda e: booked(pupil["pupil"]["ine"])(e) and e["interview_id"] != first["interview_id"]
    )

    assert not_missed["reason"] == "unknown_interview"
    assert by_another_school["reason"] in ("unauthorized", "unknown_interview")
    assert retried is not None and retried["_routing_key"] == "scheduling.interview_requested"
    assert datetime.fromisoformat(second["starts_at"]) == datetime.fromisoformat("2013-03-19T09:00:00+01:00")


async def test_r9_an_interview_in_late_march_is_booked_for_the_lock_test(portal: PortalClient) -> None:
    """Books the interview test_z uses to prove enrollment locks the opinion once it has taken place."""
    await send(
        portal,
        "declare_interview_slots",
        slots_body("0931720P", "personnes-territoires", ("2013-03-20T10:00:00+01:00", 1)),
    )
    pupil = await register(portal, "2nde-pro-agri-service-personnes-territoires", pupil={"ine": "0000000001L"})

    event = await portal.wait_for(booked(pupil["pupil"]["ine"]))
    await register(portal, "cap-cuisine", pupil={"ine": "0000000002L"})  # updated after the deadline in test_z

    assert event["domain_code"] == "personnes-territoires"


def test_r21_operators_see_no_show_rates_per_origin_school(tmp_path: Path) -> None:
    """Runs after the absence above: the origin school 0930122C has at least one missed interview."""
    out = tmp_path / "no-shows.csv"
    subprocess.run(
        [sys.executable, "-m", "services.scheduling.admin", "no-shows", "--csv", str(out)],
        check=True,
        env={**os.environ, "PASSPRO_DATABASE_URL": TEST_DATABASE_URL, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    rows = {r["UAI"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"), delimiter=";")}

    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert out.read_text(encoding="utf-8-sig").splitlines()[0] == (
        "UAI;Établissement d'origine;Entretiens comptes rendus;Absences;Taux d'absence (%)"
    )
    assert int(rows["0930122C"]["Absences"]) >= 1
    assert float(rows["0930122C"]["Taux d'absence (%)"].replace(",", ".")) > 0
