"""The simulator's honest clock: before the campaign clock passes a due time, the stack has caught up (R20b).

A campaign clock that runs ahead of the services would show mails sent "on time" that went out after the
fact: a reminder (R20b) read after its interview helps nobody. Before each move of the clock the runner
waits, within a bound, until the services' queues hold nothing ready, notifications has no mail left to
send, and every interview the move passes has its reminder in the mailbox; then it counts, for each of
those interviews, whether its reminder was there in time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import aio_pika
import httpx

from contracts import routing
from ops.simulation.mailbox import Mailbox
from ops.simulation.tally import Interview

QUIET_POLLS = 2
"""Polls in a row that must find the stack idle: a message taken from a queue may still be being handled."""
POLL = 0.2


class Probe(Protocol):
    """What the stack still has to do; None when it cannot be told."""

    async def queued(self) -> int | None: ...

    async def mails_pending(self) -> int | None: ...


async def mails_pending(notifications_url: str) -> int | None:
    """Mails notifications has still to send, from its own counts (``GET /campaign``); None if it cannot say."""
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(notifications_url.rstrip("/") + "/campaign")
            response.raise_for_status()
            mails = response.json()["figures"]["mails"]
    except (httpx.HTTPError, KeyError, ValueError):
        return None
    return sum(int(states.get("pending", 0)) + int(states.get("sending", 0)) for states in mails.values())


class StackProbe:
    """Asks the broker (operators' account, a passive declare: counts of now, not the management API's
    five-second samples) and notifications' ``GET /campaign``."""

    def __init__(self, admin_amqp_url: str, notifications_url: str) -> None:
        self.admin_amqp_url, self.notifications_url = admin_amqp_url, notifications_url
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._channel: aio_pika.abc.AbstractChannel | None = None

    async def __aenter__(self) -> StackProbe:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def queued(self) -> int | None:
        try:
            if self._channel is None or self._channel.is_closed:
                if self._connection is None or self._connection.is_closed:
                    self._connection = await aio_pika.connect(self.admin_amqp_url)
                self._channel = await self._connection.channel()
            total = 0
            for spec in routing.QUEUES:
                queue = await self._channel.declare_queue(spec.name, passive=True)
                total += queue.declaration_result.message_count or 0
            return total
        except (OSError, aio_pika.exceptions.AMQPError):
            self._channel = None
            return None

    async def mails_pending(self) -> int | None:
        return await mails_pending(self.notifications_url)


def reminded(mailbox: Mailbox) -> set[str]:
    """Interviews whose reminder reached the mailbox, from the Message-ID notifications gives it (its key)."""
    return {
        mid[len("<reminder.") :].split("@", 1)[0]
        for mid in mailbox.refresh().message_ids.values()
        if mid.startswith("<reminder.")
    }


@dataclass
class CatchUp:
    """The waits before each move of the clock, and what the interviews the moves passed had received."""

    probe: Probe | None
    mailbox: Mailbox | None
    limit: float = 60.0
    """Seconds one move waits at most; past it the clock moves anyway and the run says so."""
    on_time: set[str] = field(default_factory=set)
    """Interviews whose reminder was in the mailbox before the clock passed their start."""
    late: set[str] = field(default_factory=set)
    """Interviews the clock passed without their reminder."""
    gave_up: int = 0
    """Moves that went ahead after ``limit`` seconds with the stack still behind."""
    waited: float = 0.0

    async def before(self, now: datetime | None, instant: datetime, booked: Iterable[Interview]) -> None:
        """Waits until the stack is idle and every interview in (now, instant] has its reminder."""
        passed = [i.interview_id for i in booked if (now is None or now < i.starts_at) and i.starts_at <= instant]
        self.gave_up += not await self.drained(passed)
        missing = self._missing(passed)
        if self.mailbox is not None:
            self.on_time.update(i for i in passed if i not in missing)
            self.late.update(missing)

    async def drained(self, reminders: Sequence[str] = ()) -> bool:
        """Waits, ``limit`` seconds at most, until the stack is idle and the ``reminders`` are in the mailbox."""
        started = time.monotonic()
        quiet = 0
        try:
            while True:
                idle = not self._missing(reminders) and await self._idle()
                quiet = quiet + 1 if idle else 0
                if quiet >= QUIET_POLLS:
                    return True
                if time.monotonic() - started > self.limit:
                    return False
                await asyncio.sleep(POLL)
        finally:
            self.waited += time.monotonic() - started

    def _missing(self, interviews: Sequence[str]) -> set[str]:
        if self.mailbox is None or not interviews:
            return set()
        sent = reminded(self.mailbox)
        return {i for i in interviews if i not in sent}

    async def _idle(self) -> bool:
        if self.probe is None:
            return True
        # None (cannot be told) does not hold the clock: the run would otherwise wait its limit at every move.
        return not await self.probe.queued() and not await self.probe.mails_pending()

    def warnings(self) -> list[str]:
        if not self.gave_up:
            return []
        return [
            f"the clock moved {self.gave_up} times with the stack still behind after {self.limit:.0f} s "
            "(queued messages, mails to send or reminders missing)"
        ]
