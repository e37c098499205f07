"""What the outside world refused for good, beside parked messages: mails (SMTP 5xx) and bonuses (Affelnet 4xx).

Read from notifications and affelnet_export with the operators' token (``GET /read/refusals``,
``/read/parked_bonuses``); replayed there (``POST /act/…``) once the cause is fixed. No address is shown,
INEs are masked: a refused recipient is named by role (``referent``, ``origin_school``).
"""

from __future__ import annotations

from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from ops.settings import OpsSettings

VIEWS = {"mails": ("notifications", "refusals"), "bonuses": ("affelnet_export", "parked_bonuses")}


def _call(
    settings: OpsSettings, service: str, method: str, path: str, params: dict[str, str], timeout: float
) -> dict[str, Any]:
    url = settings.service_urls[service].rstrip("/") + path
    response = httpx.request(
        method, url, params=params, timeout=timeout, headers={"Authorization": f"Bearer {settings.ops_token}"}
    )
    if response.status_code in (400, 401, 404):
        raise typer.BadParameter(response.json().get("error", response.text))
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def fetch(settings: OpsSettings, timeout: float = 10.0) -> dict[str, Any]:
    """Refused mails and parked bonuses; a service that does not answer is said so, the rest still shown."""
    found: dict[str, Any] = {}
    for what, (service, view) in VIEWS.items():
        try:
            found[what] = _call(settings, service, "GET", f"/read/{view}", {}, timeout)[what]
        except (httpx.HTTPError, typer.BadParameter, KeyError) as error:  # the parked messages are still shown
            found[what] = None
            found.setdefault("unavailable", {})[service] = str(error) or type(error).__name__
    return found


def render(found: dict[str, Any], console: Console) -> None:
    for service, why in found.get("unavailable", {}).items():
        console.print(f"[bold red]{service} did not answer[/] ({why}): its refusals are not shown.")
    mails = found.get("mails") or []
    refused = [m for m in mails if m["state"] == "refused"]
    partial = [m for m in mails if m["state"] != "refused"]
    if refused:
        table = Table(title=f"Mails refused by the mail server: {len(refused)}", title_justify="left")
        for column in ("key (for replay-mail)", "kind", "reception school", "attempts", "refusal"):
            table.add_column(column, overflow="fold")
        for m in refused:
            table.add_row(m["key"], m["kind"], m["reception_uai"] or "-", str(m["attempts"]), m["refusal"] or "")
        console.print(table)
        console.print(
            "Fix the address (directory mailbox, referent given again), then `passpro ops replay-mail KEY` or `--all`."
        )
    if partial:
        table = Table(title=f"Mails sent without some recipients: {len(partial)}", title_justify="left")
        for column in ("key", "kind", "sent at", "not received by", "refusal"):
            table.add_column(column, overflow="fold")
        for m in partial:
            table.add_row(m["key"], m["kind"], m["sent_at"] or "-", ", ".join(m["refused_roles"]), m["refusal"] or "")
        console.print(table)
    bonuses = found.get("bonuses") or []
    if bonuses:
        table = Table(title=f"Bonuses refused by Affelnet: {len(bonuses)}", title_justify="left")
        for column in ("ID (for replay-bonus)", "INE", "formation", "final opinion", "status", "answer"):
            table.add_column(column, overflow="fold")
        for b in bonuses:
            table.add_row(
                b["id"], b["ine"], b["formation_code"], b["final_opinion"], str(b["status"]), b["answer"][:200]
            )
        console.print(table)
        console.print("Fix the cause, then `passpro ops replay-bonus ID` or `--all`.")
    if not (refused or partial or bonuses) and not found.get("unavailable"):
        console.print("No mail or bonus refused.")


def _replay(service: str, action: str, id_name: str, wanted: str | None, replay_all: bool) -> None:
    if (wanted is None) == (not replay_all):
        raise typer.BadParameter(f"give either {id_name} or --all")
    params = {"all": "1"} if wanted is None else {id_name.lower(): wanted}
    answer = _call(OpsSettings(), service, "POST", f"/act/{action}", params, 10.0)
    console = Console()
    if wanted is not None and not answer["replayed"]:
        console.print(f"[bold red]Nothing refused under {wanted}[/]: see `passpro ops failed`.")
        raise typer.Exit(1)
    console.print(f"[green]{answer['replayed']} put back to be sent again[/]")


def replay_mail(
    key: str | None = typer.Argument(None, help="the key `passpro ops failed` shows"),
    replay_all: bool = typer.Option(False, "--all", help="every refused mail of the campaign"),
) -> None:
    """Send a refused mail again once its address is fixed (the address is read afresh when it goes)."""
    _replay("notifications", "replay_refused", "KEY", key, replay_all)


def replay_bonus(
    bonus: str | None = typer.Argument(None, metavar="ID", help="the ID `passpro ops failed` shows"),
    replay_all: bool = typer.Option(False, "--all", help="every parked bonus of the campaign"),
) -> None:
    """Send a bonus Affelnet refused again, once the cause is fixed (same Idempotency-Key)."""
    _replay("affelnet_export", "replay_bonus", "ID", bonus, replay_all)
