"""Delivers due bonuses to Affelnet: leased in one transaction, posted outside it, the answer recorded in another.

A crash between the POST and the record leaves a lease that runs out; the bonus is posted again with
the same Idempotency-Key, and Affelnet answers 409 or 2xx: delivered once from Affelnet's side (R30).
Every lease carries a token and the answer is recorded under it: a sender whose lease ran out and was
taken over records nothing (``lease_lost``), the sender holding the lease records its own answer.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import httpx
import structlog

from contracts.base import FinalOpinion
from contracts.events import BonusExported
from services.affelnet_export import domain
from services.affelnet_export.repository import ExportRepository, LeasedBonus
from services.runtime import crash, logs
from services.runtime.database import runtime_queries
from services.runtime.metrics import LEASE_LOST
from services.runtime.outbox import outbox_row, write_outbox
from services.runtime.retry import retry_delay
from services.runtime.service import WorkerContext
from services.runtime.settings import ServiceSettings
from services.runtime.transient import until_recorded

log = structlog.get_logger()
LEASE_SECONDS = 60
IDLE_SECONDS = 0.5


async def send_bonuses(ctx: WorkerContext) -> None:
    settings = ServiceSettings()
    limits = httpx.Limits(max_connections=settings.affelnet_concurrency)
    async with httpx.AsyncClient(
        base_url=settings.affelnet_url,
        timeout=httpx.Timeout(10.0),
        limits=limits,
        headers={"Authorization": f"Bearer {settings.affelnet_token}"},
    ) as client:
        while ctx.running:
            try:
                sent = await deliver_due(ctx, client, settings.affelnet_concurrency)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("bonus_delivery_round_failed")
                sent = 0
            if sent == 0:
                await ctx.idle(IDLE_SECONDS)


async def deliver_due(ctx: WorkerContext, client: httpx.AsyncClient, concurrency: int) -> int:
    """One round: lease a few times ``concurrency`` due bonuses, post them at most ``concurrency`` at a time."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        rows = await ExportRepository(conn, ctx.campaign.campaign).claim_due(concurrency * 4, LEASE_SECONDS)
    slots = asyncio.Semaphore(concurrency)

    async def bounded(row: LeasedBonus) -> None:
        async with slots:
            await _deliver(ctx, client, row)

    await asyncio.gather(*(bounded(row) for row in rows))
    if rows:
        ctx.wake_relay()
    return len(rows)


async def _deliver(ctx: WorkerContext, client: httpx.AsyncClient, row: LeasedBonus) -> None:
    body = {
        "campaign": row.campaign,
        "ine": row.ine,
        "formation_code": row.formation_code,
        "final_opinion": row.final_opinion,
        "bonus_points": row.bonus_points,
    }
    # The key names the INE: a bonus without a causing message is correlated by its pseudonym.
    correlation = row.correlation_id or logs.pseudonym(row.idempotency_key)
    with structlog.contextvars.bound_contextvars(correlation_id=correlation):
        await _post(ctx, client, row, body, correlation)


async def _post(
    ctx: WorkerContext, client: httpx.AsyncClient, row: LeasedBonus, body: dict[str, Any], correlation: str
) -> None:
    status: int | None
    try:
        response = await client.post(
            "/bonuses", json=body, headers={"Idempotency-Key": row.idempotency_key, "X-Correlation-ID": correlation}
        )
        status, answer = response.status_code, response.text[:2000]
    except httpx.HTTPError as error:
        status, answer = None, f"{type(error).__name__}: {error}"[:2000]
    outcome = domain.classify(status)
    log.info(
        "bonus_attempt",
        ine_key=logs.pseudonym(row.idempotency_key),
        status=status,
        outcome=outcome.value,
        attempt=row.attempts + 1,
    )
    # Affelnet answered: while the database is away the answer is kept and recorded once it is back (a post
    # given up would be made again after the lease, which Affelnet's Idempotency-Key absorbs, but needlessly).
    recorded = await until_recorded("bonus", lambda: _record(ctx, row, outcome, status, answer, correlation))
    if not recorded:
        # The lease ran out and another sender took it over: its answer is the one recorded.
        LEASE_LOST.labels(work="bonus", result=outcome.value).inc()
        log.warning("lease_lost", ine_key=logs.pseudonym(row.idempotency_key), result=outcome.value)


async def _record(
    ctx: WorkerContext, row: LeasedBonus, outcome: domain.Outcome, status: int | None, answer: str, correlation: str
) -> bool:
    """Affelnet's answer recorded under the sender's lease; False: the lease was taken over meanwhile."""
    token = row.lease_token
    async with ctx.pool.acquire() as conn, conn.transaction():
        repo = ExportRepository(conn, ctx.campaign.campaign)
        if outcome is domain.Outcome.DELIVERED:
            crash.point("affelnet.after_2xx")
            done = await repo.mark_delivered(row.ine, row.formation_code, token, status or 0, answer)
            recorded = done is not None
            if recorded:
                now = await runtime_queries.current_instant(conn)
                event = BonusExported(
                    event_id=uuid.uuid4(),
                    occurred_at=now,
                    campaign=ctx.campaign.campaign,
                    causation_id=None,
                    ine=row.ine,
                    formation_code=row.formation_code,
                    final_opinion=FinalOpinion(row.final_opinion),
                    bonus_points=row.bonus_points,
                )
                await write_outbox(conn, [outbox_row(event, ctx.service, correlation)])
        elif outcome is domain.Outcome.RETRY:
            delay = retry_delay(row.attempts, random.random(), base=domain.RETRY_BASE, cap=domain.RETRY_CAP)
            recorded = await repo.schedule_retry(
                row.ine, row.formation_code, token, status, answer, delay.total_seconds()
            )
        else:
            recorded = await repo.park(row.ine, row.formation_code, token, status or 0, answer)
    return recorded
