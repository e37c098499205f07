"""A small simulated campaign against the real stack: its report says what an independent portal saw.

One run (150 pupils, a fixed seed) through the portal account; a second portal client, bound to every
event, counts on its own. The tests read the report's CSV files and compare.
"""

from __future__ import annotations

import asyncio
import csv
import email.policy
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import pytest

from contracts.campaign import load_campaign
from harness.portal import PortalClient
from ops.simulation import report
from ops.simulation.catchup import StackProbe, mails_pending
from ops.simulation.figures import compute
from ops.simulation.mailbox import Mailbox
from ops.simulation.runner import Result, Runner
from ops.simulation.scenario import generate
from tests.conftest import ADMIN_URL, PORTAL_URL
from tests.stack import ServiceStack

pytestmark = pytest.mark.e2e

CAMPAIGN = load_campaign()
COMPARED = (
    "enrollment.candidacy_registered",
    "scheduling.interview_booked",
    "opinions.interview_reported",
    "opinions.final_opinion_computed",
    "affelnet_export.bonus_exported",
)


@dataclass
class Run:
    result: Result
    out: Path
    witness: list[dict[str, Any]]
    seconds: float
    mail_dir: Path

    def csv(self, name: str) -> list[dict[str, str]]:
        with (self.out / report.DATA / f"{name}.csv").open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def figure(self, key: str) -> int:
        return next(int(row["valeur"]) for row in self.csv("chiffres_cles") if row["indicateur"] == key)


@pytest.fixture(scope="module")
async def run(stack: ServiceStack, mail_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    scenario = generate(CAMPAIGN, seed=150, pupils=150, origin_schools=8)
    out = tmp_path_factory.mktemp("report")
    started = time.monotonic()
    notifications = f"http://127.0.0.1:{stack.port('notifications')}"
    async with PortalClient(PORTAL_URL) as witness:
        async with PortalClient(PORTAL_URL) as portal, StackProbe(ADMIN_URL, notifications) as probe:
            # Long enough for the mail sender to catch up on a busy machine: the tests read the mails.
            result = await Runner(
                scenario, CAMPAIGN, portal, mailbox=Mailbox(mail_dir), mail_wait=600, probe=probe, catch_up=120
            ).play()
        # The witness reads its own queue: let it catch up with what the runner's portal saw.
        deadline = time.monotonic() + 60
        while any(witness.counts[key] < result.tally.counts[key] for key in COMPARED):
            assert time.monotonic() < deadline, "the witness did not see the run's events"
            await asyncio.sleep(0.2)
        report.write(
            result,
            CAMPAIGN,
            Mailbox(mail_dir),
            out,
            "passpro simulate --seed 150 --pupils 150",
            await mails_pending(notifications),
        )
        return Run(result, out, list(witness.events), time.monotonic() - started, mail_dir)


def test_the_report_page_and_the_numbers_behind_each_chart_are_written(run: Run) -> None:
    page = (run.out / "index.html").read_text(encoding="utf-8")
    assert "Simulation." in page and "données d'exemple" in page
    assert page.count("<svg") == 8
    for name, _, _ in report.tables(compute(run.result, CAMPAIGN, [])):
        assert (run.out / report.DATA / f"{name}.csv").is_file()
        assert f"{report.DATA}/{name}.csv" in page


def test_the_report_counts_what_an_independent_portal_saw(run: Run) -> None:
    seen = Counter(str(e["_routing_key"]) for e in run.witness)
    reported = Counter(bool(e["attended"]) for e in run.witness if e["_routing_key"] == "opinions.interview_reported")
    candidacies = {
        (e["ine"], e["formation_code"]) for e in run.witness if e["_routing_key"] == "enrollment.candidacy_registered"
    }
    assert run.figure("candidacies_registered") == len(candidacies) > 0
    assert run.figure("commands_rejected") == sum(n for key, n in seen.items() if key.endswith(".command_rejected"))
    assert run.figure("interviews_booked") == seen["scheduling.interview_booked"] > 0
    assert run.figure("interviews_held") == reported[True] > 0
    assert run.figure("interviews_absent") == reported[False] > 0
    assert run.figure("bonuses_delivered") == seen["affelnet_export.bonus_exported"] > 0
    finals = Counter(
        str(e["final_opinion"]) for e in run.witness if e["_routing_key"] == "opinions.final_opinion_computed"
    )
    assert {row["avis_final"]: int(row["candidatures"]) for row in run.csv("avis_finals")} == {
        code: finals[code] for code in ("tres_favorable", "favorable", "assez_favorable", "peu_favorable", "reserve")
    }
    delivered = sum(int(row["bonus_transmis"]) for row in run.csv("bonus_affelnet"))
    assert delivered == seen["affelnet_export.bonus_exported"]


def test_mistaken_commands_are_answered_with_their_reasons(run: Run) -> None:
    reasons = {row["motif"] for row in run.csv("commandes_erronees")}
    assert {
        "not_eligible",
        "invalid_ine",
        "invalid_uai",
        "unknown_formation",
        "unauthorized",
        "invalid",
        "unknown_campaign",
        "unknown_candidacy",
        "outside_interview_window",
        "registration_closed",
        "opinion_locked",
        "already_reported",
        "interview_not_held",
        "unknown_interview",
        "wish_deadline_passed",
    } <= reasons
    assert all(row["message"] for row in run.csv("commandes_erronees") if row["motif"])


def test_r15_a_short_domain_makes_pupils_wait_until_seats_are_added(run: Run) -> None:
    waiting = run.csv("attente_par_domaine")
    short = run.result.scenario.short_domains
    assert any(row["domaine"] in short and int(row["eleves_en_attente"]) > 0 for row in waiting)
    last = {row["domaine"]: int(row["eleves_en_attente"]) for row in waiting}
    assert all(last[domain] == 0 for domain in short if domain in last)
    told = {
        e["domain_code"]: e["waiting_pupils"]
        for e in run.witness
        if e["_routing_key"] == "scheduling.capacity_shortfall"
    }
    assert run.figure("pupils_waiting_at_end") == sum(told.values())


def test_r21_absent_pupils_are_interviewed_again_when_their_school_asks(run: Run) -> None:
    assert run.figure("new_interviews_requested") > 0
    assert any(i.attempt == 2 for i in run.result.tally.interviews.values())


def test_r22_late_reports_are_told_and_their_schools_reminded(run: Run) -> None:
    assert run.figure("reports_overdue") > 0
    late = sum(
        int(row["comptes_rendus"])
        for row in run.csv("delais_comptes_rendus")
        if int(row["jours"]) > CAMPAIGN.calendar.report_delay_days
    )
    assert late >= run.figure("reports_overdue")
    mails = {row["type"]: int(row["nombre"]) for row in run.csv("courriels")}
    assert mails["Relance des comptes rendus en retard"] > 0
    assert mails["Rappel avant l'entretien"] > 0


def test_r28_wishes_entered_too_late_are_refused_and_the_others_become_bonuses(run: Run) -> None:
    assert run.figure("wishes_refused_late") > 0
    assert run.figure("bonuses_delivered") == run.result.tally.bonuses_due() > 0


def test_example_mails_come_with_their_documents(run: Run) -> None:
    examples = run.out / report.EXAMPLES
    assert (examples / "convocation.pdf").read_bytes().startswith(b"%PDF")
    assert b"BEGIN:VCALENDAR" in (examples / "convocation.ics").read_bytes()
    assert (examples / "fiche-recapitulative.pdf").read_bytes().startswith(b"%PDF")
    assert (examples / "relance.eml").is_file()


def test_r12_r19_schools_without_portal_register_through_the_form_and_get_their_mails(run: Run) -> None:
    pupils = {p.ine: p for p in run.result.scenario.pupils if p.channel == "saio_form"}
    registered = {
        e["ine"]
        for e in run.witness
        if e["_routing_key"] == "enrollment.candidacy_registered" and e["channel"] == "saio_form"
    }
    convoked = [e for e in run.witness if e["_routing_key"] == "notifications.convocation_sent" and e["ine"] in pupils]

    assert run.figure("pupils_via_saio_form") == len(registered) == len(pupils) > 0
    assert convoked
    for event in convoked:
        pupil = pupils[event["ine"]]
        school = CAMPAIGN.school(pupil.origin_uai)
        expected = school.mailbox if school is not None and school.mailbox else pupil.origin_mailbox
        assert expected is not None and expected in event["recipients"], pupil.origin_uai


def test_r14_r15_a_sick_teachers_slots_close_and_their_pupils_are_booked_again_or_told(run: Run) -> None:
    [sick] = run.result.scenario.cancellations
    [answer] = run.result.slot_cancellations
    moved = [
        e
        for e in run.witness
        if e["_routing_key"] == "scheduling.interview_cancelled" and e["reason"] == "slot_cancelled"
    ]

    assert answer["_routing_key"] == "scheduling.slots_cancelled", answer
    assert answer["slots_cancelled"] == len(sick.starts_at)
    assert answer["interviews_moved"] == len(moved)
    assert run.figure("slots_cancelled") == len(sick.starts_at)
    since = datetime.fromisoformat(answer["occurred_at"])
    rebooked = {
        e["ine"]
        for e in run.witness
        if e["_routing_key"] == "scheduling.interview_booked"
        and e["domain_code"] == sick.domain_code
        and datetime.fromisoformat(e["occurred_at"]) >= since
    }
    for event in moved:  # R15: booked again, unless the pupil withdrew meanwhile
        state = run.result.tally.pairs[(event["ine"], sick.domain_code)]
        assert event["ine"] in rebooked or state == "withdrawn", state


def test_r20b_the_clock_waits_for_the_stack_so_every_reminder_goes_out_before_its_interview(run: Run) -> None:
    parser = BytesHeaderParser(policy=email.policy.default)
    message_ids = set()
    for path in run.mail_dir.glob("*.eml"):
        with path.open("rb") as handle:
            message_ids.add(str(parser.parse(handle)["Message-ID"]).strip())
    reminded = {mid.removeprefix("<reminder.").split("@")[0] for mid in message_ids if mid.startswith("<reminder.")}
    took_place = {str(e["interview_id"]) for e in run.witness if e["_routing_key"] == "opinions.interview_reported"}

    assert took_place and took_place <= reminded  # every interview held or missed had had its reminder
    assert run.figure("reminders_late") == 0
    assert run.figure("reminders_before_interview") >= len(took_place)
    assert run.figure("mails_queued_at_end") == 0
