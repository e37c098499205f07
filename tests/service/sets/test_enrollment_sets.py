"""Enrollment's set-based handlers against one by one, on the real database through real deliveries (R2-R4, R6-R9,
R11, R12, R21): the same messages handled as a batch, in sets of distinct pupils or interviews, leave the same rows
and publish the same events as each handled alone, in order.

One by one is the reference: it is how a delivery that comes alone is handled, and every rule's own tests use it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.enrollment.app import SERVICE as ENROLLMENT
from tests.service.delivering import commands_consumer, envelope, events_consumer
from tests.service.sets.compare import all_at_once, fresh, one_by_one, schemas, transactions

__all__ = ["schemas"]  # the fixture

CLOCK = datetime(2013, 2, 12, 9, 0, tzinfo=UTC)
ORIGIN, OTHER_ORIGIN = "0930122C", "0932045T"
EBENISTE, EBENISTE_PRO, STAFF = "cap-ebeniste", "2nde-pro-artisanat-ebeniste", "cap-staffeur-ornemaniste"
P1, P2, P3, P4 = "0168000101A", "0168000102B", "0168000103C", "0168000104D"


def registration(
    ine: str, formation: str, opinion: str = "favorable", *, school: str = ORIGIN, **more: Any
) -> dict[str, Any]:
    """The origin school registers its pupil."""
    return {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": school,
        "channel": "portal",
        "pupil": {
            "ine": ine,
            "last_name": "Lefèvre",
            "first_name": f"Inès {ine[-2:]}",
            "birth_date": "1998-03-02",
            "class_level": "3eme",
        },
        "origin_uai": school,
        "referent": {"name": "Mme Durand", "email": f"referent.{ine.lower()}@example.org"},
        "formation_code": formation,
        "origin_opinion": opinion,
        "origin_comment": f"Avis {opinion}.",
        **more,
    }


def commands() -> list[dict[str, Any]]:
    """A pupil registered again for another formation, then with a mailbox; an opinion updated; two schools."""
    return [
        registration(P1, EBENISTE),
        registration(P2, EBENISTE),
        registration(P1, EBENISTE_PRO, origin_mailbox="secretariat.0930122c@example.org"),
        registration(P3, STAFF, "reserve"),
        registration(P3, STAFF, "assez_favorable"),
        registration(P4, STAFF, school=OTHER_ORIGIN),
        registration(P1, STAFF),
    ]


async def published(pool: asyncpg.Pool) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Each outgoing row, in order, by exchange (the schools' copies of a batch follow its events), without what is
    drawn afresh (its event id) or read from the clock while it runs."""
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for row in await pool.fetch("SELECT exchange, routing_key, body FROM outbox ORDER BY id"):
        body = json.loads(row["body"])
        for drawn in ("event_id", "occurred_at", "registered_at"):
            body.pop(drawn, None)
        out.setdefault(row["exchange"], []).append((row["routing_key"], body))
    return out


async def test_registrations_handled_in_sets_leave_the_rows_and_events_of_one_by_one(
    schemas: tuple[str, str],
) -> None:
    keyed = [("register_candidacy", body) for body in commands()]
    alone, together = await fresh(schemas[0], ENROLLMENT, CLOCK), await fresh(schemas[1], ENROLLMENT, CLOCK)
    try:
        await one_by_one(commands_consumer(alone, ENROLLMENT), keyed)
        await all_at_once(commands_consumer(together, ENROLLMENT, batch_size=16), keyed)

        columns = (
            "ine, formation_code, domain_code, origin_uai, channel, last_name, first_name, birth_date, class_level,"
            " referent_name, referent_email, origin_opinion, origin_comment, active, revision, origin_mailbox"
        )
        query = f"SELECT {columns} FROM candidacies ORDER BY ine, formation_code"
        rows = [dict(r) for r in await alone.fetch(query)]
        assert [dict(r) for r in await together.fetch(query)] == rows
        assert [(r["ine"], r["revision"]) for r in rows] == [(P1, 1)] * 3 + [(P2, 1), (P3, 2), (P4, 1)]
        assert {r["origin_mailbox"] for r in rows if r["ine"] == P1} == {"secretariat.0930122c@example.org"}
        assert await published(together) == await published(alone)
        events = (await published(alone))["passpro.events"]
        assert [key for key, _ in events] == ["enrollment.candidacy_registered"] * 7
        assert await transactions(together) == 1 and await transactions(alone) == 7
        # The update keeps the candidacy's first registration instant, in the event too.
        for pool in (alone, together):
            firsts = {
                (r["ine"], r["formation_code"]): r["registered_at"]
                for r in await pool.fetch("SELECT ine, formation_code, registered_at FROM candidacies")
            }
            registered = "SELECT body FROM outbox WHERE routing_key = 'enrollment.candidacy_registered'"
            for row in await pool.fetch(registered):
                event = json.loads(row["body"])
                said = datetime.fromisoformat(event["registered_at"])
                assert said == firsts[(event["ine"], event["formation_code"])]
    finally:
        await alone.close()
        await together.close()


def news(key: str, interview_id: uuid.UUID, ine: str, **more: Any) -> tuple[str, dict[str, Any]]:
    body = {**envelope(CLOCK), "interview_id": str(interview_id), "ine": ine, "domain_code": "ebenisterie", **more}
    return key, body


async def test_r9_r21_interview_news_handled_in_sets_leave_the_statuses_of_one_by_one(schemas: tuple[str, str]) -> None:
    starts = CLOCK + timedelta(days=20)
    booking = {
        "reception_uai": "0932045T",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=30)).isoformat(),
        "place": "Salle 12",
        "formation_codes": [EBENISTE],
    }
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    keyed = [
        news("scheduling.interview_booked", first, P1, **booking),
        news("scheduling.interview_cancelled", second, P2, reason="candidacies_withdrawn"),  # before its booking
        news("opinions.interview_reported", first, P1, attended=True, report="Motivé.", reception_uai="0932045T"),
        news("scheduling.interview_booked", second, P2, **booking),
        news("scheduling.interview_booked", third, P3, **booking),
        news("opinions.interview_reported", third, P3, attended=False, report="", reception_uai="0932045T"),
    ]
    alone, together = await fresh(schemas[0], ENROLLMENT, CLOCK), await fresh(schemas[1], ENROLLMENT, CLOCK)
    try:
        await one_by_one(events_consumer(alone, ENROLLMENT), keyed)
        await all_at_once(events_consumer(together, ENROLLMENT, batch_size=16), keyed)

        query = "SELECT interview_id, ine, domain_code, starts_at, status FROM interviews ORDER BY interview_id"
        statuses = [dict(r) for r in await alone.fetch(query)]
        assert [dict(r) for r in await together.fetch(query)] == statuses
        assert {r["interview_id"]: r["status"] for r in statuses} == {
            first: "attended",
            second: "cancelled",
            third: "absent",
        }
        assert await transactions(together) == 1
    finally:
        await alone.close()
        await together.close()
