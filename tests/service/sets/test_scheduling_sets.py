"""Scheduling's set-based registrations against one by one, on the real database through real deliveries (R9, R13,
R15): registrations handled as a batch, in sets of distinct pupils, leave the same needs and the same planning
rounds as each handled alone, in order.

Among them: a second formation of a domain, an update of a formation already in the need (no new round), a need
registered again after its withdrawal, and a pupil already waiting for a seat in a domain (that need stays out of
the round another domain's registration starts).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.scheduling.app import SERVICE as SCHEDULING
from tests.service.delivering import envelope, events_consumer
from tests.service.sets.compare import Keyed, all_at_once, fresh, one_by_one, schemas, transactions

__all__ = ["schemas"]  # the fixture

CLOCK = datetime(2013, 2, 12, 9, 0, tzinfo=UTC)
P1, P2, P3, P4 = "0168000101A", "0168000102B", "0168000103C", "0168000104D"
EBENISTE, EBENISTE_PRO, STAFF = "cap-ebeniste", "2nde-pro-artisanat-ebeniste", "cap-staffeur-ornemaniste"
DOMAIN_OF = {EBENISTE: "ebenisterie", EBENISTE_PRO: "ebenisterie", STAFF: "ceramique-staff"}


def registered(ine: str, formation: str, minute: int, opinion: str = "favorable") -> tuple[str, Any]:
    return "enrollment.candidacy_registered", {
        **envelope(CLOCK),
        "ine": ine,
        "formation_code": formation,
        "domain_code": DOMAIN_OF[formation],
        "origin_uai": "0930122C",
        "origin_opinion": opinion,
        "pupil": {"ine": ine, "last_name": "Lefèvre", "first_name": "Inès"},
        "referent": {"name": "Mme Durand", "email": "referent@example.org"},
        "origin_comment": f"Avis {opinion}.",
        "channel": "portal",
        "registered_at": (CLOCK + timedelta(minutes=minute)).isoformat(),
        "revision": 1,
    }


def withdrawn(ine: str, formation: str) -> tuple[str, Any]:
    return "enrollment.candidacy_withdrawn", {
        **envelope(CLOCK),
        "ine": ine,
        "formation_code": formation,
        "domain_code": DOMAIN_OF[formation],
        "origin_uai": "0930122C",
        "reason": "renonce",
        "remaining_in_domain": 0,
    }


def messages() -> Keyed:
    return [
        registered(P1, EBENISTE, 0),
        registered(P2, EBENISTE, 1),
        registered(P1, EBENISTE_PRO, 2),
        registered(P2, EBENISTE, 3, "reserve"),  # an update: nothing new to plan
        registered(P3, STAFF, 4),
        withdrawn(P3, STAFF),
        registered(P3, STAFF, 5),  # waiting again
        registered(P4, STAFF, 6),  # a round for this domain; P4's waiting need stays out of it
        registered(P4, EBENISTE_PRO, 7),  # a formation added to the need waiting for a seat
    ]


async def seed(pool: asyncpg.Pool) -> None:
    """P4 was planned in ebenisterie and waits for a seat there (no round: plan_after NULL)."""
    await pool.execute(
        "INSERT INTO needs (campaign, ine, domain_code, origin_uai, registered_at, formation_codes, state)"
        " VALUES ('2013', $1, 'ebenisterie', '0930122C', $2, $3, 'waiting')",
        P4,
        CLOCK - timedelta(days=1),
        [EBENISTE],
    )


NEEDS = (
    "SELECT ine, domain_code, origin_uai, registered_at, formation_codes, state, plan_after IS NOT NULL AS in_round"
    " FROM needs ORDER BY ine, domain_code"
)


async def test_r13_r15_registrations_in_sets_leave_the_needs_and_rounds_of_one_by_one(
    schemas: tuple[str, str],
) -> None:
    keyed = messages()
    alone, together = await fresh(schemas[0], SCHEDULING, CLOCK), await fresh(schemas[1], SCHEDULING, CLOCK)
    try:
        for pool in (alone, together):
            await seed(pool)
        await one_by_one(events_consumer(alone, SCHEDULING), keyed)
        await all_at_once(events_consumer(together, SCHEDULING, batch_size=16), keyed)

        reference = [dict(r) for r in await alone.fetch(NEEDS)]
        assert [dict(r) for r in await together.fetch(NEEDS)] == reference
        assert await transactions(together) == 1 and await transactions(alone) == len(keyed)
        needs = {(n["ine"], n["domain_code"]): n for n in reference}
        assert needs[(P1, "ebenisterie")]["formation_codes"] == [EBENISTE, EBENISTE_PRO]
        assert needs[(P3, "ceramique-staff")]["state"] == "waiting"
        assert needs[(P4, "ebenisterie")]["formation_codes"] == [EBENISTE, EBENISTE_PRO]
        assert not needs[(P4, "ebenisterie")]["in_round"] and needs[(P4, "ceramique-staff")]["in_round"]
    finally:
        await alone.close()
        await together.close()
