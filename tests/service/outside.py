"""What the senders' service tests share: a migrated schema per test, a free port, a real SMTP server whose answers
a test scripts (a refused recipient, 451, a refused sender, a slow DATA), a sender's context, a lease run out."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
from aiosmtpd.controller import Controller

from contracts.campaign import Campaign
from services.runtime.database import RUNTIME_SQL, create_pool, migrate
from services.runtime.service import WorkerContext
from tests.conftest import TEST_DATABASE_URL


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def migrated_pool(stream: str, sql_dir: Path) -> AsyncIterator[asyncpg.Pool]:
    """The service's tables (and the runtime's: outbox, clock) in a schema of their own, migrated as it does."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await migrate(TEST_DATABASE_URL, schema, {"runtime": RUNTIME_SQL / "migrations", stream: sql_dir / "migrations"})
    pool = await create_pool(TEST_DATABASE_URL, schema, 6)
    try:
        yield pool
    finally:
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()


def worker_context(pool: asyncpg.Pool, campaign: Campaign, service: str) -> WorkerContext:
    return WorkerContext(pool=pool, campaign=campaign, service=service, wake_relay=lambda: None)


async def run_out_lease(pool: asyncpg.Pool, table: str) -> None:
    """The lease's time passes (as a sender stuck longer than it would): every lease of ``table`` has run out."""
    await pool.execute(
        f"UPDATE {table} SET lease_until = clock_timestamp() - interval '1 second' WHERE state = 'sending'"
    )


@dataclass
class ScriptedSmtp:
    """An aiosmtpd handler that takes mail like any server, unless told to answer otherwise.

    ``refuse``: addresses (lower case) refused at RCPT with 550, quoting the address as real servers do; ``"*"``
    refuses every recipient. ``sender_answer``: the answer to MAIL FROM. ``data_answers``: the next answers to DATA
    (``"451 …"``), one per mail. ``held_data``: how many next DATA wait until ``release`` (the server is slow for
    them), letting the server's other sessions through meanwhile.
    """

    refuse: set[str] = field(default_factory=set)
    sender_answer: str | None = None
    data_answers: deque[str] = field(default_factory=deque)
    held_data: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    """Set once a DATA is being held."""
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.sender_answer is not None:
            return self.sender_answer
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if "*" in self.refuse or address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.held_data > 0:
            self.held_data -= 1
            self.holding.set()
            while not self.release.is_set():  # cooperative: the server's other sessions go on meanwhile
                await asyncio.sleep(0.01)
        if self.data_answers:
            return self.data_answers.popleft()
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@contextmanager
def serving(handler: Any, *, smtputf8: bool = False) -> Iterator[int]:
    """A real SMTP server (aiosmtpd) on a free port, answering with ``handler``; its port. ``smtputf8``: it takes
    addresses that are not ASCII (RFC 6531), as aiosmtpd does only when told."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@contextmanager
def smtp_server(*, smtputf8: bool = False) -> Iterator[tuple[ScriptedSmtp, int]]:
    handler = ScriptedSmtp()
    with serving(handler, smtputf8=smtputf8) as port:
        try:
            yield handler, port
        finally:
            handler.release.set()
