"""Notifications' set-based handlers against one by one, on the real database through real deliveries (R9, R10,
R19, R20b, R26): registrations and bookings handled as a batch, in sets of distinct pupils or interviews, leave the
same pupils, candidacies, interviews, planning marks and asked mails as each handled alone, in order.

The bookings include one whose cancellation came first and one whose report came first (neither is mailed), and
a booking delivered again; the registrations a pupil registered again after a booking (the day's sheet changed).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.notifications.app import SERVICE as NOTIFICATIONS
from tests.service.delivering import envelope, events_consumer
from tests.service.sets.compare import Keyed, all_at_once, fresh, one_by_one, schemas, transactions

__all__ = ["schemas"]  # the fixture

CLOCK = datetime(2013, 2, 12, 9, 0, tzinfo=UTC)
STARTS = datetime(2013, 3, 5, 8, 0, tzinfo=UTC)
RECEPTION, OTHER_RECEPTION = "0932045T", "0940784S"
P1, P2, P3, P4 = "0168000101A", "0168000102B", "0168000103C", "0168000104D"


def registered(ine: str, formation: str, domain: str, opinion: str = "favorable", **more: Any) -> tuple[str, Any]:
    return "enrollment.candidacy_registered", {
        **envelope(CLOCK),
        "ine": ine,
        "formation_code": formation,
        "domain_code": domain,
        "origin_uai": "0930122C",
        "origin_opinion": opinion,
        "pupil": {"ine": ine, "last_name": "Lefèvre", "first_name": f"Inès {ine[-2:]}"},
        "referent": {"name": "Mme Durand", "email": f"referent.{ine.lower()}@example.org"},
        "origin_comment": f"Avis {opinion}.",
        "channel": "portal",
        "registered_at": CLOCK.isoformat(),
        "revision": more.pop("revision", 1),
        **more,
    }


def booked(interview_id: uuid.UUID, ine: str, day: int, school: str = RECEPTION) -> tuple[str, Any]:
    starts = STARTS + timedelta(days=day)
    return "scheduling.interview_booked", {
        **envelope(CLOCK + timedelta(minutes=day)),
        "interview_id": str(interview_id),
        "ine": ine,
        "domain_code": "ebenisterie",
        "reception_uai": school,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=30)).isoformat(),
        "place": "Salle des entretiens, bâtiment B",
        "formation_codes": ["cap-ebeniste", "2nde-pro-artisanat-ebeniste"],
    }


def messages() -> Keyed:
    i1, i2, i3, i4, i5 = (uuid.uuid4() for _ in range(5))
    return [
        registered(P1, "cap-ebeniste", "ebenisterie"),
        registered(P2, "cap-ebeniste", "ebenisterie"),
        booked(i1, P1, 0),
        booked(i2, P2, 0),
        (
            "scheduling.interview_cancelled",
            {**envelope(CLOCK), "interview_id": str(i3), "ine": P3, "domain_code": "ebenisterie", "reason": "x"},
        ),
        (
            "opinions.interview_reported",
            {
                **envelope(CLOCK),
                "interview_id": str(i4),
                "ine": P4,
                "domain_code": "ebenisterie",
                "attended": True,
                "reception_uai": RECEPTION,
                "report": "Très motivé.",
            },
        ),
        booked(i3, P3, 1),
        booked(i4, P4, 1, OTHER_RECEPTION),
        registered(P1, "cap-staffeur-ornemaniste", "ceramique-staff", origin_mailbox="secretariat@example.org"),
        registered(P2, "cap-ebeniste", "ebenisterie", "reserve", revision=2),
        booked(i5, P1, 2, OTHER_RECEPTION),
        booked(i1, P1, 0),  # the first booking delivered again, under another event id
        registered(P3, "cap-ebeniste", "ebenisterie"),
    ]


TABLES = {
    "pupils": "SELECT ine, first_name, last_name, origin_uai, referent_email, referent_name, revision, origin_mailbox"
    " FROM pupils ORDER BY ine",
    "candidacies": "SELECT ine, formation_code, domain_code, origin_opinion, origin_comment, withdrawn"
    " FROM candidacies ORDER BY ine, formation_code",
    "interviews": "SELECT interview_id, ine, domain_code, reception_uai, place, starts_at, ends_at, formation_codes,"
    " cancelled, reminder_due, cancel_reason FROM interviews ORDER BY interview_id",
    "planning marks": "SELECT reception_uai, day, count(*) AS marks FROM planning_marks"
    " GROUP BY reception_uai, day ORDER BY reception_uai, day",
    "mails": "SELECT key, kind, ine, interview_id, domain_code, reception_uai, state, stamped_at, revision, facts"
    " FROM mails ORDER BY key",
}


async def contents(pool: asyncpg.Pool) -> dict[str, list[dict[str, Any]]]:
    return {table: [dict(r) for r in await pool.fetch(query)] for table, query in TABLES.items()}


async def test_r19_registrations_and_bookings_handled_in_sets_leave_what_one_by_one_leaves(
    schemas: tuple[str, str],
) -> None:
    keyed = messages()
    alone = await fresh(schemas[0], NOTIFICATIONS, CLOCK)
    together = await fresh(schemas[1], NOTIFICATIONS, CLOCK)
    try:
        await one_by_one(events_consumer(alone, NOTIFICATIONS), keyed)
        await all_at_once(events_consumer(together, NOTIFICATIONS, batch_size=16), keyed)

        reference = await contents(alone)
        assert await contents(together) == reference
        assert await transactions(together) == 1 and await transactions(alone) == len(keyed)
        # What the reference itself says (the rules' own tests prove why).
        assert len(reference["pupils"]) == 3 and len(reference["candidacies"]) == 4  # P4 is not registered
        convocations = [m for m in reference["mails"] if m["kind"] == "convocation"]
        assert len(convocations) == 3  # not the interview cancelled first, nor the one reported first
        marks = {(m["reception_uai"], m["day"]): m["marks"] for m in reference["planning marks"]}
        assert marks[(RECEPTION, STARTS.date())] == 5  # 2 bookings, one again, then P1 and P2 registered again
    finally:
        await alone.close()
        await together.close()
