"""What a service's own code imports from the runtime: the handler's context, refusals, the service table.

Nothing here knows the broker: handlers, routines and workers see a transaction, a clock and a campaign.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from contracts import routing
from contracts.base import Event, RejectionReason
from contracts.campaign import Campaign

E = TypeVar("E", bound=Event)
T = TypeVar("T")


class Rejected(Exception):
    """A command that is not carried out: a stable reason code and a message a secretary understands."""

    def __init__(
        self,
        reason: str | RejectionReason,
        message: str,
        errors: Sequence[tuple[str, str]] = (),
        *,
        maybe_not_yet: bool = False,
    ):
        super().__init__(message)
        self.reason = RejectionReason(reason)
        self.message = message
        self.errors = list(errors)
        self.maybe_not_yet = maybe_not_yet
        """What is missing comes from another service's events, which may still be on their way."""


@dataclass
class Context:
    """What a handler gets besides its message: the open transaction, the clock, the campaign."""

    conn: asyncpg.Connection
    now: datetime
    campaign: Campaign
    service: str
    causation_id: uuid.UUID | None
    virtual_clock: bool
    correlation_id: str | None = None
    """The conversation this message belongs to, from the portal's command on; kept for outside calls."""

    def event(self, model: type[E], **fields: Any) -> E:
        return model(
            event_id=uuid.uuid4(),
            occurred_at=self.now,
            campaign=self.campaign.campaign,
            causation_id=self.causation_id,
            **fields,
        )


def per_campaign(build: Callable[[Campaign], T]) -> Callable[[Campaign], T]:
    """``build`` run once per campaign a process loads, not once per message (the campaign never changes)."""
    built: dict[int, tuple[Campaign, T]] = {}

    def cached(campaign: Campaign) -> T:
        hit = built.get(id(campaign))
        if hit is None or hit[0] is not campaign:
            hit = built[id(campaign)] = (campaign, build(campaign))
        return hit[1]

    return cached


Handler = Callable[[Any, Context], Awaitable[Sequence[Event]]]
Routine = Callable[[Context], Awaitable[Sequence[Event]]]
SetHandler = Callable[[Sequence[tuple[Any, Context]]], Awaitable[Sequence[Sequence[Event]]]]


@dataclass(frozen=True)
class Together:
    """A set-based handler: deliveries of one message that come in a row in a batch, handled in one go (one
    statement per table for all of them) with the same effects as one after the other.

    It returns each delivery's events, in order. ``subject``: what one delivery concerns (a pupil, an
    interview); deliveries of one subject are never handled together, so that each sees the one before.
    """

    handle: SetHandler
    subject: Callable[[Any], object]


def one_by_one(together: SetHandler) -> Handler:
    """The handler of a delivery that comes alone: the set-based handler, for a set of one."""

    async def handle(message: Any, ctx: Context) -> Sequence[Event]:
        (events,) = await together([(message, ctx)])
        return events

    return handle


@dataclass(frozen=True)
class Periodic:
    """Work that time or other messages make due (a sweep), run in its own transaction.

    It runs every ``interval`` seconds and when the clock moved, not after each message; one replica at a time.
    """

    name: str
    interval: float
    routine: Routine


@dataclass(frozen=True)
class WorkerContext:
    """What a long-running worker gets: the pool, the campaign, a way to wake the outbox relay, and the signal
    to stop.

    A worker is not cancelled when its process stops: it is asked to, finishes the round it is in (a mail SMTP
    accepted gets recorded) and returns; only one still busy after the grace is cancelled.
    """

    pool: asyncpg.Pool
    campaign: Campaign
    service: str
    wake_relay: Callable[[], None]
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def running(self) -> bool:
        return not self.stopping.is_set()

    async def idle(self, seconds: float) -> None:
        """Waits ``seconds`` between two rounds, or less when the process is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)


Worker = Callable[[WorkerContext], Awaitable[None]]
Purge = Callable[[asyncpg.Connection, str], Awaitable[int]]
Figures = Callable[[asyncpg.Connection, Campaign, datetime], Awaitable[dict[str, Any]]]
Read = Callable[[asyncpg.Connection, Campaign, datetime, Mapping[str, str]], Awaitable[dict[str, Any]]]


class ReadRefused(Exception):
    """An operator's read cannot be answered as asked (unknown school, malformed date): said in plain words."""


@dataclass(frozen=True)
class Service:
    """What makes a service: its name, its SQL and the handlers of the messages it consumes."""

    name: str
    sql_dir: Path
    commands: Mapping[str, Handler] = field(default_factory=dict)
    events: Mapping[str, Handler] = field(default_factory=dict)
    together: Mapping[str, Together] = field(default_factory=dict)
    """Set-based handlers, by message, for the deliveries of one batch (``commands`` and ``events`` still answer
    each delivery that comes alone, or that the batch hands back one by one)."""
    answers_broadcast_rejections: bool = False
    """Broadcast commands reach every service; one of them answers their rejections, so there is one."""
    periodic: Sequence[Periodic] = ()
    workers: Sequence[Worker] = ()
    """Loops that talk to the outside world between transactions (Affelnet, SMTP); they run until stopped."""
    purge: Purge | None = None
    """Deletes the campaign's rows about its pupils from the service's tables; returns how many."""
    figures: Figures | None = None
    """The service's own counts for operators (``GET /campaign``): identifiers and numbers, no personal data."""
    reads: Mapping[str, Read] = field(default_factory=dict)
    """Operators' views that carry personal data (``GET /read/<name>?…``), behind the operators' token."""
    actions: Mapping[str, Read] = field(default_factory=dict)
    """Operators' actions (``POST /act/<name>?…``, e.g. replaying a refused mail), behind the operators' token,
    each in one read-write transaction."""


def owned_commands(service: str, handlers: object) -> dict[str, Handler]:
    """The handlers of the commands ``contracts.routing`` gives the service: ``<command>`` is handled by ``<command>``.

    ``routing.COMMAND_OWNERS`` is the one declaration of who carries out a command; a missing handler fails at import.
    """
    return {key: getattr(handlers, key) for key, owner in routing.COMMAND_OWNERS.items() if owner == service}


def subscribed_events(service: str, handlers: object) -> dict[str, Handler]:
    """The handlers of the events the service's queue is bound to: ``<publisher>.<event>`` is handled by ``<event>``.

    The bindings in ``contracts.routing`` are the one declaration of a service's subscriptions (the broker's
    topology and the AsyncAPI document are made from them too); a missing handler fails at import.
    """
    return {
        key: getattr(handlers, key.partition(".")[2])
        for spec in routing.queues_of(service)
        if spec.exchange == routing.EVENTS_EXCHANGE
        for key in spec.bindings
    }
