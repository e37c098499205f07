"""What notifications tells operators about the campaign (``GET /campaign``): counts only."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import asyncpg

from contracts.campaign import Campaign
from services.notifications.repository import q


async def campaign_figures(conn: asyncpg.Connection, campaign: Campaign, now: datetime) -> dict[str, Any]:
    mails: dict[str, dict[str, int]] = defaultdict(dict)
    async for row in q.figures_mails(conn, campaign=campaign.campaign):
        mails[row["kind"]][row["state"]] = row["n"]
    return {"mails": dict(mails)}
