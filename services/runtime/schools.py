"""Each public event again on ``passpro.schools``, once per school it concerns, from the same outbox transaction.

The schools an event concerns: those its body names (``origin_uai``, ``reception_uai``), the origin schools
of its pupil and the reception school of its interview as learnt from earlier messages (``school_links``),
and the school that sent the command behind it. Only well-formed UAIs make a routing key: the broker lets a
service publish there ``<uai>.<service>.…`` only, and a refused publish would hold the whole outbox back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import asyncpg

from contracts import routing
from contracts.identifiers import is_valid_uai
from services.runtime.database import runtime_queries as q

NOT_ABOUT_SCHOOLS = frozenset({"clock_advanced", "campaign_purged"})
"""Events about the whole campaign: they concern no pupil and no school in particular."""

Link = tuple[str, str]
"""(subject, uai): ``pupil:<ine>`` -> an origin school, ``interview:<id>`` -> its reception school."""


def school_of(value: object) -> str | None:
    """``value`` when it is a UAI with its right check letter, else None."""
    return value if isinstance(value, str) and is_valid_uai(value) else None


def _subjects(data: Mapping[str, Any]) -> list[str]:
    pupil = data.get("pupil")
    ine = data.get("ine") or (pupil.get("ine") if isinstance(pupil, Mapping) else None)
    found = [f"pupil:{ine}"] if isinstance(ine, str) and ine else []
    interview = data.get("interview_id")
    if isinstance(interview, str) and interview:
        found.append(f"interview:{interview}")
    return found


def links_in(data: Mapping[str, Any]) -> list[Link]:
    """What a message body says about which schools a pupil or an interview concerns."""
    links: list[Link] = []
    origin, reception = school_of(data.get("origin_uai")), school_of(data.get("reception_uai"))
    for subject in _subjects(data):
        if origin and subject.startswith("pupil:"):
            links.append((subject, origin))
        if reception and subject.startswith("interview:"):
            links.append((subject, reception))
    return links


async def learn(conn: asyncpg.Connection, bodies: Iterable[Mapping[str, Any]]) -> None:
    """Records the links the bodies carry, in the caller's transaction."""
    rows = [
        {"campaign": str(body.get("campaign")), "subject": subject, "uai": uai}
        for body in bodies
        for subject, uai in links_in(body)
    ]
    if rows:
        await q.link_schools(conn, rows)


async def copies(
    conn: asyncpg.Connection,
    rows: Sequence[tuple[Any, ...]],
    sender_uai: str | None,
    senders: Sequence[str | None] | None = None,
) -> list[tuple[Any, ...]]:
    """The ``passpro.schools`` copies of the outbox rows that are public events about pupils or schools.

    ``senders``: the school behind each row, when the rows come from several commands (a batch).
    """
    events: list[tuple[tuple[Any, ...], dict[str, Any], str | None]] = []
    for i, row in enumerate(rows):
        exchange, key = row[1], row[2]
        if exchange != routing.EVENTS_EXCHANGE or key not in routing.EVENTS:
            continue
        if key.partition(".")[2] in NOT_ABOUT_SCHOOLS:
            continue
        events.append((row, json.loads(row[3]), senders[i] if senders is not None else sender_uai))
    if not events:
        return []
    await learn(conn, (body for _, body, _ in events))
    known: dict[tuple[str, str], set[str]] = {}
    for campaign in {str(body.get("campaign")) for _, body, _ in events}:
        subjects = sorted(
            {s for _, body, _ in events if str(body.get("campaign")) == campaign for s in _subjects(body)}
        )
        if subjects:
            async for record in q.linked_schools(conn, campaign=campaign, subjects=subjects):
                known.setdefault((campaign, record["subject"]), set()).add(record["uai"])
    result: list[tuple[Any, ...]] = []
    for row, body, sender in events:
        campaign = str(body.get("campaign"))
        schools = {school_of(body.get("origin_uai")), school_of(body.get("reception_uai")), school_of(sender)}
        for subject in _subjects(body):
            schools |= known.get((campaign, subject), set())
        for uai in sorted(s for s in schools if s):
            result.append((row[0], routing.SCHOOLS_EXCHANGE, routing.school_event_key(uai, row[2]), *row[3:]))
    return result
