"""What the Affelnet export tells operators about the campaign (``GET /campaign``): counts only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from contracts.campaign import Campaign
from services.affelnet_export.repository import q

STATES = ("pending", "sending", "delivered", "parked", "cancelled")


async def campaign_figures(conn: asyncpg.Connection, campaign: Campaign, now: datetime) -> dict[str, Any]:
    """R27–R28: wishes confirmed, bonuses delivered, waiting to be sent, or parked for an operator."""
    bonuses = {state: {"count": 0, "points": 0} for state in STATES}
    async for row in q.figures_bonuses(conn, campaign=campaign.campaign):
        bonuses[row["state"]] = {"count": row["n"], "points": int(row["points"])}
    confirmations = await q.figures_confirmations(conn, campaign=campaign.campaign)
    return {"confirmations": int(confirmations), "bonuses": bonuses}
