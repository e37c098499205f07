"""``passpro ops purge-campaign YEAR``: once a campaign is over, every service deletes its pupils' data.

Pupils are minors: their names, their referents' e-mails, the schools' comments and reports are kept
no longer than the procedure needs. The command goes over the broker like any other, under the
operators' account; each service checks that the broker vouches for that account (validated
``user_id``) and that the campaign is over, deletes its own rows and says how many.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import typer
from aio_pika.abc import AbstractIncomingMessage
from rich.console import Console
from rich.table import Table

from contracts import routing
from ops.settings import OpsSettings

OPERATORS_UAI = "0941918Z"
"""The académie's SAIO, on whose behalf operators act (the command's ``actor_uai``)."""


@dataclass
class PurgeOutcome:
    deleted: dict[str, int] = field(default_factory=dict)
    rejection: dict[str, Any] | None = None

    @property
    def complete(self) -> bool:
        return self.rejection is not None or set(self.deleted) == set(routing.SERVICES)


async def purge_campaign(settings: OpsSettings, campaign: str, timeout: float = 60.0) -> PurgeOutcome:
    """Sends ``purge_campaign`` as the operators and waits for every service's answer."""
    command_id = str(uuid.uuid4())
    outcome = PurgeOutcome()
    answered = asyncio.Event()
    connection = await aio_pika.connect(settings.admin_amqp_url, client_properties={"connection_name": "operator"})
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        events = await channel.get_exchange(routing.EVENTS_EXCHANGE, ensure=False)
        queue = await channel.declare_queue(None, exclusive=True, auto_delete=True)
        for service in routing.SERVICES:
            await queue.bind(events, routing.event_key(service, "campaign_purged"))
            await queue.bind(events, routing.event_key(service, "command_rejected"))

        async def on_event(message: AbstractIncomingMessage) -> None:
            body = json.loads(message.body)
            service, _, name = (message.routing_key or "").partition(".")
            if name == "campaign_purged" and str(body.get("causation_id")) == command_id:
                outcome.deleted[service] = body["rows_deleted"]
            elif name == "command_rejected" and body.get("command_id") == command_id:
                outcome.rejection = body
            if outcome.complete:
                answered.set()

        await queue.consume(on_event, no_ack=True)
        commands = await channel.get_exchange(routing.COMMANDS_EXCHANGE, ensure=False)
        body = {"command_id": command_id, "campaign": campaign, "actor_uai": OPERATORS_UAI}
        await commands.publish(
            aio_pika.Message(
                json.dumps(body).encode(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=command_id,
                correlation_id=command_id,
                user_id=settings.admin_user,
            ),
            routing_key=routing.PURGE_CAMPAIGN,
            mandatory=True,
        )
        deadline = time.monotonic() + timeout
        while not outcome.complete and time.monotonic() < deadline:
            try:
                await asyncio.wait_for(answered.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
    return outcome


def purge(
    campaign: str = typer.Argument(..., help="the campaign whose personal data goes, e.g. 2013"),
    yes: bool = typer.Option(False, "--yes", help="do not ask for confirmation"),
    timeout: float = typer.Option(60.0, help="seconds to wait for every service's answer"),
) -> None:
    """Delete a finished campaign's personal data from every service (refused while the campaign runs)."""
    console = Console()
    if not yes and not typer.confirm(
        f"Delete every pupil's data of campaign {campaign} from the five services? This cannot be undone."
    ):
        raise typer.Exit(1)
    outcome = asyncio.run(purge_campaign(OpsSettings(), campaign, timeout))
    if outcome.rejection is not None:
        console.print(f"[bold red]Refused[/] ({outcome.rejection['reason']}): {outcome.rejection['message']}")
        raise typer.Exit(1)
    table = Table(title=f"Campaign {campaign}: personal data deleted", title_justify="left")
    table.add_column("service")
    table.add_column("rows deleted", justify="right")
    for service in routing.SERVICES:
        count = outcome.deleted.get(service)
        table.add_row(service, str(count) if count is not None else "[red]no answer[/]")
    console.print(table)
    if not outcome.complete:
        console.print(
            "[bold red]Some services did not answer in time[/]: the command waits in their queue; "
            "run `passpro ops queues` and check again."
        )
        raise typer.Exit(1)
    console.print("Parked messages may still hold pupils' data: see `passpro ops failed`, then `passpro ops purge`.")
