"""The commands every service receives and the runtime carries out itself: moving the clock, purging a campaign."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import structlog

from contracts.base import Event, RejectionReason
from contracts.commands import AdvanceClock, PurgeCampaign
from contracts.events import CampaignPurged, ClockAdvanced
from services.runtime.database import runtime_queries as q
from services.runtime.service import Context, Purge, Rejected

log = structlog.get_logger()


async def advance_clock(command: AdvanceClock, ctx: Context) -> Sequence[Event]:
    """The virtual clock moves forward only; a service under the wall clock refuses."""
    if not ctx.virtual_clock:
        raise Rejected(
            RejectionReason.CLOCK_NOT_VIRTUAL,
            "L'horloge de Passpro suit l'heure réelle : elle ne peut pas être avancée.",
            [("to", "the clock is the wall clock")],
        )
    now = await q.move_clock(ctx.conn, to=command.to)
    ctx.now = now
    log.info("clock_advanced", to=now.isoformat())
    return [ctx.event(ClockAdvanced, to=now)]


async def purge_campaign(purge: Purge | None, command: PurgeCampaign, ctx: Context) -> Sequence[Event]:
    """Personal data of minors is kept no longer than the procedure needs: deleted once the campaign is over."""
    today = ctx.now.astimezone(ctx.campaign.tz).date()
    last_day = ctx.campaign.calendar.last_day
    if today <= last_day:
        raise Rejected(
            RejectionReason.CAMPAIGN_NOT_FINISHED,
            f"La campagne {command.campaign} n'est pas terminée : ses données ne pourront être effacées "
            f"qu'à partir du {last_day + timedelta(days=1):%d/%m/%Y}.",
            [("campaign", "the campaign is not over")],
        )
    deleted = await purge(ctx.conn, command.campaign) if purge else 0
    deleted += int(await q.purge_school_links(ctx.conn, campaign=command.campaign))
    log.info("campaign_purged", rows_deleted=deleted)
    return [ctx.event(CampaignPurged, rows_deleted=deleted)]
