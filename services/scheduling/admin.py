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


async def _run(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    campaign = load_campaign(settings.campaign_file).campaign
    conn = await asyncpg.connect(**settings.database_login("scheduling").arguments(),
                                 server_settings={"search_path": "scheduling"})
    try:
        rows = [dict(r) async for r in q.no_shows_by_origin(conn, campaign=campaign)]
    finally:
        await conn.close()
    for row in rows:
        row["rate_pct"] = round(100 * row["absent"] / row["reported"], 1)
    if args.csv:
        with args.csv.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=["origin_uai", "reported", "absent", "rate_pct"])
            writer.writeheader()
            writer.writerows(rows)
    table = Table(title=f"No-shows per origin school, campaign {campaign}")
    for column in ("origin school", "interviews reported", "absent", "no-show rate"):
        table.add_column(column, justify="left" if column == "origin school" else "right")
    for row in rows:
        table.add_row(row["origin_uai"], str(row["reported"]), str(row["absent"]), f"{row['rate_pct']} %")
    Console().print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("no-shows", help="no-show rates per origin school").add_argument("--csv", type=Path, default=None)
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
