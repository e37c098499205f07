"""``passpro ops failed|replay|purge``: the messages parked in ``<queue>.parking``, put back or deleted by operators."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import aio_pika
import typer
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from rich.console import Console
from rich.table import Table

from contracts import routing
from ops import refusals
from ops.management import Management, ManagementError
from ops.parked import ParkedMessage, describe, replay_headers
from ops.settings import OpsSettings


def parking_queues(queue: str | None) -> list[str]:
    """The parking queues a command looks at: all of them, or the one of ``queue`` (a service or parking queue)."""
    names = [spec.parking for spec in routing.QUEUES]
    if queue is None:
        return [*names, routing.EXHAUSTED_PARKING_QUEUE]
    parking = queue if queue.endswith(".parking") else routing.parking_queue(queue)
    if parking not in names:
        known = ", ".join(spec.name for spec in routing.QUEUES)
        raise typer.BadParameter(f"unknown queue {queue!r}; expected one of {known}", param_hint="--queue")
    return [parking]


@dataclass
class Listing:
    messages: list[ParkedMessage] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    """Messages waiting in each parking queue looked at."""


async def list_parked(settings: OpsSettings, queues: Sequence[str], limit: int) -> Listing:
    listing = Listing()
    async with Management(settings) as api:
        for name in queues:
            left = limit - len(listing.messages)
            peeked = await api.peek(name, max(left, 1))
            if peeked is None:
                raise ManagementError(f"no queue {name} in vhost {settings.vhost}")
            listing.totals[name] = peeked[0].remaining + 1 if peeked else 0
            listing.messages += [describe(m.properties, m.body, name) for m in peeked[:left]]
    return listing


async def _connect(settings: OpsSettings, purpose: str) -> aio_pika.abc.AbstractConnection:
    return await aio_pika.connect(settings.admin_amqp_url, client_properties={"connection_name": f"operator-{purpose}"})


async def _held(queue: AbstractQueue) -> AsyncIterator[AbstractIncomingMessage]:
    """Each message now in ``queue`` once, left unacknowledged: what is not settled goes back when the channel closes.

    Holding them, rather than requeueing each at once, is what keeps one from being handed back twice.
    """
    while (message := await queue.get(no_ack=False, fail=False, timeout=10)) is not None:
        yield message


def _republished(message: AbstractIncomingMessage, parked: ParkedMessage, operator: str) -> aio_pika.Message:
    assert parked.queue is not None
    return aio_pika.Message(
        body=message.body,
        headers=replay_headers(message.headers or {}, parked.queue),
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        priority=message.priority,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        message_id=parked.original_id,
        timestamp=message.timestamp,
        type=message.type,
        # The broker vouched for this account when the message was first published; any other would be refused.
        user_id=message.user_id if message.user_id == operator else None,
        app_id=message.app_id,
    )


@dataclass
class ReplayOutcome:
    replayed: list[ParkedMessage] = field(default_factory=list)
    refused: list[tuple[ParkedMessage, str]] = field(default_factory=list)


async def replay_parked(
    settings: OpsSettings, queues: Sequence[str], wanted: str | None, *, settle: float = 0.5
) -> ReplayOutcome:
    """Puts parked messages (all, or those ``wanted`` names) back into the queue each failed in.

    A message leaves its parking queue only once the broker has confirmed the copy routed to its queue;
    a crash in between leaves both, and the service's inbox makes the second delivery harmless.
    """
    outcome = ReplayOutcome()
    seen: set[tuple[str, str]] = set()
    async with await _connect(settings, "replay") as connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(routing.REPLAY_EXCHANGE, ensure=False)
        for attempt in range(2):
            for name in queues:
                queue = await channel.get_queue(name, ensure=False)
                async for message in _held(queue):
                    parked = describe(
                        {"message_id": message.message_id, "headers": message.headers or {}}, message.body, name
                    )
                    # A message replayed here may come back meanwhile, parked again: once per run is enough.
                    if (wanted is not None and not parked.matches(wanted)) or (name, parked.id) in seen:
                        continue
                    seen.add((name, parked.id))
                    why = parked.refusal()
                    if why is None:
                        assert parked.routing_key is not None
                        try:
                            await exchange.publish(
                                _republished(message, parked, settings.admin_user),
                                routing_key=parked.routing_key,
                                mandatory=True,
                            )
                        except aio_pika.exceptions.DeliveryError as error:
                            why = f"the broker did not take it back ({error})"
                    if why is None:
                        await message.ack()
                        outcome.replayed.append(parked)
                    else:
                        outcome.refused.append((parked, why))
            # Messages another reader has just let go of take a moment to come back; look once more for them.
            if attempt or wanted is None or outcome.replayed or outcome.refused:
                break
            await asyncio.sleep(settle)
        await channel.close()
    return outcome


async def purge_parked(
    settings: OpsSettings, queues: Sequence[str], confirm: Callable[[dict[str, int]], bool]
) -> dict[str, int] | None:
    """Deletes the messages counted in ``queues`` if ``confirm`` agrees (None if not); later arrivals stay."""
    async with await _connect(settings, "purge") as connection:
        channel = await connection.channel()
        held: dict[str, list[AbstractIncomingMessage]] = {}
        for name in queues:
            held[name] = [m async for m in _held(await channel.get_queue(name, ensure=False))]
        counts = {name: len(messages) for name, messages in held.items()}
        if sum(counts.values()) and not await asyncio.to_thread(confirm, counts):
            return None
        for messages in held.values():
            for message in messages:
                await message.ack()
        # Closing the channel waits for the broker, which handles the acknowledgements first.
        await channel.close()
    return counts


def _when(instant: datetime | None) -> str:
    return instant.isoformat(timespec="seconds") if instant else "-"


def show(
    queue: str | None = typer.Option(None, "--queue", help="one service queue (or its parking queue) only"),
    limit: int = typer.Option(50, "--limit", min=1, help="messages shown at most"),
    as_json: bool = typer.Option(False, "--json", help="print the messages as JSON"),
) -> None:
    """The parked messages, left where they are: ID for replay, queue, routing key, reason, first failure, preview;
    and beside them the mails and bonuses the outside world refused for good (replay-mail, replay-bonus)."""
    settings = OpsSettings()
    console = Console()
    try:
        listing = asyncio.run(list_parked(settings, parking_queues(queue), limit))
    except ManagementError as error:
        console.print(f"[bold red]The management API did not answer[/]: {error}")
        raise typer.Exit(1) from error
    outside = refusals.fetch(settings)
    if as_json:
        typer.echo(
            json.dumps(
                {"totals": listing.totals, "messages": [m.as_json() for m in listing.messages], "refused": outside},
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    refusals.render(outside, console)
    total = sum(listing.totals.values())
    if not total:
        console.print(f"No parked message in vhost {settings.vhost}.")
        return
    table = Table(title=f"Parked messages: {len(listing.messages)} shown of {total}", title_justify="left")
    for column in ("ID", "queue", "routing key", "reason", "first failure", "preview"):
        table.add_column(column, overflow="fold")
    for m in listing.messages:
        table.add_row(
            m.id,
            m.queue or m.parking_queue,
            m.routing_key or "?",
            f"{m.kind}: {m.reason[:200]}",
            _when(m.failed_at),
            m.preview,
        )
    console.print(table)
    console.print("Replay one with `passpro ops replay ID`, all with `passpro ops replay --all`.")


def replay(
    message_id: str | None = typer.Argument(None, help="the ID `passpro ops failed` shows"),
    replay_all: bool = typer.Option(False, "--all", help="every parked message (of --queue, or of all queues)"),
    queue: str | None = typer.Option(None, "--queue", help="one service queue (or its parking queue) only"),
) -> None:
    """Put parked messages back into the queue they failed in, with their routing key.

    Each leaves its parking queue only once the broker has confirmed its copy; the services' inbox makes a
    message replayed twice count once.
    """
    if (message_id is None) == (not replay_all):
        raise typer.BadParameter("give either an ID or --all")
    settings = OpsSettings()
    console = Console()
    try:
        outcome = asyncio.run(replay_parked(settings, parking_queues(queue), message_id))
    except aio_pika.exceptions.AMQPError as error:
        console.print(
            f"[bold red]The broker stopped the replay[/] ({error!r}): "
            "every message it had not confirmed is still parked; see `passpro ops failed`."
        )
        raise typer.Exit(1) from error
    for m in outcome.replayed:
        console.print(f"[green]replayed[/] {m.id} into {m.queue} ({m.routing_key})")
    for m, why in outcome.refused:
        console.print(f"[bold red]kept[/] {m.id} in {m.parking_queue}: {why}")
    if message_id is not None and not outcome.replayed and not outcome.refused:
        console.print(f"[bold red]No parked message {message_id}[/]: see `passpro ops failed`.")
        raise typer.Exit(1)
    if outcome.refused:
        raise typer.Exit(1)
    if not outcome.replayed:
        console.print("Nothing to replay.")


def purge(
    queue: str | None = typer.Option(None, "--queue", help="one service queue (or its parking queue) only"),
    yes: bool = typer.Option(False, "--yes", help="do not ask for confirmation"),
) -> None:
    """Delete parked messages for good, after saying how many (messages parked meanwhile are kept)."""
    settings = OpsSettings()
    console = Console()

    def confirm(counts: dict[str, int]) -> bool:
        for name, count in counts.items():
            if count:
                console.print(f"{name}: {count}")
        return yes or typer.confirm(f"Delete {sum(counts.values())} parked message(s)? This cannot be undone.")

    try:
        counts = asyncio.run(purge_parked(settings, parking_queues(queue), confirm))
    except aio_pika.exceptions.AMQPError as error:
        console.print(f"[bold red]The broker stopped the purge[/] ({error!r}): nothing was deleted.")
        raise typer.Exit(1) from error
    if counts is None:
        console.print("Nothing deleted.")
        raise typer.Exit(1)
    if not sum(counts.values()):
        console.print("No parked message: nothing to delete.")
        return
    console.print(f"Deleted {sum(counts.values())} parked message(s).")
