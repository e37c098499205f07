"""One run of a periodic routine: its own transaction, one replica at a time, its events handed to the relay."""

from __future__ import annotations

import asyncpg

from contracts.campaign import Campaign
from services.runtime.database import runtime_queries as q
from services.runtime.outbox import HandOff, outbox_row, write_outbox
from services.runtime.service import Context, Periodic, Service


async def run_periodic(
    periodic: Periodic,
    *,
    service: Service,
    pool: asyncpg.Pool,
    campaign: Campaign,
    virtual_clock: bool,
    hand_off: HandOff | None = None,
) -> int:
    """One run of a periodic routine, skipped when another replica is running it; returns the events written."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            if not await q.try_lock(conn, key=f"{service.name}.{periodic.name}"):
                return 0
            now = await q.current_instant(conn)
            ctx = Context(conn, now, campaign, service.name, None, virtual_clock)
            events = await periodic.routine(ctx)
            written = await write_outbox(conn, [outbox_row(e, service.name, None) for e in events])
        if written and hand_off is not None:
            hand_off(written)
    return len(events)
