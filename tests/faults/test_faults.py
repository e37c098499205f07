"""The short fault run: a campaign played while services are killed or stopped (SIGTERM) and the broker, the
database, SMTP and Affelnet fail, the link to SMTP is slow and Affelnet's answers get lost after it applied the
bonus, and PostgreSQL stays stopped longer than the delivery limit once allowed; nothing may be lost, parked (but
the poison) or done twice, and each fault must be seen to have fired.

It brings up its own RabbitMQ and PostgreSQL (ports 5683, 15683, 5443) and services (29181–29185), so it
disturbs neither the local stack (RabbitMQ 5672, PostgreSQL 5432) nor the end-to-end tests. Replay a run with
``python -m tools.faults --short --seed <the seed it printed>``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tools.faults.figures import Figures, render
from tools.faults.infra import ROOT
from tools.faults.plan import SHORT, Plan
from tools.faults.run import run

PLAN = Plan(
    **SHORT,
    var=ROOT / "var" / "faults-test",
    amqp_port=5683,
    management_port=15683,
    pg_port=5443,
    node="passpro-faults-test@localhost",
    health_port=29181,
    smtp_port=29125,
    affelnet_port=29190,
)


@pytest.fixture(scope="module")
async def figures() -> AsyncIterator[Figures]:
    result = await run(PLAN)
    print(render(result))
    yield result


def test_every_planned_fault_was_injected(figures: Figures) -> None:
    kills = sum(n for kind, n in figures.faults.items() if kind.startswith("kill -9"))
    terms = sum(n for kind, n in figures.faults.items() if kind.startswith("SIGTERM"))

    assert kills == PLAN.kills
    assert terms == PLAN.terms
    assert figures.faults["RabbitMQ restart"] == PLAN.broker_restarts
    assert figures.faults["PostgreSQL restart"] == PLAN.database_restarts
    assert figures.faults["PostgreSQL outage"] == 1
    assert figures.faults["SMTP outage"] == 1 and figures.faults["Affelnet outage"] == 1
    assert figures.faults["SMTP slow"] == 1 and figures.faults["Affelnet answers lost"] == 1
    # Scripted at the stand-in: exercised, reported apart, never counted as a fault.
    assert "Affelnet 503 episode" not in figures.faults
    assert figures.scripted["Affelnet answers 503 after its outage"] == PLAN.affelnet_503


def test_every_injected_fault_was_seen_to_fire(figures: Figures) -> None:
    assert set(figures.fired) == set(figures.faults)
    assert not [kind for kind, evidence in figures.fired.items() if evidence.startswith("NOT SEEN")], render(figures)


def test_the_postgresql_outage_outlasted_the_old_parking_time_and_sent_deliveries_to_wait(figures: Figures) -> None:
    # The old design parked a message after 10 deliveries 1, 2, 4 … 30 s apart: 181 s.
    assert PLAN.db_outage_seconds > 181
    assert figures.redelivered["deliveries sent to wait in a retry queue (transient failures)"] > 0, render(figures)
    assert any(k.startswith("log message_retry_later ") and "Error" in k for k in figures.effects), render(figures)


def test_the_outages_refused_mails_and_bonuses_that_were_then_delivered(figures: Figures) -> None:
    assert figures.effects.get("log mail_not_sent", 0) > 0, render(figures)
    assert figures.effects.get("log bonus_attempt without an answer", 0) > 0, render(figures)
    assert figures.effects["bonuses accepted"] == figures.effects["bonuses due"] > 0


def test_the_faults_caused_redeliveries(figures: Figures) -> None:
    assert figures.redelivered["deliveries found already handled (inbox)"] > 0, render(figures)
    assert figures.redelivered["deliveries sent to wait in a retry queue (transient failures)"] > 0, render(figures)


def test_nothing_is_lost(figures: Figures) -> None:
    assert figures.lost == 0, render(figures)


def test_nothing_is_done_twice(figures: Figures) -> None:
    assert figures.duplicated == 0, render(figures)


def test_no_mail_was_received_twice_whatever_its_message_id(figures: Figures) -> None:
    assert figures.effects["mails received"] > 0
    # The one exception, counted and said: a sender killed after SMTP's 250, before its record (docs/reliability).
    window = figures.effects.get("mails resent: their sender killed after SMTP's 250, before the record", 0)
    assert figures.effects["mails received"] == figures.effects["mails received, distinct by content"] + window, render(
        figures
    )
    assert not figures.mails_resent, render(figures)


def test_nothing_is_wrong_and_no_service_died_or_stuck_on_its_own(figures: Figures) -> None:
    assert figures.wrong == 0, render(figures)


def test_only_the_poison_messages_are_parked_each_with_its_reason(figures: Figures) -> None:
    assert figures.effects["parked besides the poison"] == 0, render(figures)
    assert len(figures.parked) == 2
    assert all("the body is not a JSON object" in parked for parked in figures.parked)
