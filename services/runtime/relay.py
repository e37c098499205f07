"""The outbox relay: publishes committed messages with publisher confirms, then deletes them.

The process hands it the rows it just committed (``submit``): they are published from memory, all
in flight at once, and deleted in one statement once confirmed. Reading the outbox is for what no
one handed over: the rows a crashed process left (``recover``, every few seconds, rows older than a
grace so that a live replica's are left to it) and the rows workers wrote (``notify``). A row is
deleted only after the broker confirmed it, so a crash at any point means a re-publish (consumers
dedupe by message id), never a loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Sequence
from urllib.parse import parse_qs, unquote, urlsplit

import aio_pika
import aiormq
import asyncpg
import structlog
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection

from contracts import routing
from services.runtime import crash, failover, metrics
from services.runtime.database import runtime_queries as q
from services.runtime.outbox import Outgoing

log = structlog.get_logger()
BATCH = 500
RECOVERY_SECONDS = 5.0
"""How often the outbox is read for rows nobody handed over (a crashed process's)."""
RECOVERY_GRACE = 10.0
"""Age of a row before recovery takes it: younger ones may be in a live replica's memory."""
RECENT = 20_000
"""Ids published lately, remembered so that a row read and handed over at once goes out once."""


def amqp_user(url: str) -> str | None:
    """The account an AMQP URL logs in as; None under EXTERNAL authentication, where a certificate names it."""
    parts = urlsplit(url)
    if parse_qs(parts.query).get("auth", ["plain"])[0].upper() == "EXTERNAL":
        return None
    # The client logs in as guest when the URL names nobody.
    return unquote(parts.username or "guest")


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        amqp_url: str,
        app_id: str,
        *,
        recovery_seconds: float = RECOVERY_SECONDS,
        recovery_grace: float = RECOVERY_GRACE,
    ) -> None:
        self.pool = pool
        self.amqp_url = amqp_url
        self.app_id = app_id
        self.recovery_seconds = recovery_seconds
        self.recovery_grace = recovery_grace
        # The broker checks user_id against the connection's account (one for every node), so consumers can trust it.
        self.user_id = amqp_user(failover.nodes(amqp_url)[0])
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractRobustChannel | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._exchanges: dict[str, aio_pika.abc.AbstractExchange] = {}
        self._pending: deque[Outgoing] = deque()
        self._held: set[int] = set()
        """Ids waiting or in flight here: recovery leaves them alone."""
        self._recent: deque[int] = deque(maxlen=RECENT)
        self._recent_ids: set[int] = set()
        self._fresh = False
        """Workers wrote rows: read the outbox without waiting for the grace."""

    async def start(self) -> None:
        self.connection = await failover.connect_robust(
            failover.nodes(self.amqp_url), client_properties={"connection_name": f"{self.app_id}-outbox"}
        )
        # Parked messages are published mandatory: an unroutable one raises instead of vanishing.
        self.channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    def submit(self, rows: Sequence[Outgoing]) -> None:
        """Rows this process just committed: published from memory, without reading the outbox again."""
        for row in rows:
            if row.id not in self._held and row.id not in self._recent_ids:
                self._held.add(row.id)
                self._pending.append(row)
        self._wake.set()

    def notify(self) -> None:
        """Rows committed in this process without being handed over (the workers'): read the outbox for them."""
        self._fresh = True
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
            while self._pending:
                await self._publish_pending()
            while await self.relay_once():
                pass
        except Exception:
            log.exception("outbox_final_flush_failed")
        if self.connection is not None:
            await self.connection.close()

    @property
    def healthy(self) -> bool:
        return (
            self.connection is not None
            and not self.connection.is_closed
            and self._task is not None
            and not self._task.done()
        )

    async def _run(self) -> None:
        failures = 0
        next_recovery = time.monotonic() + self.recovery_seconds
        # At start, at once and whatever their age: what an earlier run of this service left behind (a
        # live replica's rows still in its memory may go out twice; consumers dedupe).
        self._fresh = True
        while True:
            try:
                if self._pending:
                    await self._publish_pending()
                if self._fresh:
                    self._fresh = False
                    await self.relay_once()
                if time.monotonic() >= next_recovery:
                    next_recovery = time.monotonic() + self.recovery_seconds
                    if await self.relay_once(min_age_s=self.recovery_grace) == BATCH:
                        next_recovery = 0.0
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failures += 1
                log.exception("outbox_relay_failed", attempt=failures)
                if isinstance(error, aiormq.exceptions.DeliveryError):
                    await self._fresh_channel()
                await asyncio.sleep(min(0.2 * 2**failures, 10.0))
                continue
            if not self._pending and not self._fresh and time.monotonic() < next_recovery:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), max(0.0, next_recovery - time.monotonic()))
                except TimeoutError:
                    pass

    async def _fresh_channel(self) -> None:
        """A broker that refused (nacked) a publish gets the next attempt on a new channel.

        A channel opened on a surviving node while its quorum queues were electing new leaders was seen
        refusing every later publish for as long as it lived (RabbitMQ 3.10, the 3-node cluster test),
        while a new channel on the same node was accepted at once: the relay never keeps a refusing channel.
        """
        if self.connection is None or self.connection.is_closed:
            return
        old, self._exchanges = self.channel, {}
        try:
            self.channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        except Exception:
            log.warning("outbox_channel_not_reopened", exc_info=True)
            return
        if old is not None:
            with contextlib.suppress(Exception):
                await old.close()

    async def _exchange(self, name: str) -> aio_pika.abc.AbstractExchange:
        if name not in self._exchanges:
            assert self.channel is not None
            self._exchanges[name] = await self.channel.get_exchange(name, ensure=False)
        return self._exchanges[name]

    async def _publish_pending(self) -> None:
        """What was handed over, up to a batch, all in flight at once; then one delete for the confirmed ones."""
        batch = [self._pending.popleft() for _ in range(min(BATCH, len(self._pending)))]
        try:
            await asyncio.gather(*(self._publish(row) for row in batch))
        except BaseException:
            # Not confirmed: published again, in order, once the channel is back (consumers dedupe).
            self._pending.extendleft(reversed(batch))
            raise
        ids = [row.id for row in batch]
        crash.point("relay.after_confirm")
        try:
            async with self.pool.acquire() as conn:
                await q.delete_sent(conn, ids=ids)
        except BaseException:
            # Confirmed but still in the outbox (the database went away): no longer held, so that reading the
            # outbox publishes them again (consumers dedupe) and deletes them. Held, they stayed there for ever.
            self._held.difference_update(ids)
            raise
        self._forget(ids)

    def _forget(self, ids: list[int]) -> None:
        for row_id in ids:
            self._held.discard(row_id)
            if len(self._recent) == self._recent.maxlen:
                self._recent_ids.discard(self._recent[0])
            self._recent.append(row_id)
            self._recent_ids.add(row_id)

    async def relay_once(self, min_age_s: float = 0.0) -> int:
        """Publishes rows read from the outbox (none this relay holds); returns how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = [
                Outgoing(
                    r["id"],
                    r["message_id"],
                    r["exchange"],
                    r["routing_key"],
                    bytes(r["body"]),
                    r["headers"],
                    r["correlation_id"],
                    r["created_at"],
                )
                async for r in q.claim_outbox_batch(conn, limit=BATCH, min_age_s=min_age_s, held=list(self._held))
                if r["id"] not in self._held
            ]
            if not rows:
                metrics.OUTBOX_BACKLOG.set(0)
                return 0
            ids = [row.id for row in rows]
            self._held.update(ids)
            try:
                await asyncio.gather(*(self._publish(row) for row in rows))
                crash.point("relay.after_confirm")
                await q.delete_sent(conn, ids=ids)
            except BaseException:
                self._held.difference_update(ids)
                raise
        self._forget(ids)
        if len(rows) == BATCH:
            metrics.OUTBOX_BACKLOG.set(await self.backlog())
        return len(rows)

    async def backlog(self) -> int:
        async with self.pool.acquire() as conn:
            return int(await q.outbox_backlog(conn))

    async def _publish(self, row: Outgoing) -> None:
        headers = json.loads(row.headers) if isinstance(row.headers, str) else row.headers
        message = aio_pika.Message(
            body=row.body,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=row.message_id,
            correlation_id=row.correlation_id,
            timestamp=row.created_at,
            app_id=self.app_id,
            user_id=self.user_id,
            headers=headers or None,
        )
        exchange = await self._exchange(row.exchange)
        parked = row.exchange == routing.PARKING_EXCHANGE
        await exchange.publish(message, routing_key=row.routing_key, mandatory=parked)
        metrics.PUBLISHED.labels(row.exchange).inc()
