"""The outbox relay: publishes committed messages with publisher confirms, then deletes them.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so replicas share the work; a row is deleted
only after the broker confirmed it, so a crash at any point means a re-publish (consumers dedupe
by message id), never a loss.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aio_pika
import asyncpg
import structlog
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection

from contracts import routing
from services.runtime import failover, metrics
from services.runtime.database import runtime_queries as q

log = structlog.get_logger()
BATCH = 500
POLL_SECONDS = 0.5


def amqp_user(url: str) -> str | None:
    """The account an AMQP URL logs in as; None under EXTERNAL authentication, where a certificate names it."""
    parts = urlsplit(url)
    if parse_qs(parts.query).get("auth", ["plain"])[0].upper() == "EXTERNAL":
        return None
    # The client logs in as guest when the URL names nobody.
    return unquote(parts.username or "guest")


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, amqp_url: str, app_id: str) -> None:
        self.pool = pool
        self.amqp_url = amqp_url
        self.app_id = app_id
        # The broker checks user_id against the connection's account (one for every node), so consumers can trust it.
        self.user_id = amqp_user(failover.nodes(amqp_url)[0])
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractRobustChannel | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._exchanges: dict[str, aio_pika.abc.AbstractExchange] = {}

    async def start(self) -> None:
        self.connection = await failover.connect_robust(failover.nodes(self.amqp_url), client_properties={
            "connection_name": f"{self.app_id}-outbox"})
        # Parked messages are published mandatory: an unroutable one raises instead of vanishing.
        self.channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    def notify(self) -> None:
        """Wakes the relay after a commit in this process; other replicas' commits are found by polling."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        # A last flush so a graceful stop leaves nothing behind.
        try:
            while await self.relay_once():
                pass
        except Exception:
            log.exception("outbox_final_flush_failed")
        if self.connection is not None:
            await self.connection.close()

    @property
    def healthy(self) -> bool:
        return self.connection is not None and not self.connection.is_closed and self._task is not None \
            and not self._task.done()

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                sent = await self.relay_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception("outbox_relay_failed", attempt=failures)
                await asyncio.sleep(min(0.2 * 2**failures, 10.0))
                continue
            if sent < BATCH:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
                except TimeoutError:
                    pass

    async def _exchange(self, name: str) -> aio_pika.abc.AbstractExchange:
        if name not in self._exchanges:
            assert self.channel is not None
            self._exchanges[name] = await self.channel.get_exchange(name, ensure=False)
        return self._exchanges[name]

    async def relay_once(self) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            rows = [row async for row in q.claim_outbox_batch(conn, limit=BATCH)]
            if not rows:
                metrics.OUTBOX_BACKLOG.set(0)
                return 0
            await asyncio.gather(*(self._publish(row) for row in rows))
            await q.delete_sent(conn, ids=[row["id"] for row in rows])
        if len(rows) == BATCH:
            metrics.OUTBOX_BACKLOG.set(await self.backlog())
        return len(rows)

    async def backlog(self) -> int:
        async with self.pool.acquire() as conn:
            return int(await q.outbox_backlog(conn))

    async def _publish(self, row: Any) -> None:
        headers = row["headers"]
        if isinstance(headers, str):
            headers = json.loads(headers)
        message = aio_pika.Message(
            body=bytes(row["body"]),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=row["message_id"],
            correlation_id=row["correlation_id"],
            timestamp=row["created_at"],
            app_id=self.app_id,
            user_id=self.user_id,
            headers=headers or None,
        )
        exchange = await self._exchange(row["exchange"])
        parked = row["exchange"] == routing.PARKING_EXCHANGE
        await exchange.publish(message, routing_key=row["routing_key"], mandatory=parked)
        metrics.PUBLISHED.labels(row["exchange"]).inc()
