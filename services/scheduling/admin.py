"""Operators' view of scheduling: ``python -m services.scheduling.admin no-shows [--csv FILE]``.

No-show rates per origin school (R21): of the interviews reported, how many the pupil missed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.table import Table

from contracts.campaign import load_campaign
from services.runtime.settings import ServiceSettings
from services.scheduling.repository import q

CSV_COLUMNS = ("UAI", "Établissement d'origine", "Entretiens comptes rendus", "Absences", "Taux d'absence (%)")


async def _run(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    loaded = load_campaign(settings.campaign_file)
    campaign = loaded.campaign
    conn = await asyncpg.connect(**settings.database_login("scheduling").arguments(),
                                 server_settings={"search_path": "scheduling"})
    try:
        rows = [dict(r) async for r in q.no_shows_by_origin(conn, campaign=campaign)]
    finally:
        await conn.close()
    for row in rows:
        row["rate_pct"] = round(100 * row["absent"] / row["reported"], 1)
        school = loaded.school(row["origin_uai"])
        row["name"] = school.name if school else ""
    if args.csv:
        # For a French spreadsheet: ';', UTF-8 with a byte-order mark, decimal commas.
        with args.csv.open("w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(CSV_COLUMNS)
            for row in rows:
                writer.writerow([row["origin_uai"], row["name"], row["reported"], row["absent"],
                                 f"{row['rate_pct']:.1f}".replace(".", ",")])
    table = Table(title=f"No-shows per origin school, campaign {campaign}")
    for column in ("origin school", "interviews reported", "absent", "no-show rate"):
        table.add_column(column, justify="left" if column == "origin school" else "right")
    for row in rows:
        shown = f"{row['name']} ({row['origin_uai']})" if row["name"] else row["origin_uai"]
        table.add_row(shown, str(row["reported"]), str(row["absent"]), f"{row['rate_pct']} %")
    Console().print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("no-shows", help="no-show rates per origin school").add_argument("--csv", type=Path, default=None)
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
