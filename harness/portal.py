"""A portal as upstream portals are: publishes commands, listens to events, with the `portal` account only.

Used by the demo, the benchmark and the end-to-end tests, so they all go through the public interface.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from contracts import routing

Event = dict[str, Any]


class PortalClient:
    """Publishes on ``passpro.commands`` and follows ``passpro.events`` through its own exclusive queue."""

    def __init__(self, url: str, *, bindings: tuple[str, ...] = ("#",), events: str = routing.EVENTS_EXCHANGE) -> None:
        self.url = url
        self.events_exchange = events
        """`passpro.events` for the académie's portal; a school's portal reads `passpro.schools` (``<uai>.#``)."""
        # The broker refuses a user_id other than the connection's account: services can trust it.
        self.user_id = unquote(urlsplit(url).username or "guest")
        self.bindings = bindings
        self.events: list[Event] = []
        self.counts: Counter[str] = Counter()
        """Events seen per routing key."""
        self.by_cause: dict[str, list[Event]] = defaultdict(list)
        self._arrived = asyncio.Event()
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._commands: aio_pika.abc.AbstractExchange | None = None
        self.arrival_times: dict[str, float] = {}
        self.sent: list[tuple[str, dict[str, Any] | bytes]] = []
        """Every command the broker confirmed: routing key and body, as given to ``send``."""

    async def __aenter__(self) -> PortalClient:
        # Not a robust connection: robust queues get client-chosen names, and the portal may only
        # declare server-named ones (amq.gen-*).
        self._connection = await aio_pika.connect(self.url, client_properties={"connection_name": "portal"})
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        self._commands = await channel.get_exchange(routing.COMMANDS_EXCHANGE, ensure=False)
        listen = await self._connection.channel()
        await listen.set_qos(prefetch_count=1000)
        events = await listen.get_exchange(self.events_exchange, ensure=False)
        queue = await listen.declare_queue(None, exclusive=True, auto_delete=True)
        for key in self.bindings:
            await queue.bind(events, routing_key=key)
        await queue.consume(self._on_event, no_ack=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _on_event(self, message: AbstractIncomingMessage) -> None:
        event = json.loads(message.body)
        event["_routing_key"] = message.routing_key
        event["_correlation_id"] = message.correlation_id
        event["_app_id"] = message.app_id
        event["_user_id"] = message.user_id
        self.events.append(event)
        self.counts[message.routing_key or ""] += 1
        cause = event.get("causation_id") or event.get("command_id")
        if cause:
            self.by_cause[str(cause)].append(event)
            self.arrival_times.setdefault(str(cause), time.perf_counter())
        self._arrived.set()

    async def send(
        self,
        command: str,
        body: dict[str, Any] | bytes,
        *,
        message_id: str | None = None,
        correlation_id: str | None = None,
    ) -> str:
        """Publishes one command persistently and waits for the broker's confirm; returns its message id."""
        assert self._commands is not None
        if isinstance(body, dict):
            message_id = message_id or str(body.get("command_id") or uuid.uuid4())
            raw = json.dumps(body, default=str).encode()
        else:
            message_id = message_id or str(uuid.uuid4())
            raw = body
        await self._commands.publish(
            aio_pika.Message(
                raw,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=message_id,
                correlation_id=correlation_id or message_id,
                user_id=self.user_id,
            ),
            routing_key=command,
            mandatory=True,
        )
        self.sent.append((command, body))
        return message_id

    async def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 15.0) -> Event:
        """The first event (seen or to come) matching ``predicate``; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching event within {timeout} s ({seen} events seen)")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                pass

    async def outcome(self, command_id: str, timeout: float = 15.0) -> Event:
        """The first event caused by ``command_id``: what became of the command."""
        return await self.wait_for(
            lambda e: str(e.get("causation_id")) == command_id or e.get("command_id") == command_id, timeout
        )

    def caused_by(self, command_id: str) -> list[Event]:
        return list(self.by_cause.get(command_id, []))
