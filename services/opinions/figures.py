"""What opinions tells operators about the campaign (``GET /campaign``): counts only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from contracts.campaign import Campaign
from services.opinions.repository import q


async def campaign_figures(conn: asyncpg.Connection, campaign: Campaign, now: datetime) -> dict[str, Any]:
    """R23: reports in, due and overdue per reception school; R24–R25: final opinions by value."""
    today = now.astimezone(campaign.tz).date()
    schools = [
        dict(row) async for row in q.figures_reports_by_school(conn, campaign=campaign.campaign, now=now, today=today)
    ]
    finals = {row["final_opinion"]: row["n"] async for row in q.figures_finals(conn, campaign=campaign.campaign)}
    reports = await q.figures_reports(conn, campaign=campaign.campaign)
    return {"reports": dict(reports), "reports_by_reception_school": schools, "finals_by_value": finals}
