"""Operators' commands on bonuses: ``python -m services.affelnet_export.admin csv FILE | replay [--ine INE]``.

``csv`` writes every bonus of the campaign (delivered, pending, sending, parked, cancelled) with
its attempts and Affelnet's last answer; ``replay`` sends parked bonuses again after a fix. The service
also answers ``passpro ops failed`` (``GET /read/parked_bonuses``) and ``passpro ops replay-bonus``
(``POST /act/replay_bonus``): bonuses Affelnet refused for good (R30), shown with a masked INE and an ID.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from contracts.campaign import Campaign, load_campaign
from services.affelnet_export import domain
from services.affelnet_export.repository import ExportRepository
from services.runtime import logs
from services.runtime.service import ReadRefused
from services.runtime.settings import ServiceSettings

COLUMNS = (
    "campaign",
    "ine",
    "formation_code",
    "final_opinion",
    "bonus_points",
    "state",
    "attempts",
    "last_status",
    "last_answer",
    "created_at",
    "delivered_at",
)


LISTED = 200


def bonus_id(campaign: str, ine: str, formation_code: str) -> str:
    """The ID operators replay a parked bonus by: a keyed hash of its Idempotency-Key, which names the INE."""
    return logs.pseudonym(domain.idempotency_key(campaign, ine, formation_code))


def _masked(ine: str) -> str:
    return "*" * 8 + ine[-3:]


async def parked_view(
    conn: asyncpg.Connection, campaign: Campaign, now: datetime, params: Mapping[str, str]
) -> dict[str, Any]:
    """``GET /read/parked_bonuses``: R30, bonuses Affelnet refused for good, with its answer (INE masked)."""
    rows = await ExportRepository(conn, campaign.campaign).parked_bonuses(LISTED)
    return {
        "bonuses": [
            {
                "id": bonus_id(campaign.campaign, r.ine, r.formation_code),
                "ine": _masked(r.ine),
                "formation_code": r.formation_code,
                "final_opinion": r.final_opinion,
                "bonus_points": r.bonus_points,
                "attempts": r.attempts,
                "status": r.last_status,
                "answer": (r.last_answer or "").replace(r.ine, _masked(r.ine))[:300],
            }
            for r in rows
        ]
    }


async def replay_bonus(
    conn: asyncpg.Connection, campaign: Campaign, now: datetime, params: Mapping[str, str]
) -> dict[str, Any]:
    """``POST /act/replay_bonus?id=…`` (one parked bonus, by the ID the view shows) or ``?all=1``."""
    repo = ExportRepository(conn, campaign.campaign)
    wanted = params.get("id")
    if wanted is None:
        if params.get("all") != "1":
            raise ReadRefused("give the ID of a parked bonus, or all=1")
        return {"replayed": await repo.replay_parked()}
    for r in await repo.parked_bonuses(LISTED * 50):
        if bonus_id(campaign.campaign, r.ine, r.formation_code) == wanted:
            return {"replayed": await repo.replay_parked(r.ine, r.formation_code)}
    return {"replayed": 0}


async def _run(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    campaign = load_campaign(settings.campaign_file).campaign
    conn = await asyncpg.connect(
        **settings.database_login("affelnet_export").arguments(), server_settings={"search_path": "affelnet_export"}
    )
    try:
        repo = ExportRepository(conn, campaign)
        if args.command == "csv":
            count = 0
            with args.file.open("w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(COLUMNS)
                async for row in repo.all_bonuses():
                    writer.writerow([getattr(row, c) for c in COLUMNS])
                    count += 1
            print(f"{count} bonuses of campaign {campaign} written to {args.file}")
        else:
            print(f"{await repo.replay_parked(args.ine)} parked bonuses will be sent again")
    finally:
        await conn.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("csv", help="write the campaign's bonuses to a CSV file").add_argument("file", type=Path)
    sub.add_parser("replay", help="send parked bonuses again").add_argument("--ine", default=None)
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
