"""``passpro ops planning UAI DATE``: a reception school's planning sheet for one day, as it stands now (R14, R19).

The same lines and CSV file as the sheet the school receives by mail, read from the notifications service
with the operators' token (they name pupils: minors' data, never shown without it).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from ops.settings import OpsSettings


def fetch(settings: OpsSettings, uai: str, day: date, timeout: float = 10.0) -> dict[str, Any]:
    """The day's sheet from notifications; a refusal (unknown school) is said in plain words."""
    url = settings.service_urls["notifications"].rstrip("/") + "/read/planning"
    response = httpx.get(
        url,
        params={"uai": uai, "date": day.isoformat()},
        timeout=timeout,
        headers={"Authorization": f"Bearer {settings.ops_token}"},
    )
    if response.status_code in (400, 401, 404):
        raise typer.BadParameter(response.json().get("error", response.text))
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def render(sheet: dict[str, Any]) -> Table:
    school = sheet["school"]
    day = date.fromisoformat(sheet["day"])
    table = Table(
        title=f"Planning of {school['name']} ({school['uai']}), {day:%d/%m/%Y}: {len(sheet['lines'])} interview(s)"
    )
    for column in ("time", "pupil", "origin school", "domain, place", "formations, origin opinion and comment"):
        table.add_column(column)
    for line in sheet["lines"]:
        table.add_row(
            line["hours"],
            line["pupil"],
            line["origin"],
            f"{line['domain']}\n{line['place']}",
            "\n".join(line["formations"]),
        )
    return table


def show(
    uai: str = typer.Argument(..., help="UAI of the reception school"),
    day: str = typer.Argument(..., metavar="DATE", help="the interview day, YYYY-MM-DD"),
    csv_file: str | None = typer.Option(None, "--csv", help="also write the sheet's CSV file"),
) -> None:
    """A reception school's planning sheet for one day, as it stands now: who comes, with their dossier."""
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        raise typer.BadParameter(f"{day!r} is not a date (YYYY-MM-DD)", param_hint="DATE") from None
    sheet = fetch(OpsSettings(), uai, wanted)
    Console().print(render(sheet))
    if csv_file is not None:
        Path(csv_file).write_bytes(sheet["csv"].encode("utf-8"))
        typer.echo(f"written {csv_file}")
