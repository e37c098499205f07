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
from services.scheduling.repository import SchedulingRepository

CSV_COLUMNS = ("UAI", "Établissement d'origine", "Entretiens comptes rendus", "Absences", "Taux d'absence (%)")


async def _run(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    loaded = load_campaign(settings.campaign_file)
    campaign = loaded.campaign
    conn = await asyncpg.connect(
        **settings.database_login("scheduling").arguments(), server_settings={"search_path": "scheduling"}
    )
    try:
        rows = await SchedulingRepository(conn, campaign).no_shows_by_origin()
    finally:
        await conn.close()
    lines = []
    for row in rows:
        school = loaded.school(row.origin_uai)
        lines.append((row, school.name if school else "", round(100 * row.absent / row.reported, 1)))
    if args.csv:
        # For a French spreadsheet: ';', UTF-8 with a byte-order mark, decimal commas.
        with args.csv.open("w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(CSV_COLUMNS)
            for row, name, rate_pct in lines:
                writer.writerow([row.origin_uai, name, row.reported, row.absent, f"{rate_pct:.1f}".replace(".", ",")])
    table = Table(title=f"No-shows per origin school, campaign {campaign}")
    for column in ("origin school", "interviews reported", "absent", "no-show rate"):
        table.add_column(column, justify="left" if column == "origin school" else "right")
    for row, name, rate_pct in lines:
        shown = f"{name} ({row.origin_uai})" if name else row.origin_uai
        table.add_row(shown, str(row.reported), str(row.absent), f"{rate_pct} %")
    Console().print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("no-shows", help="no-show rates per origin school").add_argument("--csv", type=Path, default=None)
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
