"""Operators' funnel and correlation ids after a campaign: the numbers add up with the events seen.

The file plays a small campaign of its own first (registered, booked, reported, crossed opinions, confirmed
wishes, delivered bonuses through the portal).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from contracts import routing
from harness.portal import PortalClient
from ops.cli import app
from ops.funnel import collect, funnel
from ops.settings import OpsSettings, local_service_urls
from tests.e2e.conftest import Clock, SmtpServer
from tests.e2e.played import play_one_pupil
from tests.privacy import invoke_ops
from tests.stack import HEALTH_BASE_PORT, LOGS, ServiceStack

SUBJECT_KINDS = {
    "Convocation Passpro": "convocation",
    "Annulation Passpro": "cancellation",
    "Rappel Passpro": "interview_reminder",
    "Fiche récapitulative Passpro": "recap",
    "Relance Passpro": "overdue_reminder",
    "Planning Passpro": "planning",
    "Manque de places Passpro": "shortfall",
}


def _settings() -> OpsSettings:
    return OpsSettings(vhost="passpro_test", service_urls=local_service_urls(HEALTH_BASE_PORT))


def expected_from_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The funnel an operator should see, replayed from the services' events in the order they came.

    Some tests publish an event as if a service had (to reach a state quickly). Such an event changes
    the services that consume it, not the one it pretends to come from: an interview scheduling never
    booked is not scheduling's, a report published for one of its interviews is.
    """
    candidacies: dict[tuple[str, str], bool] = {}
    interviews: dict[str, str] = {}
    finals: dict[tuple[str, str], str] = {}
    confirmations: set[tuple[str, str]] = set()
    delivered: set[tuple[str, str]] = set()
    for e in events:
        key = e["_routing_key"]
        if e["_app_id"] not in routing.SERVICES and key != "opinions.interview_reported":
            continue
        if key == "enrollment.candidacy_registered":
            candidacies[(e["ine"], e["formation_code"])] = True
        elif key == "enrollment.candidacy_withdrawn":
            candidacies[(e["ine"], e["formation_code"])] = False
        elif key == "scheduling.interview_booked":
            interviews[e["interview_id"]] = "booked"
        elif key == "scheduling.interview_cancelled":
            interviews[e["interview_id"]] = "cancelled"
        elif key == "opinions.interview_reported" and e["interview_id"] in interviews:
            interviews[e["interview_id"]] = "attended" if e["attended"] else "absent"
        elif key == "opinions.final_opinion_computed":
            finals[(e["ine"], e["formation_code"])] = e["final_opinion"]
        elif key == "affelnet_export.wish_confirmed":
            confirmations.add((e["ine"], e["formation_code"]))
        elif key == "affelnet_export.bonus_exported":
            delivered.add((e["ine"], e["formation_code"]))
    statuses = Counter(interviews.values())
    return {
        "candidacies": {
            "registered": len(candidacies),
            "active": sum(candidacies.values()),
            "withdrawn": len(candidacies) - sum(candidacies.values()),
        },
        "interviews": {s: statuses.get(s, 0) for s in ("booked", "attended", "absent", "cancelled")},
        "finals_by_value": dict(Counter(finals.values())),
        "confirmations": len(confirmations),
        "bonuses_delivered": len(delivered),
    }


def observed(f: dict[str, Any]) -> dict[str, Any]:
    c = f["candidacies"]
    return {
        "candidacies": {k: c[k] for k in ("registered", "active", "withdrawn")},
        "interviews": {s: f["interviews"][s] for s in ("booked", "attended", "absent", "cancelled")},
        "finals_by_value": f["finals_by_value"],
        "confirmations": f["confirmations"],
        "bonuses_delivered": f["bonuses"]["delivered"],
    }


async def _settled(portal: PortalClient, timeout: float = 60) -> tuple[dict[str, Any], dict[str, Any]]:
    """Polls until the services' counts agree with the events seen (the last events may still be in flight)."""
    deadline = time.monotonic() + timeout
    while True:
        f = funnel(await collect(_settings()))
        assert not f["unreachable"], f["unreachable"]
        want = expected_from_events(portal.events)
        if observed(f) == want or time.monotonic() > deadline:
            return f, want
        await asyncio.sleep(0.5)


@pytest.fixture(scope="module")
async def campaign_played(portal: PortalClient, clock: Clock) -> None:
    """A small campaign of the file's own, from registration to the bonus delivered."""
    await play_one_pupil(portal, clock)


async def test_funnel_adds_up_with_the_events_the_portal_saw(
    stack: ServiceStack, portal: PortalClient, campaign_played: None
) -> None:
    f, want = await _settled(portal)

    assert observed(f) == want
    c = f["candidacies"]
    assert c["registered"] == c["active"] + c["withdrawn"]
    assert want["interviews"]["attended"] > 0 and want["bonuses_delivered"] > 0


async def test_funnel_counts_pupils_waiting_and_seats_per_domain(
    stack: ServiceStack, portal: PortalClient, campaign_played: None
) -> None:
    f, _ = await _settled(portal)

    for domain, seats in f["seats_by_domain"].items():
        assert 0 <= seats["taken"] <= seats["declared"], domain
    shortfalls = {
        e["domain_code"]: e["waiting_pupils"]
        for e in portal.events
        if e["_routing_key"] == "scheduling.capacity_shortfall"
    }
    # R15: the last shortfall published for a domain is the number of its pupils still waiting.
    for domain, waiting in f["waiting_by_domain"].items():
        assert shortfalls.get(domain) == waiting, domain


async def test_mails_sent_match_the_mails_the_smtp_server_received(
    stack: ServiceStack, portal: PortalClient, smtp: SmtpServer, campaign_played: None
) -> None:
    await _settled(portal)
    deadline = time.monotonic() + 30
    while True:
        f = funnel(await collect(_settings()))
        received = Counter()
        seen: set[str] = set()
        for message in smtp.sink.received():
            if message["Message-ID"] in seen:
                continue
            seen.add(message["Message-ID"])
            kind = next(k for prefix, k in SUBJECT_KINDS.items() if str(message["Subject"]).startswith(prefix))
            received[kind] += 1
        sent = {kind: states.get("sent", 0) for kind, states in f["mails"].items()}
        if sent == {k: received.get(k, 0) for k in sent} or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)

    assert sent == {k: received.get(k, 0) for k in sent}
    assert sent.get("convocation", 0) > 0 and sent.get("recap", 0) > 0


async def test_the_campaign_command_prints_the_funnel(
    stack: ServiceStack, portal: PortalClient, campaign_played: None
) -> None:
    f, _ = await _settled(portal)
    env = {"PASSPRO_SERVICE_URLS": json.dumps(local_service_urls(HEALTH_BASE_PORT))}

    table = await asyncio.to_thread(invoke_ops, app, ["ops", "campaign"], env=env, terminal_width=140)
    as_json = await asyncio.to_thread(invoke_ops, app, ["ops", "campaign", "--json"], env=env)

    assert table.exit_code == 0, table.output
    assert "candidacies registered" in table.output and "bonuses delivered to Affelnet" in table.output
    assert str(f["candidacies"]["registered"]) in table.output
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["candidacies"]["registered"] == f["candidacies"]["registered"]


async def test_the_campaign_command_says_which_service_did_not_answer() -> None:
    urls = local_service_urls(HEALTH_BASE_PORT)
    urls["opinions"] = "http://127.0.0.1:9"  # nothing listens on the discard port

    result = await asyncio.to_thread(
        invoke_ops, app, ["ops", "campaign"], env={"PASSPRO_SERVICE_URLS": json.dumps(urls)}, terminal_width=140
    )

    assert result.exit_code == 1
    assert "opinions did not answer" in result.output


def _log_lines(correlation_id: str) -> list[dict[str, Any]]:
    lines = []
    for path in Path(LOGS).glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if correlation_id in line and line.startswith("{"):
                lines.append(json.loads(line))
    return lines


async def test_one_correlation_id_follows_a_bonus_from_the_portal_command_to_the_affelnet_call(
    stack: ServiceStack, portal: PortalClient, campaign_played: None
) -> None:
    bonus = next(e for e in portal.events if e["_routing_key"] == "affelnet_export.bonus_exported")
    correlation = bonus["_correlation_id"]

    lines = _log_lines(correlation)

    # The portal sends each command with its command_id as correlation id; the bonus carries one of them.
    started_by = {
        command.split(".")[0]
        for command, body in portal.sent
        if isinstance(body, dict) and body.get("command_id") == correlation
    }
    assert started_by & {"confirm_wish", "submit_interview_report"}, started_by
    calls = [line for line in lines if line.get("event") == "bonus_attempt" and line["service"] == "affelnet_export"]
    assert any(call["outcome"] == "delivered" for call in calls), lines
