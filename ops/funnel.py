"""``passpro ops campaign``: the running campaign's funnel, from each service's own counts (``GET /campaign``).

No service reads another's tables: each one answers for what it owns, and this command puts the
answers side by side, from registration to the bonus in Affelnet.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from contracts import routing
from contracts.base import FinalOpinion
from contracts.campaign import Campaign, CampaignFileError, load_campaign
from ops.settings import OpsSettings

FINAL_LABELS = {
    FinalOpinion.TRES_FAVORABLE: "très favorable",
    FinalOpinion.FAVORABLE: "favorable",
    FinalOpinion.ASSEZ_FAVORABLE: "assez favorable",
    FinalOpinion.PEU_FAVORABLE: "peu favorable",
    FinalOpinion.RESERVE: "réservé",
}


@dataclass
class Snapshot:
    """What each service answered, and which ones could not be reached."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    unreachable: dict[str, str] = field(default_factory=dict)

    def figures(self, service: str) -> dict[str, Any] | None:
        answer = self.answers.get(service)
        return answer["figures"] if answer else None

    @property
    def now(self) -> str | None:
        return next((a["now"] for a in self.answers.values()), None)


async def collect(settings: OpsSettings, timeout: float = 10.0) -> Snapshot:
    snapshot = Snapshot()
    async with httpx.AsyncClient(timeout=timeout) as client:

        async def ask(service: str) -> None:
            url = settings.service_urls[service].rstrip("/") + "/campaign"
            try:
                response = await client.get(url)
                response.raise_for_status()
                snapshot.answers[service] = response.json()
            except httpx.HTTPError as error:
                snapshot.unreachable[service] = f"{url}: {type(error).__name__}"

        await asyncio.gather(*(ask(service) for service in routing.SERVICES))
    return snapshot


def funnel(snapshot: Snapshot) -> dict[str, Any]:
    """The campaign's funnel as one flat mapping, from the services' answers (missing parts are None)."""
    enrollment = snapshot.figures("enrollment")
    scheduling = snapshot.figures("scheduling")
    opinions = snapshot.figures("opinions")
    export = snapshot.figures("affelnet_export")
    notifications = snapshot.figures("notifications")
    result: dict[str, Any] = {"now": snapshot.now, "unreachable": snapshot.unreachable}
    result["candidacies"] = enrollment["candidacies"] if enrollment else None
    if scheduling:
        domains = scheduling["needs_by_domain"]
        result["interviews"] = scheduling["interviews"]
        result["waiting_by_domain"] = {d["domain_code"]: d["waiting"] for d in domains if d["waiting"]}
        result["seats_by_domain"] = {
            d["domain_code"]: {"declared": d["seats_declared"], "taken": d["seats_taken"]} for d in domains
        }
        result["no_shows_by_origin"] = scheduling["no_shows_by_origin"]
        result["interviews_at_risk"] = scheduling.get("interviews_at_risk", [])
    if opinions:
        schools = opinions["reports_by_reception_school"]
        result["reports"] = {
            **opinions["reports"],
            "due": sum(s["due"] for s in schools),
            "overdue": sum(s["overdue"] for s in schools),
        }
        result["reports_by_reception_school"] = schools
        result["finals_by_value"] = opinions["finals_by_value"]
    if export:
        result["confirmations"] = export["confirmations"]
        result["bonuses"] = {state: v["count"] for state, v in export["bonuses"].items()}
    if notifications:
        result["mails"] = notifications["mails"]
    return result


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    return table


def alarm_line(alarm: dict[str, Any], campaign: Campaign | None = None) -> str:
    """R15, R17: one domain's pupils registered in time who still wait as the window closes, by the domain's label."""
    known = campaign.domain(alarm["domain_code"]) if campaign else None
    pupils = "1 pupil" if alarm["waiting_pupils"] == 1 else f"{alarm['waiting_pupils']} pupils"
    day = alarm["last_booking_day"]
    when = (
        f"last day to book: {date.fromisoformat(day):%d/%m/%Y}"
        if day
        else "no day left to book: they can no longer be received"
    )
    label = escape(known.label if known else alarm["domain_code"])
    wait = "still waits" if alarm["waiting_pupils"] == 1 else "still wait"
    return f"[bold red]Alarm:[/] {pupils} of {label} {wait}; {when}"


def render(f: dict[str, Any], *, top: int = 10, campaign: Campaign | None = None) -> Group:
    """The funnel's tables; schools by name with their UAI when ``campaign``'s directory knows them."""
    school = campaign.school_label if campaign else str
    parts: list[Any] = []
    steps = _table("Funnel", "step", "count")
    c = f.get("candidacies")
    if c:
        steps.add_row("candidacies registered", str(c["registered"]))
        steps.add_row("  withdrawn", str(c["withdrawn"]))
        steps.add_row("  active", str(c["active"]))
        steps.add_row("pupils", str(c["pupils"]))
    i = f.get("interviews")
    if i:
        steps.add_row("pupils waiting for a seat", str(sum(f["waiting_by_domain"].values())))
        steps.add_row("interviews booked (to come)", str(i["booked"]))
        steps.add_row("interviews held", str(i["attended"]))
        steps.add_row("pupils absent", str(i["absent"]))
        steps.add_row("interviews cancelled", str(i["cancelled"]))
    r = f.get("reports")
    if r:
        steps.add_row("reports received", str(r["attended"] + r["absent"]))
        steps.add_row("reports due", str(r["due"]))
        steps.add_row("reports overdue", f"[bold red]{r['overdue']}[/]" if r["overdue"] else "0")
    finals = f.get("finals_by_value")
    if finals is not None:
        steps.add_row("final opinions", str(sum(finals.values())))
    if "confirmations" in f:
        steps.add_row("wishes confirmed", str(f["confirmations"]))
        b = f["bonuses"]
        steps.add_row("bonuses delivered to Affelnet", str(b["delivered"]))
        steps.add_row("bonuses pending", str(b["pending"] + b["sending"]))
        steps.add_row("bonuses parked", f"[bold red]{b['parked']}[/]" if b["parked"] else "0")
    parts.append(steps)
    if finals:
        table = _table("Final opinions", "opinion", "count")
        for value in FinalOpinion:
            table.add_row(FINAL_LABELS[value], str(finals.get(value.value, 0)))
        parts.append(table)
    if f.get("waiting_by_domain"):
        table = _table("Pupils waiting for a seat", "domain", "waiting", "seats declared", "seats taken")
        for domain, waiting in sorted(f["waiting_by_domain"].items(), key=lambda kv: -kv[1]):
            seats = f["seats_by_domain"].get(domain, {"declared": 0, "taken": 0})
            table.add_row(domain, str(waiting), str(seats["declared"]), str(seats["taken"]))
        parts.append(table)
    late = [s for s in f.get("reports_by_reception_school") or [] if s["overdue"] or s["due"]]
    if late:
        table = _table("Reports per reception school", "school", "received", "due", "overdue")
        for s in sorted(late, key=lambda s: (-s["overdue"], -s["due"], s["reception_uai"]))[:top]:
            table.add_row(
                school(s["reception_uai"]),
                str(s["reported"]),
                str(s["due"]),
                f"[red]{s['overdue']}[/]" if s["overdue"] else "0",
            )
        parts.append(table)
    no_shows = f.get("no_shows_by_origin")
    if no_shows:
        table = _table("No-show rates per origin school", "school", "reported", "absent", "rate")
        for s in sorted(no_shows, key=lambda s: (-s["rate"], s["origin_uai"]))[:top]:
            table.add_row(school(s["origin_uai"]), str(s["reported"]), str(s["absent"]), f"{100 * s['rate']:.0f} %")
        parts.append(table)
    if f.get("mails"):
        table = _table("Mails", "kind", "sent", "waiting")
        for kind, states in sorted(f["mails"].items()):
            waiting = states.get("pending", 0) + states.get("sending", 0)
            table.add_row(kind, str(states.get("sent", 0)), str(waiting))
        parts.append(table)
    for alarm in f.get("interviews_at_risk") or []:
        parts.append(alarm_line(alarm, campaign))
    for service, why in sorted(f["unreachable"].items()):
        parts.append(Panel(f"{service} did not answer ({why}): its part of the funnel is missing", style="bold red"))
    return Group(*parts)


def show(
    as_json: bool = typer.Option(False, "--json", help="print the funnel as JSON"),
    top: int = typer.Option(10, help="rows shown per school table"),
) -> None:
    """The running campaign's funnel: candidacies, interviews, reports, final opinions, bonuses."""
    settings = OpsSettings()
    snapshot = asyncio.run(collect(settings))
    f = funnel(snapshot)
    if as_json:
        typer.echo(json.dumps(f, indent=2, ensure_ascii=False))
    else:
        console = Console()
        try:
            campaign: Campaign | None = load_campaign(settings.campaign_file)
        except CampaignFileError as error:  # the figures still help; schools are then shown by UAI only
            campaign = None
            console.print(f"[yellow]{error}: schools are shown by UAI[/]")
        console.print(f"[bold]Campaign funnel[/] at {f['now'] or 'unknown time'} (campaign clock)")
        console.print(render(f, top=top, campaign=campaign))
    if snapshot.unreachable:
        raise typer.Exit(1)
