"""What enrollment tells operators about the campaign (``GET /campaign``): counts only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from contracts.campaign import Campaign
from services.enrollment.repository import q


async def campaign_figures(conn: asyncpg.Connection, campaign: Campaign, now: datetime) -> dict[str, Any]:
    totals = await q.figures_candidacies(conn, campaign=campaign.campaign)
    by_domain = [dict(row) async for row in q.figures_by_domain(conn, campaign=campaign.campaign)]
    return {"candidacies": dict(totals), "candidacies_by_domain": by_domain}
