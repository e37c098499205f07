"""What scheduling tells operators about the campaign (``GET /campaign``): counts only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from contracts.campaign import Campaign
from services.scheduling.handlers import at_risk
from services.scheduling.repository import SchedulingRepository, q


async def campaign_figures(conn: asyncpg.Connection, campaign: Campaign, now: datetime) -> dict[str, Any]:
    """R15: pupils waiting per domain, and the domains whose pupils are at risk as the window closes (R17);
    R21: interviews held or missed, no-show rates per origin school."""
    by_domain = [dict(row) async for row in q.figures_needs_by_domain(conn, campaign=campaign.campaign)]
    interviews = await q.figures_interviews(conn, campaign=campaign.campaign, now=now)
    repo = SchedulingRepository(conn, campaign.campaign)
    no_shows = [
        {
            "origin_uai": r.origin_uai,
            "reported": r.reported,
            "absent": r.absent,
            "rate": round(r.absent / r.reported, 4),
        }
        for r in await repo.no_shows_by_origin()
    ]
    alarms = [
        {
            "domain_code": a.domain_code,
            "waiting_pupils": a.waiting_pupils,
            "last_booking_day": a.last_booking_day.isoformat() if a.last_booking_day else None,
        }
        for a in await at_risk(repo, campaign, now)
    ]
    return {
        "interviews": dict(interviews),
        "needs_by_domain": by_domain,
        "no_shows_by_origin": no_shows,
        "interviews_at_risk": alarms,
    }
