"""Operators' commands on bonuses: ``python -m services.affelnet_export.admin csv FILE | replay [--ine INE]``.

``csv`` writes every bonus of the campaign (delivered, pending, sending, parked, cancelled) with
its attempts and Affelnet's last answer; ``replay`` sends parked bonuses again after a fix.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from pathlib import Path

import asyncpg

from contracts.campaign import load_campaign
from services.affelnet_export.repository import ExportRepository
from services.runtime.settings import ServiceSettings

COLUMNS = ("campaign", "ine", "formation_code", "final_opinion", "bonus_points", "state", "attempts", "last_status",
           "last_answer", "created_at", "delivered_at")


async def _run(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    campaign = load_campaign(settings.campaign_file).campaign
    conn = await asyncpg.connect(**settings.database_login("affelnet_export").arguments(),
                                 server_settings={"search_path": "affelnet_export"})
    try:
        repo = ExportRepository(conn, campaign)
        if args.command == "csv":
            count = 0
            with args.file.open("w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(COLUMNS)
                async for row in repo.all_bonuses():
                    writer.writerow([row[c] for c in COLUMNS])
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
