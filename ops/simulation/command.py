"""``passpro simulate``: generate a campaign, play it against the running services, print and write the report."""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import aio_pika
import typer
from rich.console import Console
from rich.table import Table

from contracts.campaign import Campaign, load_campaign
from harness.portal import PortalClient
from ops.settings import CHECKOUT, OpsSettings
from ops.simulation import catchup
from ops.simulation.display import Display
from ops.simulation.fresh import fresh_local_campaign
from ops.simulation.mailbox import Mailbox
from ops.simulation.runner import Result, Runner, SimulationError
from ops.simulation.scenario import Scenario, generate

if TYPE_CHECKING:
    from ops.simulation.figures import Figures

LOCAL_PORTAL_URL = "amqp://portal:portal@127.0.0.1:5672/passpro"


async def play(
    scenario: Scenario,
    campaign: Campaign,
    url: str,
    console: Console,
    mailbox: Mailbox,
    mail_wait: float,
    catch_up: float,
) -> Result:
    """Plays ``scenario`` as the portal account at ``url``, with the live display on ``console``; before each
    move of the clock the stack catches up (the operators' account asks the broker, notifications its mails)."""
    settings = OpsSettings()
    async with (
        PortalClient(url) as portal,
        catchup.StackProbe(settings.admin_amqp_url, settings.service_urls["notifications"]) as probe,
    ):
        with Display(console) as display:
            return await Runner(
                scenario,
                campaign,
                portal,
                display=display,
                mailbox=mailbox,
                mail_wait=mail_wait,
                probe=probe,
                catch_up=catch_up,
            ).play()


def simulate(
    pupils: Annotated[int, typer.Option(help="Pupils of the campaign (about 1.7 candidacies each).")] = 3000,
    origin_schools: Annotated[int, typer.Option(help="Collèges registering them, spread over the académie.")] = 120,
    seed: Annotated[
        int | None,
        typer.Option(help="Replay a run: the same seed plays the same campaign. Default: a new one, printed."),
    ] = None,
    no_show_rate: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Share of convoked pupils who do not come (2012: 0.30).")
    ] = 0.30,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where the report goes (index.html, donnees/, exemples/); "
            "default: var/report of the local stack (PASSPRO_VAR)."
        ),
    ] = None,
    fresh: Annotated[
        bool,
        typer.Option(
            help="First delete the LOCAL stack's campaign (service schemas, queues, "
            "mails, bonuses) and restart its services on a virtual clock at the "
            "campaign's opening."
        ),
    ] = False,
    url: Annotated[
        str, typer.Option(envvar="PASSPRO_PORTAL_URL", help="The portal account's broker URL.")
    ] = LOCAL_PORTAL_URL,
    mail_dir: Annotated[
        Path | None, typer.Option(help="Where the mail sink writes the mails; default: var/mail of the local stack.")
    ] = None,
    mail_wait: Annotated[
        float,
        typer.Option(
            help="Seconds to wait, after the campaign, for the mails still being sent (they go on after the run)."
        ),
    ] = 120.0,
    catch_up: Annotated[
        float,
        typer.Option(
            help="Seconds the clock waits at most, before each move, for the "
            "stack to catch up (queues drained, mails due sent)."
        ),
    ] = 60.0,
) -> None:
    """Play a whole simulated campaign through the public interface, then write its report (make demo)."""
    file = os.environ.get("PASSPRO_CAMPAIGN_FILE")
    campaign = load_campaign(Path(file) if file else None)
    seed = seed if seed is not None else random.SystemRandom().randrange(10**6)
    console = Console()
    var = OpsSettings().var
    out, mail_dir = out or var / "report", mail_dir or var / "mail"
    if fresh:
        fresh_local_campaign(campaign, CHECKOUT)
    replay = (
        f"passpro simulate --seed {seed} --pupils {pupils} --origin-schools {origin_schools} "
        f"--no-show-rate {no_show_rate}"
    )
    console.print(f"[bold]Passpro {campaign.campaign}[/], simulated campaign: seed {seed} (replay: {replay})")
    scenario = generate(campaign, seed=seed, pupils=pupils, origin_schools=origin_schools, no_show_rate=no_show_rate)
    try:
        result = asyncio.run(play(scenario, campaign, url, console, Mailbox(mail_dir), mail_wait, catch_up))
    except SimulationError as error:
        console.print(f"[red]simulation stopped:[/] {error}")
        raise typer.Exit(1) from None
    except (OSError, aio_pika.exceptions.AMQPConnectionError) as error:
        console.print(
            f"[red]cannot reach the broker as the portal ({type(error).__name__}); "
            "start the stack with `make demo` or `passpro simulate --fresh`[/]"
        )
        raise typer.Exit(1) from None
    # matplotlib takes a second to import: only a finished simulation pays for it, not every `passpro` command.
    from ops.simulation import report

    pending = asyncio.run(mails_pending())
    figures = report.write(result, campaign, Mailbox(mail_dir), out, replay, pending)
    summary(console, result, figures, out)
    if pending:
        console.print(f"{pending} mails were still queued in notifications: they go on to {mail_dir} after the run")


async def mails_pending() -> int | None:
    """Mails notifications has still to send, from its own counts (``GET /campaign``); None if it cannot say."""
    return await catchup.mails_pending(OpsSettings().service_urls["notifications"])


def summary(console: Console, result: Result, figures: Figures, out: Path) -> None:
    mistakes = Table(title="What Passpro answered to the mistaken commands", show_lines=True)
    for column in ("command sent", "n", "answer", "reason", "message to the school"):
        mistakes.add_column(column)
    for label, count, outcome, reason, message in figures.mistakes:
        mistakes.add_row(label, str(count), outcome, reason, message)
    console.print(mistakes)
    table = Table(title=f"Simulated campaign {result.scenario.campaign}, seed {result.scenario.seed}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, _, value in figures.funnel:
        table.add_row(key.replace("_", " "), str(value))
    for code, _, count in figures.finals:
        table.add_row(f"final opinion {code}", str(count))
    console.print(table)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(
        f"played in {result.seconds:.0f} s; report: {out / 'index.html'} (the numbers behind it in "
        f"{out / 'donnees'}, example mails and PDFs in {out / 'exemples'})"
    )
