"""Writing outgoing messages in the caller's transaction (the outbox), and the rows the relay then publishes."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from contracts import routing
from contracts.base import Event
from services.runtime import schools
from services.runtime.database import runtime_queries as q


def _routing_key_of(event: Event, service: str) -> str:
    """A service publishes its own events only: ``<service>.<event>``."""
    return routing.event_key(service, routing.EVENT_NAMES[type(event)])


def outbox_row(event: Event, service: str, correlation_id: str | None) -> tuple[Any, ...]:
    return (
        str(event.event_id),
        routing.EVENTS_EXCHANGE,
        _routing_key_of(event, service),
        event.model_dump_json().encode(),
        json.dumps({}),
        correlation_id,
    )


@dataclass(frozen=True)
class Outgoing:
    """An outbox row as written: what the relay needs to publish it and then delete it."""

    id: int
    message_id: str
    exchange: str
    routing_key: str
    body: bytes
    headers: str
    correlation_id: str | None
    created_at: datetime


HandOff = Callable[[Sequence[Outgoing]], None]
"""Gives committed outbox rows to the relay in memory; called right after the commit, never inside it."""


async def write_outbox(
    conn: asyncpg.Connection,
    rows: Sequence[tuple[Any, ...]],
    *,
    sender_uai: str | None = None,
    senders: Sequence[str | None] | None = None,
) -> list[Outgoing]:
    """The rows, and each public event's copies per school concerned (``sender_uai``: the command's school;
    ``senders``: each row's, for a batch of commands).

    Returns them as written, for the relay once the caller's transaction committed.
    """
    rows = [*rows, *await schools.copies(conn, rows, sender_uai, senders)]
    if not rows:
        return []
    written = [
        w
        async for w in q.add_outbox_messages(
            conn,
            message_ids=[r[0] for r in rows],
            exchanges=[r[1] for r in rows],
            routing_keys=[r[2] for r in rows],
            bodies=[r[3] for r in rows],
            headers=[r[4] for r in rows],
            correlation_ids=[r[5] for r in rows],
        )
    ]
    # A message id is unique per route: matched that way, whatever order the rows came back in.
    made = {(w["message_id"], w["exchange"], w["routing_key"]): w for w in written}
    return [
        Outgoing(made[r[0], r[1], r[2]]["id"], r[0], r[1], r[2], r[3], r[4], r[5], made[r[0], r[1], r[2]]["created_at"])
        for r in rows
    ]
