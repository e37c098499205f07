"""The process's consumers, on plain aio-pika: one robust connection, a channel per queue, ack after the handler.

Decision 0003: the consumer loop is aio-pika's, as for everything else that talks to the broker. What it does:

- each work queue (declared by the topology, never here) is consumed on a channel of its own, with the
  runtime's prefetch per channel, so that one busy queue cannot starve the others of deliveries;
- a delivery is acknowledged once its handler returned, and given back (nack, requeue) when it raised: the
  handler already paused before raising, so a failing message does not spin;
- the connection follows a cluster's nodes (``failover``); aio-pika's robust channels consume again after a
  reconnection, and readiness and liveness count this process's own consumers on their channels;
- on stop, the consumers are cancelled first (the broker sends nothing more), the deliveries being handled
  are waited for up to the grace, and only then is the connection closed: what was not acknowledged goes
  back to its queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustConnection, AbstractRobustQueue

from services.runtime import failover

log = structlog.get_logger()

Handle = Callable[[AbstractIncomingMessage], Awaitable[None]]


class Subscriptions:
    def __init__(self, nodes: Sequence[str], *, prefetch: int, connection_name: str) -> None:
        self.nodes = list(nodes)
        self.prefetch = prefetch
        self.connection_name = connection_name
        self.connection: AbstractRobustConnection | None = None
        self._consuming: dict[str, tuple[AbstractRobustQueue, str]] = {}
        self._channels: list[AbstractRobustChannel] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self, handlers: dict[str, Handle]) -> None:
        self.connection = await failover.connect_robust(
            self.nodes, client_properties={"connection_name": self.connection_name}
        )
        for name, handle in handlers.items():
            channel = await self.connection.channel()
            await channel.set_qos(prefetch_count=self.prefetch)
            # Passive: the topology declares the queues; a service may not (no configure permission).
            queue = await channel.declare_queue(name, passive=True)
            tag = await queue.consume(self._callback(handle))
            self._channels.append(channel)  # type: ignore[arg-type]
            self._consuming[name] = (queue, tag)  # type: ignore[assignment]

    def _callback(self, handle: Handle) -> Handle:
        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)  # type: ignore[arg-type]
            self._idle.clear()
            try:
                try:
                    await handle(message)
                except Exception:
                    # The handler logged it and paused; the broker redelivers and counts the delivery.
                    await _settle(message.nack(requeue=True))
                else:
                    await _settle(message.ack())
            finally:
                self._in_flight.discard(task)  # type: ignore[arg-type]
                if not self._in_flight:
                    self._idle.set()

        return on_message

    @property
    def connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed

    async def ping(self, timeout: float) -> bool:
        """Whether the broker answers on this connection now (a channel opened and closed)."""
        if not self.connected:
            return False
        assert self.connection is not None
        try:
            async with asyncio.timeout(timeout):
                channel = await self.connection.channel()
                await channel.close()
        except Exception:  # readiness reports, it does not raise
            return False
        return True

    async def own_consumers(self) -> dict[str, int] | None:
        """This process's consumers per queue, as its channels know them; None while the connection is down.

        A consumer the broker cancelled (its queue deleted, a node lost) leaves its channel's table; aio-pika
        consumes again once it can, and when it cannot, the consumer stays missing: that is what this counts.
        """
        if not self.connected:
            return None
        counts = {}
        for name, (queue, tag) in self._consuming.items():
            try:
                consuming = tag in (await queue.channel.get_underlay_channel()).consumers
            except Exception:  # a channel being reopened: its consumers come back with it, or are counted missing
                consuming = False
            counts[name] = int(consuming)
        return counts

    async def stop(self, grace: float) -> None:
        """Nothing more delivered, the deliveries in hand finished (up to ``grace``), then the connection closed."""
        for queue, tag in self._consuming.values():
            with contextlib.suppress(Exception):  # a lost channel delivers nothing more either
                await asyncio.wait_for(queue.cancel(tag), 5)
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            log.warning("deliveries_cancelled_after_grace", deliveries=len(self._in_flight))
            for task in list(self._in_flight):
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.close()


async def _settle(answer: Awaitable[None]) -> None:
    """An ack or nack on a channel that is gone changes nothing: the broker redelivers what was not acked."""
    try:
        await answer
    except Exception as error:
        log.warning("delivery_not_settled", error=type(error).__name__)
