"""The outside world of a fault run: a portal that publishes, an observer of every event, SMTP and Affelnet.

The portal and the observer use the ``portal`` account only and outlive broker restarts: the portal
re-publishes an unconfirmed command under its ``command_id``; the observer reads a durable server-named
queue, acknowledging each event once recorded, so no event is lost to it while the broker restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from email import policy
from email.parser import BytesHeaderParser, BytesParser
from typing import Any, NamedTuple

import aio_pika
import uvicorn
from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import AMQPError, DeliveryError
from starlette.requests import Request
from starlette.responses import Response

from contracts import routing
from harness.affelnet_receiver import AffelnetReceiver, serve
from harness.mail_sink import MailSink
from harness.mail_sink import start as start_smtp
from harness.portal import PortalClient
from tools.faults.script import Command

Event = dict[str, Any]
_BROKER_TROUBLE = (AMQPError, RuntimeError, OSError, TimeoutError)
"""What a publish or a connection raises while the broker is away (aio-pika, aiormq, sockets)."""


class Portal:
    """Publishes commands with the portal account; an unconfirmed publish is retried with the same command id."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.published = 0
        self.unconfirmed = 0
        """Publishes that failed (broker away) and were sent again under the same ``command_id``."""
        self._client: PortalClient | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> PortalClient:
        async with self._lock:
            while self._client is None:
                client = PortalClient(self.url, bindings=())
                try:
                    await asyncio.wait_for(client.__aenter__(), 10)
                except _BROKER_TROUBLE:
                    await asyncio.sleep(0.5)
                    continue
                self._client = client
            return self._client

    async def _drop(self, client: PortalClient) -> None:
        async with self._lock:
            if self._client is client:
                self._client = None
        with contextlib.suppress(*_BROKER_TROUBLE):
            await asyncio.wait_for(client.__aexit__(None, None, None), 5)

    async def send(self, cmd: Command) -> None:
        while True:
            client = await self._connected()
            try:
                await asyncio.wait_for(
                    client.send(cmd.key, cmd.body, message_id=cmd.command_id, correlation_id=cmd.command_id), 30
                )
            except DeliveryError:  # unroutable: the topology is wrong, publishing again cannot help
                raise
            except _BROKER_TROUBLE:
                self.unconfirmed += 1
                await self._drop(client)
                await asyncio.sleep(0.5)
                continue
            self.published += 1
            return

    async def send_all(
        self, commands: Iterable[Command], concurrency: int = 32, progress: Callable[[int], None] | None = None
    ) -> None:
        pending = list(reversed(list(commands)))
        done = 0

        async def worker() -> None:
            nonlocal done
            while pending:
                await self.send(pending.pop())
                done += 1
                if progress is not None:
                    progress(done)

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def close(self) -> None:
        if self._client is not None:
            await self._drop(self._client)


class Observer:
    """Every event on ``passpro.events``, deduplicated by ``event_id``, kept across broker restarts."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: dict[str, Event] = {}
        self.by_cause: dict[str, list[Event]] = defaultdict(list)
        self.by_key: dict[str, list[Event]] = defaultdict(list)
        self.repeated = 0
        """Deliveries of an event already recorded: the relay published it again, or the broker redelivered it."""
        self.reconnections = 0
        self.queue_name: str | None = None
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect(self.url, client_properties={"connection_name": "faults-observer"})
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=2000)
        # Server-named (the only names the portal account may declare), durable and not exclusive:
        # it survives the broker's restart with the events it holds.
        queue = await channel.declare_queue(None, durable=True, exclusive=False, auto_delete=False)
        await queue.bind(await channel.get_exchange(routing.EVENTS_EXCHANGE, ensure=False), "#")
        self.queue_name = queue.name
        await queue.consume(self._on_event)
        self._task = asyncio.create_task(self._keep_connected(), name="observer")

    async def _keep_connected(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            # A plain connection closed by the broker clears ``connected``; ``is_closed`` stays false.
            if self._connection is not None and self._connection.connected.is_set():
                continue
            try:
                connection = await asyncio.wait_for(
                    aio_pika.connect(self.url, client_properties={"connection_name": "faults-observer"}), 10
                )
                channel = await connection.channel()
                await channel.set_qos(prefetch_count=2000)
                queue = await channel.get_queue(str(self.queue_name), ensure=True)
                await queue.consume(self._on_event)
            except _BROKER_TROUBLE:
                continue
            self._connection = connection
            self.reconnections += 1

    async def _on_event(self, message: AbstractIncomingMessage) -> None:
        event = json.loads(message.body)
        event["_routing_key"] = message.routing_key or ""
        event_id = str(event.get("event_id"))
        if event_id in self.events:
            self.repeated += 1
        else:
            self.events[event_id] = event
            cause = event.get("causation_id") or event.get("command_id")
            if cause:
                self.by_cause[str(cause)].append(event)
            self.by_key[event["_routing_key"]].append(event)
        with contextlib.suppress(*_BROKER_TROUBLE):
            await message.ack()

    def count(self, key: str) -> int:
        return len(self.by_key.get(key, ()))

    def answers(self, cmd: Command) -> Counter[str]:
        """The answers ``cmd`` got, by routing key: its success events and its owner's rejections."""
        family = {*cmd.answers, cmd.owner_rejection}
        return Counter(
            e["_routing_key"]
            for e in self.by_cause.get(cmd.command_id, ())
            if e["_routing_key"] in family
            and (e["_routing_key"] != cmd.owner_rejection or e.get("command_id") == cmd.command_id)
        )

    def answered(self, cmd: Command) -> bool:
        got = self.answers(cmd)
        return got[cmd.owner_rejection] > 0 or all(got[key] for key in cmd.answers)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None and self._connection.connected.is_set():
            with contextlib.suppress(*_BROKER_TROUBLE):
                channel = await self._connection.channel()
                queue = await channel.get_queue(str(self.queue_name), ensure=False)
                await queue.delete(if_unused=False, if_empty=False)
                await self._connection.close()


def mail_content(recipients: Iterable[str], raw: bytes) -> str:
    """What a reader sees of a mail: its recipients, subject and decoded parts, without Message-ID or Date.

    Two mails with the same content are the same mail sent twice, whatever Message-ID each carries (a
    MIME boundary is drawn afresh for each sending: the parts are compared decoded, not as sent). A digest:
    the run keeps no address or text of a pupil's mail.
    """
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    digest = hashlib.sha256()
    for said in (*sorted(r.lower() for r in recipients), str(mail.get("Subject", ""))):
        digest.update(said.encode() + b"\0")
    for part in mail.walk():
        if part.is_multipart():
            continue
        digest.update(str(part.get_content_type()).encode() + b"\0")
        digest.update((part.get_payload(decode=True) or b"") + b"\0")
    return digest.hexdigest()


class Reception(NamedTuple):
    """One mail as the run's SMTP server received it."""

    at: float
    """``time.monotonic()``"""
    wall: float
    """``time.time()``: to compare with the times the database recorded."""
    message_id: str
    content: str
    """``mail_content``: the same for the same mail sent twice."""


class Mailbox(MailSink):
    """The run's SMTP server (aiosmtpd): logs each mail received (when, Message-ID, content); can be taken down
    and brought back."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port
        self.log: list[Reception] = []
        """Every mail received, in order; the counts by Message-ID and by content are read from it."""
        self._count_lock = threading.Lock()
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        headers = BytesHeaderParser().parsebytes(raw)
        message_id = str(headers.get("Message-ID", "")).strip()
        content = mail_content(envelope.rcpt_tos, raw)
        with self._count_lock:
            self.log.append(Reception(time.monotonic(), time.time(), message_id, content))
        return "250 Message accepted for delivery"

    async def up(self) -> None:
        self._controller = await asyncio.to_thread(start_smtp, self, self.port)

    async def down(self) -> None:
        if self._controller is not None:
            await asyncio.to_thread(self._controller.stop)
            self._controller = None

    def snapshot(self) -> Counter[str]:
        """Mails received, by Message-ID."""
        return Counter(r.message_id for r in self.log_snapshot())

    def copies_of(self, message_id: str) -> list[Reception]:
        """Each reception of the mail with that Message-ID, in order."""
        return [r for r in self.log_snapshot() if r.message_id == message_id]

    def log_snapshot(self) -> list[Reception]:
        with self._count_lock:
            return list(self.log)


class Affelnet(AffelnetReceiver):
    """The Affelnet stand-in, recording every post: key, body and the status answered."""

    def __init__(self, token: str, port: int) -> None:
        super().__init__(token)
        self.port = port
        self.posts: list[tuple[str, dict[str, Any], int]] = []
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def bonuses(self, request: Request) -> Response:
        response = await super().bonuses(request)
        try:
            body = await request.json()
        except ValueError:
            body = {}
        self.posts.append((request.headers.get("idempotency-key", ""), body, response.status_code))
        return response

    async def up(self) -> None:
        self._server, self._task = await serve(self, self.port)

    async def down(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None


async def until(predicate: Callable[[], bool], timeout: float, poll: float = 0.5) -> bool:
    """Waits until ``predicate()`` holds; False once ``timeout`` seconds have passed without it."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(poll)
    return True
