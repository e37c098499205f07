"""Operators' view of mails the mail server refused (R19, R20b, R22, R26), and their replay once the address is fixed.

A mail refused for good (a 5xx to the whole mail) waits, parked, for an operator: after the address was
corrected (the school's directory mailbox, or a referent given again with the candidacy), the replay puts it
back to pending and the sender reads the address afresh. A mail sent without some recipients is listed too,
by role: an operator must know when a referent never got a convocation. No address is ever shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from contracts.campaign import Campaign
from services.notifications.repository import NotificationsRepository
from services.runtime.service import ReadRefused

LISTED = 200


async def refusals_view(
    conn: asyncpg.Connection, campaign: Campaign, now: datetime, params: Mapping[str, str]
) -> dict[str, Any]:
    """``GET /read/refusals``: refused mails, and mails sent with refused recipients (by role)."""
    rows = await NotificationsRepository(conn, campaign.campaign).refusals(LISTED)
    return {
        "mails": [
            {
                "key": r.key,
                "kind": r.kind,
                "state": r.state,
                "interview_id": str(r.interview_id) if r.interview_id else None,
                "domain_code": r.domain_code,
                "reception_uai": r.reception_uai,
                "attempts": r.attempts,
                "refusal": r.refusal,
                "refused_roles": list(r.refused_roles),
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            }
            for r in rows
        ]
    }


async def replay_refused(
    conn: asyncpg.Connection, campaign: Campaign, now: datetime, params: Mapping[str, str]
) -> dict[str, Any]:
    """``POST /act/replay_refused?key=…`` (one mail) or ``?all=1`` (every refused mail of the campaign)."""
    key = params.get("key")
    if key is None and params.get("all") != "1":
        raise ReadRefused("give the key of a refused mail, or all=1")
    return {"replayed": await NotificationsRepository(conn, campaign.campaign).replay_refused(key)}
