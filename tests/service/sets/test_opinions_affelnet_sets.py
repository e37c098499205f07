"""Opinions' and Affelnet export's set-based handlers against one by one, on the real database through real
deliveries (R9, R22, R24, R25, R27, R28): registrations and bookings handled as a batch, in sets of distinct pupils
or interviews, leave the same rows and publish the same events as each handled alone, in order.

Some candidacies are registered after the other half of what they need arrived (a reception opinion, a final opinion
and a confirmation): their final opinion, or their bonus, is due at the registration, in a set as alone.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.affelnet_export.app import SERVICE as AFFELNET_EXPORT
from services.opinions.app import SERVICE as OPINIONS
from services.runtime.service import Service
from tests.service.delivering import envelope, events_consumer
from tests.service.sets.compare import Keyed, all_at_once, fresh, one_by_one, schemas, transactions

__all__ = ["schemas"]  # the fixture

CLOCK = datetime(2013, 2, 12, 9, 0, tzinfo=UTC)
STARTS = datetime(2013, 3, 5, 8, 0, tzinfo=UTC)
RECEPTION = "0932045T"
P1, P2, P3 = "0168000101A", "0168000102B", "0168000103C"
EBENISTE, EBENISTE_PRO = "cap-ebeniste", "2nde-pro-artisanat-ebeniste"
HELD = uuid.UUID("6f1c2d3e-0000-4000-8000-000000000001")
"""The interview P1 had before its registration reached these services (the report came first)."""


def registered(ine: str, formation: str, opinion: str = "favorable", revision: int = 1) -> tuple[str, Any]:
    return "enrollment.candidacy_registered", {
        **envelope(CLOCK),
        "ine": ine,
        "formation_code": formation,
        "domain_code": "ebenisterie",
        "origin_uai": "0930122C",
        "origin_opinion": opinion,
        "pupil": {"ine": ine, "last_name": "Lefèvre", "first_name": "Inès"},
        "referent": {"name": "Mme Durand", "email": "referent@example.org"},
        "origin_comment": f"Avis {opinion}.",
        "channel": "portal",
        "registered_at": CLOCK.isoformat(),
        "revision": revision,
    }


def booked(interview_id: uuid.UUID, ine: str, day: int) -> tuple[str, Any]:
    starts = STARTS + timedelta(days=day)
    return "scheduling.interview_booked", {
        **envelope(CLOCK),
        "interview_id": str(interview_id),
        "ine": ine,
        "domain_code": "ebenisterie",
        "reception_uai": RECEPTION,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=30)).isoformat(),
        "place": "Salle 12",
        "formation_codes": [EBENISTE],
    }


def withdrawn(ine: str, formation: str) -> tuple[str, Any]:
    return "enrollment.candidacy_withdrawn", {
        **envelope(CLOCK),
        "ine": ine,
        "formation_code": formation,
        "domain_code": "ebenisterie",
        "origin_uai": "0930122C",
        "reason": "renonce",
        "remaining_in_domain": 0,
    }


def messages() -> Keyed:
    i2, i3 = uuid.uuid4(), uuid.uuid4()
    cancelled = {**envelope(CLOCK), "interview_id": str(i3), "ine": P3, "domain_code": "ebenisterie", "reason": "x"}
    return [
        registered(P1, EBENISTE),
        registered(P2, EBENISTE),
        registered(P1, EBENISTE_PRO, "reserve"),
        booked(i2, P2, 0),
        ("scheduling.interview_cancelled", cancelled),
        booked(i3, P3, 1),  # its cancellation came first
        registered(P2, EBENISTE, "assez_favorable", revision=2),
        registered(P2, EBENISTE, "favorable", revision=1),  # an older revision, late: changes nothing
        withdrawn(P3, EBENISTE),
        registered(P3, EBENISTE),  # registered again after its withdrawal
        booked(i2, P2, 0),  # delivered again, under another event id
    ]


async def seed_opinions(pool: asyncpg.Pool) -> None:
    """P1's interview was reported on, with the reception school's opinions on both formations."""
    await pool.execute(
        "INSERT INTO interviews (interview_id, campaign, ine, domain_code, reception_uai, starts_at, due_on)"
        " VALUES ($1, '2013', $2, 'ebenisterie', $3, $4, $5)",
        HELD,
        P1,
        RECEPTION,
        STARTS,
        STARTS.date(),
    )
    for formation, opinion in ((EBENISTE, "favorable"), (EBENISTE_PRO, "reserve")):
        await pool.execute(
            "INSERT INTO reception_opinions (campaign, ine, formation_code, interview_id, opinion)"
            " VALUES ('2013', $1, $2, $3, $4)",
            P1,
            formation,
            HELD,
            opinion,
        )


async def seed_affelnet(pool: asyncpg.Pool) -> None:
    """P1's first formation has its final opinion and its family's confirmation; P3's has its final opinion."""
    for ine, formation in ((P1, EBENISTE), (P3, EBENISTE)):
        await pool.execute(
            "INSERT INTO final_opinions (campaign, ine, formation_code, final_opinion) VALUES ('2013', $1, $2, $3)",
            ine,
            formation,
            "tres_favorable",
        )
    await pool.execute(
        "INSERT INTO confirmations (campaign, ine, formation_code, wish_entered_on, confirmed_at)"
        " VALUES ('2013', $1, $2, $3, $4)",
        P1,
        EBENISTE,
        CLOCK.date(),
        CLOCK,
    )


async def published(pool: asyncpg.Pool) -> list[tuple[str, dict[str, Any]]]:
    """The events, in order, without what is drawn afresh (the event id) or read from the clock."""
    out = []
    for row in await pool.fetch("SELECT routing_key, body FROM outbox WHERE exchange = 'passpro.events' ORDER BY id"):
        body = json.loads(row["body"])
        body.pop("event_id")
        body.pop("occurred_at")
        out.append((row["routing_key"], body))
    return out


async def compare(schemas: tuple[str, str], service: Service, tables: dict[str, str], seed: Any) -> dict[str, Any]:
    """The same messages (those the service consumes) one by one and all at once; the tables and events of each.
    Returns the reference's."""
    keyed = [(key, body) for key, body in messages() if key in service.events]
    alone, together = await fresh(schemas[0], service, CLOCK), await fresh(schemas[1], service, CLOCK)
    try:
        for pool in (alone, together):
            await seed(pool)
        await one_by_one(events_consumer(alone, service), keyed)
        await all_at_once(events_consumer(together, service, batch_size=16), keyed)
        seen = []
        for pool in (alone, together):
            seen.append(
                {
                    **{table: [dict(r) for r in await pool.fetch(query)] for table, query in tables.items()},
                    "events": await published(pool),
                }
            )
        assert seen[1] == seen[0]
        assert await transactions(together) == 1 and await transactions(alone) == len(keyed)
        return seen[0]
    finally:
        await alone.close()
        await together.close()


async def test_r24_r25_opinions_in_sets_leave_what_one_by_one_leaves(schemas: tuple[str, str]) -> None:
    tables = {
        "candidacies": "SELECT ine, formation_code, domain_code, origin_uai, origin_opinion, revision, active"
        " FROM candidacies ORDER BY ine, formation_code",
        "interviews": "SELECT interview_id, ine, reception_uai, starts_at, due_on, cancelled FROM interviews"
        " ORDER BY interview_id",
        "finals": "SELECT ine, formation_code, origin_opinion, reception_opinion, final_opinion FROM final_opinions"
        " ORDER BY ine, formation_code",
    }

    reference = await compare(schemas, OPINIONS, tables, seed_opinions)

    assert [(f["ine"], f["formation_code"]) for f in reference["finals"]] == [(P1, EBENISTE_PRO), (P1, EBENISTE)]
    assert [key for key, _ in reference["events"]] == ["opinions.final_opinion_computed"] * 2
    p2 = next(c for c in reference["candidacies"] if c["ine"] == P2)
    assert (p2["origin_opinion"], p2["revision"]) == ("assez_favorable", 2)
    assert [i["cancelled"] for i in reference["interviews"] if i["ine"] == P3] == [True]


async def test_r27_r28_affelnet_export_in_sets_leaves_what_one_by_one_leaves(schemas: tuple[str, str]) -> None:
    tables = {
        "candidacies": "SELECT ine, formation_code, origin_uai, active FROM candidacies ORDER BY ine, formation_code",
        "bonuses": "SELECT ine, formation_code, final_opinion, bonus_points, idempotency_key, state, correlation_id"
        " FROM bonuses ORDER BY ine, formation_code",
    }

    reference = await compare(schemas, AFFELNET_EXPORT, tables, seed_affelnet)

    assert [(b["ine"], b["formation_code"], b["state"]) for b in reference["bonuses"]] == [(P1, EBENISTE, "pending")]
    assert all(c["active"] for c in reference["candidacies"])
