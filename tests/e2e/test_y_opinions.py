"""opinions end to end: reports through passpro.commands, final opinions and overdue reports read from events.

On a campaign of its own: each test moves the virtual clock past its own interview.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from harness.portal import PortalClient
from tests.e2e.conftest import OPEN, Clock
from tests.e2e.test_scheduling import booked, register, send, slots_body

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
async def registrations_open(clock: Clock) -> None:
    await clock.at_least(OPEN)


async def interview_for(
    portal: PortalClient, clock: Clock, school: str, domain: str, *formations: tuple[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A slot six days ahead, a pupil registered for ``formations`` (code, origin opinion), and the booking."""
    start = (clock.at + timedelta(days=6)).astimezone().replace(hour=9, minute=0, second=0, microsecond=0)
    await send(portal, "declare_interview_slots", slots_body(school, domain, (start.isoformat(), 1)))
    first = await register(portal, formations[0][0], origin_opinion=formations[0][1])
    for code, opinion in formations[1:]:
        await register(portal, code, pupil=first["pupil"], origin_opinion=opinion)
    interview = await portal.wait_for(booked(first["pupil"]["ine"], domain))
    # opinions learns of the booking from scheduling's event: wait until it answers for this interview.
    for _ in range(50):
        probe = await send(portal, "submit_interview_report", report_body(interview, "0941918Z", attended=False))
        if probe["reason"] != "unknown_interview":
            break
    return first, interview


def final_of(command: dict[str, Any], formation: str):  # type: ignore[no-untyped-def]
    return lambda e: (
        e["_routing_key"] == "opinions.final_opinion_computed"
        and e["causation_id"] == command["command_id"]
        and e["formation_code"] == formation
    )


def report_body(interview: dict[str, Any], actor: str, **fields: Any) -> dict[str, Any]:
    return {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": actor,
        "interview_id": interview["interview_id"],
        **fields,
    }


async def test_r22_r24_a_complete_report_gives_each_candidacy_its_crossed_final_opinion(
    portal: PortalClient, clock: Clock
) -> None:
    pupil, interview = await interview_for(
        portal,
        clock,
        "0931311V",
        "mode-vetement-maroquinerie",
        ("cap-mode-vetement-flou", "favorable"),
        ("2nde-pro-mode-vetements", "reserve"),
    )
    opinions = [
        {"formation_code": "cap-mode-vetement-flou", "opinion": "favorable"},
        {"formation_code": "2nde-pro-mode-vetements", "opinion": "assez_favorable"},
    ]
    valid = report_body(
        interview, "0931311V", attended=True, report="Projet solide, bonne connaissance du métier.", opinions=opinions
    )
    too_early = await send(portal, "submit_interview_report", {**valid, "command_id": str(uuid.uuid4())})
    await clock.at_least((datetime.fromisoformat(interview["starts_at"]) + timedelta(hours=1)).isoformat())
    refusals = [
        await send(portal, "submit_interview_report", {**valid, "command_id": str(uuid.uuid4()), **change})
        for change in (
            {"actor_uai": "0940461R"},
            {"interview_id": str(uuid.uuid4())},
            {"opinions": opinions[:1]},
            {"opinions": [*opinions, {"formation_code": "2nde-pro-cuir-maroquinerie", "opinion": "favorable"}]},
            {"report": ""},
        )
    ]

    reported = await send(portal, "submit_interview_report", valid)
    finals = {
        code: await portal.wait_for(final_of(valid, code))
        for code in ("cap-mode-vetement-flou", "2nde-pro-mode-vetements")
    }
    again = await send(portal, "submit_interview_report", {**valid, "command_id": str(uuid.uuid4())})

    assert too_early["reason"] == "interview_not_held"
    assert [r["reason"] for r in refusals] == [
        "unauthorized",
        "unknown_interview",
        "report_incomplete",
        "report_incomplete",
        "report_incomplete",
    ]
    assert reported["_routing_key"] == "opinions.interview_reported" and reported["attended"] is True
    assert finals["cap-mode-vetement-flou"]["final_opinion"] == "tres_favorable"
    assert finals["2nde-pro-mode-vetements"]["final_opinion"] == "peu_favorable"
    assert finals["2nde-pro-mode-vetements"]["origin_opinion"] == "reserve"
    assert finals["2nde-pro-mode-vetements"]["reception_opinion"] == "assez_favorable"
    assert again["reason"] == "already_reported"
    assert pupil["pupil"]["ine"] == reported["ine"]


async def test_r25_a_withdrawn_candidacy_gets_no_final_opinion(portal: PortalClient, clock: Clock) -> None:
    pupil, interview = await interview_for(
        portal,
        clock,
        "0930830X",
        "metallerie",
        ("cap-serrurier-metallier", "favorable"),
        ("cap-realisation-chaudronnerie", "assez_favorable"),
    )
    await send(
        portal,
        "withdraw_candidacy",
        {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": pupil["origin_uai"],
            "ine": pupil["pupil"]["ine"],
            "formation_code": "cap-realisation-chaudronnerie",
        },
    )
    await clock.at_least((datetime.fromisoformat(interview["starts_at"]) + timedelta(hours=2)).isoformat())
    body = report_body(
        interview,
        interview["reception_uai"],
        attended=True,
        report="Bonne motivation pour la serrurerie.",
        opinions=[{"formation_code": "cap-serrurier-metallier", "opinion": "favorable"}],
    )

    await send(portal, "submit_interview_report", body)
    final = await portal.wait_for(final_of(body, "cap-serrurier-metallier"))

    assert final["final_opinion"] == "tres_favorable"
    with pytest.raises(TimeoutError):
        await portal.wait_for(final_of(body, "cap-realisation-chaudronnerie"), timeout=2)


async def test_r21_an_absent_pupil_gets_no_final_opinion(portal: PortalClient, clock: Clock) -> None:
    _, interview = await interview_for(
        portal, clock, "0771519H", "hygiene-environnement", ("cap-maintenance-hygiene-locaux", "favorable")
    )
    await clock.at_least((datetime.fromisoformat(interview["starts_at"]) + timedelta(hours=2)).isoformat())
    body = report_body(interview, interview["reception_uai"], attended=False)

    reported = await send(portal, "submit_interview_report", body)

    assert reported["_routing_key"] == "opinions.interview_reported" and reported["attended"] is False
    with pytest.raises(TimeoutError):
        await portal.wait_for(final_of(body, "cap-maintenance-hygiene-locaux"), timeout=2)


async def test_r22_an_overdue_report_is_told_once_and_still_accepted_late(portal: PortalClient, clock: Clock) -> None:
    _, interview = await interview_for(
        portal,
        clock,
        "0771374A",
        "production-conception-mecanique",
        ("2nde-pro-production-conception-mecanique", "assez_favorable"),
    )
    held = datetime.fromisoformat(interview["starts_at"])
    await clock.at_least((held + timedelta(days=4, hours=1)).isoformat())

    overdue = await portal.wait_for(
        lambda e: e["_routing_key"] == "opinions.report_overdue" and e["interview_id"] == interview["interview_id"],
        timeout=20,
    )
    await clock.at_least((held + timedelta(days=5)).isoformat())
    late = await send(
        portal,
        "submit_interview_report",
        report_body(
            interview,
            interview["reception_uai"],
            attended=True,
            report="Projet à affiner.",
            opinions=[{"formation_code": "2nde-pro-production-conception-mecanique", "opinion": "reserve"}],
        ),
    )

    assert overdue["reception_uai"] == interview["reception_uai"]
    assert overdue["due_on"] == (held.date() + timedelta(days=3)).isoformat()
    assert late["_routing_key"] == "opinions.interview_reported"
    assert (
        sum(
            1
            for e in portal.events
            if e["_routing_key"] == "opinions.report_overdue" and e["interview_id"] == interview["interview_id"]
        )
        == 1
    )
