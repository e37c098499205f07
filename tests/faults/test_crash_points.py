"""Crashes at exact points, counted from outside: nothing lost, nothing done twice, and the one mail window measured.

Each service starts with one ``PASSPRO_CRASH_AT`` point armed (the consumer between commit and ack, the hand-off to
the relay, the relay between confirm and delete, SMTP's 250 before the mail is marked sent (R19), Affelnet's 2xx
before the bonus is marked delivered (R30)); a small campaign runs until each has died there, each is started again
without the switch, and once everything settled the events are counted by event_id, the mails by Message-ID and by
content, the Affelnet posts per Idempotency-Key. It brings up its own RabbitMQ and PostgreSQL (ports 5684, 15684,
5444), services (29281–29285), SMTP (29225) and Affelnet (29290). ``make crash-points`` runs it alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tools.faults.crash_points import ARMED, CrashFigures, run
from tools.faults.figures import render
from tools.faults.infra import ROOT
from tools.faults.plan import Plan

PLAN = Plan(
    pupils=30,
    kills=0,
    broker_restarts=0,
    database_restarts=0,
    smtp_outage=0.0,
    affelnet_outage=0.0,
    affelnet_503=0,
    resend=0.0,
    var=ROOT / "var" / "crash-points-test",
    amqp_port=5684,
    management_port=15684,
    pg_port=5444,
    node="passpro-crash-points@localhost",
    health_port=29281,
    smtp_port=29225,
    affelnet_port=29290,
)
"""No fault but the crashes, no command sent twice on purpose: every repeat counted comes from a crash."""


@pytest.fixture(scope="module")
async def result() -> AsyncIterator[CrashFigures]:
    counted = await run(PLAN)
    print(counted.table())
    print(render(counted.figures))
    yield counted


@pytest.mark.parametrize("service", sorted(ARMED))
def test_each_armed_service_died_at_its_point_with_137_and_said_where(result: CrashFigures, service: str) -> None:
    crash = result.crashes[service]
    point = ARMED[service].partition("@")[0]

    assert crash.code == 137, result.table()
    assert crash.line.startswith(f"passpro crash point {point} reached"), result.table()


def test_no_service_exited_otherwise_and_every_command_got_its_answer(result: CrashFigures) -> None:
    assert result.figures.wrong == 0, render(result.figures)


def test_nothing_is_lost_at_any_point(result: CrashFigures) -> None:
    assert result.figures.lost == 0, render(result.figures)
    for crash in result.crashes.values():
        assert crash.outbox <= result.observed, f"{crash.service}: events left in its outbox never published"


def test_no_state_event_or_bonus_is_done_twice(result: CrashFigures) -> None:
    assert result.figures.duplicated == 0, render(result.figures)
    assert [r.duplicated for r in result.rows] == [0] * len(ARMED), result.table()


def test_the_deliveries_a_consumer_died_before_acking_came_again(result: CrashFigures) -> None:
    assert result.redeliveries["enrollment"] > 0, result.table()
    assert result.redeliveries["scheduling"] > 0, result.table()


def test_the_events_a_relay_died_before_deleting_were_published_again(result: CrashFigures) -> None:
    assert result.events_twice.get("opinions", 0) > 0, result.table()


def test_the_mails_accepted_before_the_crash_are_sent_again_once_and_only_they(result: CrashFigures) -> None:
    unmarked = result.crashes["notifications"].unmarked_mails

    # Sent again, but for a convocation whose interview was cancelled before its lease ran out (dropped then).
    again = unmarked - result.dropped_after

    assert len(unmarked) >= 1, result.table()
    assert result.mails_twice == again, result.table()
    # Each copy went again as it went first, or updated by a withdrawal that came in between.
    assert result.resent_identical + result.resent_updated == len(again), result.table()
    assert result.crashed_window_s and result.window_ms, result.table()


def test_no_mail_goes_twice_under_another_message_id_but_the_recap_sheets_r26_reissues(result: CrashFigures) -> None:
    # R26: a recap per interview, re-issued when another domain's results arrive; built after both arrived, the
    # two are alike. Any other content received under two Message-IDs is a mail sent twice.
    others = [ids for ids in result.shared_contents if not all(i.startswith("<recap.") for i in ids)]

    assert others == [], result.table()


def test_the_bonuses_accepted_before_the_crash_are_posted_again_and_answered_409(result: CrashFigures) -> None:
    unmarked = result.crashes["affelnet_export"].unmarked_bonuses

    assert len(unmarked) >= 1, result.table()
    for key in unmarked:
        assert result.affelnet_posts[key] == [201, 409], result.table()
    assert all(statuses.count(201) == 1 for statuses in result.affelnet_posts.values()), result.table()
