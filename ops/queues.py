"""``passpro ops queues``: every queue of the vhost, its backlog, consumers and rates, and the ones that need a look."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import typer
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from contracts import routing
from ops.management import Management, ManagementError, QueueStats
from ops.settings import OpsSettings

SERVICE = "service"
RETRY = "retry"
PARKING = "parking"
OTHER = "other"

MISSING = "missing"
NO_CONSUMER = "no consumer"
GROWING = "growing"
PARKED = "parked"
WAITING = "waiting to retry"
WARNING_STYLES = {MISSING: "bold red", NO_CONSUMER: "bold red", GROWING: "yellow", PARKED: "magenta", WAITING: "yellow"}

_SERVICE_QUEUES = tuple(spec.name for spec in routing.QUEUES)
_PARKING_QUEUES = tuple(spec.parking for spec in routing.QUEUES)
_RETRY_QUEUES = {retry: spec.name for spec in routing.QUEUES for retry in spec.retries}


def retry_row_name(queue: str) -> str:
    """The one line that sums a work queue's retry queues (one per delay) in the table."""
    return f"{queue}.retry.*"


def kind_of(name: str) -> str:
    if name in _SERVICE_QUEUES:
        return SERVICE
    if name in _PARKING_QUEUES:
        return PARKING
    if name in _RETRY_QUEUES or (name.removesuffix(".retry.*") in _SERVICE_QUEUES and name.endswith(".retry.*")):
        return RETRY
    return OTHER


def is_growing(current: QueueStats, previous: QueueStats | None) -> bool:
    """More messages wait than at the last sample, or they arrive faster than they leave while some wait."""
    if previous is not None and current.ready > previous.ready:
        return True
    return current.ready > 0 and current.publish_rate > current.deliver_rate


def warnings(current: QueueStats, previous: QueueStats | None) -> tuple[str, ...]:
    """What an operator should look at on this queue, most serious first."""
    kind = kind_of(current.name)
    found: list[str] = []
    if kind == SERVICE and current.consumers == 0:
        found.append(NO_CONSUMER)
    if kind == PARKING:
        if current.ready + current.unacknowledged:
            found.append(PARKED)
    elif kind == RETRY:
        # Messages that met a database or broker outage: they come back by themselves, operators watch the backlog.
        if current.ready + current.unacknowledged:
            found.append(WAITING)
    elif is_growing(current, previous):
        found.append(GROWING)
    return tuple(found)


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    stats: QueueStats | None
    """None when the topology has the queue and the broker does not."""
    warnings: tuple[str, ...]


def _summed(name: str, parts: Sequence[QueueStats]) -> QueueStats:
    return QueueStats(
        name,
        sum(p.ready for p in parts),
        sum(p.unacknowledged for p in parts),
        sum(p.consumers for p in parts),
        sum(p.publish_rate for p in parts),
        sum(p.deliver_rate for p in parts),
    )


def rows(current: Sequence[QueueStats], previous: Mapping[str, QueueStats]) -> list[Row]:
    """Each service queue, then its retry queues summed in one line, then its parking queue, in the topology's
    order; then any other queue."""
    by_name = {q.name: q for q in current}
    result = []
    for spec in routing.QUEUES:
        for name in (spec.name, retry_row_name(spec.name), spec.parking):
            if name == retry_row_name(spec.name):
                parts = [by_name.pop(r) for r in spec.retries if r in by_name]
                stats = _summed(name, parts) if len(parts) == len(spec.retries) else None
            else:
                stats = by_name.pop(name, None)
            found = warnings(stats, previous.get(name)) if stats else (MISSING,)
            result.append(Row(name, kind_of(name), stats, found))
    for name in sorted(by_name):
        stats = by_name[name]
        result.append(Row(name, OTHER, stats, warnings(stats, previous.get(name))))
    return result


def waiting_to_retry(table_rows: Sequence[Row]) -> int:
    """Messages held up by a transient failure (the database or the broker away), waiting to be tried again."""
    return sum(r.stats.ready + r.stats.unacknowledged for r in table_rows if r.kind == RETRY and r.stats)


def render(table_rows: Sequence[Row], *, vhost: str, at: datetime) -> Table:
    waiting = waiting_to_retry(table_rows)
    table = Table(
        title=f"Queues of vhost {vhost} at {at:%H:%M:%S}",
        title_justify="left",
        caption=f"{waiting} messages wait in retry queues"
        + (" (an outage's backlog: they come back by themselves)" if waiting else ""),
        caption_justify="left",
    )
    table.add_column("queue")
    table.add_column("kind")
    for column in ("ready", "unacked", "consumers", "in/s", "out/s"):
        table.add_column(column, justify="right")
    table.add_column("status")
    for row in table_rows:
        style = WARNING_STYLES[row.warnings[0]] if row.warnings else ""
        status = Text(", ".join(row.warnings), style=style) if row.warnings else Text("ok", style="green")
        s = row.stats
        figures = (
            [str(s.ready), str(s.unacknowledged), str(s.consumers), f"{s.publish_rate:.1f}", f"{s.deliver_rate:.1f}"]
            if s
            else ["-"] * 5
        )
        table.add_row(Text(row.name, style=style), row.kind, *figures, status)
    return table


async def _once(settings: OpsSettings, console: Console) -> None:
    async with Management(settings) as api:
        current = await api.queues()
    console.print(render(rows(current, {}), vhost=settings.vhost, at=datetime.now()))


async def _watch(settings: OpsSettings, console: Console, interval: float) -> None:
    previous: dict[str, QueueStats] = {}
    async with Management(settings) as api:
        with Live(console=console, auto_refresh=False) as live:
            while True:
                view: RenderableType
                try:
                    current = await api.queues()
                    view = render(rows(current, previous), vhost=settings.vhost, at=datetime.now())
                    previous = {q.name: q for q in current}
                except ManagementError as error:
                    view = Group(Text(f"management API unavailable: {error}", style="bold red"))
                live.update(view, refresh=True)
                await asyncio.sleep(interval)


def show(
    watch: bool = typer.Option(False, "--watch", help="refresh until Ctrl-C"),
    interval: float = typer.Option(5.0, "--interval", min=0.5, help="seconds between two samples with --watch"),
) -> None:
    """Every queue with its backlog, consumers and rates; flags growing queues, missing consumers, parked messages.

    Without --watch, growth is judged on the rates only; with it, also on the ready count between two samples.
    The broker refreshes its figures every 5 seconds.
    """
    settings = OpsSettings()
    console = Console()
    try:
        if watch:
            asyncio.run(_watch(settings, console, interval))
        else:
            asyncio.run(_once(settings, console))
    except KeyboardInterrupt:
        return
    except ManagementError as error:
        console.print(f"[bold red]The management API did not answer[/]: {error}")
        raise typer.Exit(1) from error
