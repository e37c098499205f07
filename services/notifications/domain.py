"""Notifications' pure rules: when a reception school's planning sheet goes out or is re-issued, when a
capacity shortfall is told (R15, R19, R22).

No clock, no database: the callers pass ``now`` and what is recorded, and get a decision back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PLANNING_HOUR = time(16, 0)
"""Planning sheets go out at this hour of the campaign's timezone, ``planning_notice_days`` before the day."""


def planning_due_at(day: date, notice_days: int, tz: ZoneInfo) -> datetime:
    """R14, R19: the planning sheet of an interview day is due ``notice_days`` before it, at 16:00 campaign time."""
    return datetime.combine(day - timedelta(days=notice_days), PLANNING_HOUR, tz)


def planning_days_due(now: datetime, notice_days: int, tz: ZoneInfo) -> tuple[date, ...]:
    """The interview days whose sheet is due at ``now`` and that are not over yet, earliest first.

    The day itself stays due until it ends: a sheet held back by an outage still goes out that morning.
    """
    today = now.astimezone(tz).date()
    days = (today + timedelta(days=k) for k in range(notice_days + 1))
    return tuple(day for day in days if planning_due_at(day, notice_days, tz) <= now)


def local_day(instant: datetime, tz: ZoneInfo) -> date:
    """R20c: the day of an instant in the campaign's timezone."""
    return instant.astimezone(tz).date()


@dataclass(frozen=True)
class PlanningFormation:
    """One formation of an interview, with the origin school's opinion and comment (the pupil's dossier, R8)."""

    code: str
    origin_opinion: str | None
    origin_comment: str | None


@dataclass(frozen=True)
class PlanningEntry:
    """One interview on a reception school's planning sheet."""

    interview_id: str
    starts_at: datetime
    ends_at: datetime
    domain_code: str
    place: str
    first_name: str
    last_name: str
    origin_uai: str
    formations: tuple[PlanningFormation, ...]


def planning_order(entries: Sequence[PlanningEntry]) -> tuple[PlanningEntry, ...]:
    """A sheet lists the day's interviews in time order, then by pupil's name (a group slot holds several)."""
    return tuple(sorted(entries, key=lambda e: (e.starts_at, e.last_name.casefold(), e.first_name.casefold(),
                                                e.interview_id)))


def planning_fingerprint(entries: Sequence[PlanningEntry]) -> str:
    """What a sheet shows, reduced to a digest: two sheets with the same digest say the same thing."""
    shown = [
        [e.interview_id, e.starts_at.isoformat(), e.ends_at.isoformat(), e.domain_code, e.place, e.first_name,
         e.last_name, e.origin_uai, [[f.code, f.origin_opinion, f.origin_comment] for f in e.formations]]
        for e in planning_order(entries)
    ]
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class SheetRecord:
    """What was last asked for one school's day: its digest, whether that mail is still waiting to go, and
    whether any sheet of that day has gone out (or is going out) already."""

    fingerprint: str
    pending: bool
    any_sent: bool


@dataclass(frozen=True)
class SheetDecision:
    send: bool
    """A new sheet is asked for."""
    updated: bool
    """It follows a sheet that went out: its subject says « mis à jour »."""
    drop_pending: bool
    """The sheet still waiting to go is out of date and is not sent."""


NOTHING = SheetDecision(send=False, updated=False, drop_pending=False)


def planning_decision(last: SheetRecord | None, fingerprint: str, has_entries: bool) -> SheetDecision:
    """R19 for reception schools: a day's sheet once, and an updated one whenever its list changed after it went out.

    A sheet that has not gone out yet is replaced rather than followed: the school gets only the current one.
    A day emptied after its sheet went out gets an updated sheet saying so; a day that never had a sheet sent
    and has nothing left gets none.
    """
    if last is None:
        return SheetDecision(send=True, updated=False, drop_pending=False) if has_entries else NOTHING
    if last.fingerprint == fingerprint:
        return NOTHING
    if not has_entries and not last.any_sent:
        return SheetDecision(send=False, updated=False, drop_pending=last.pending)
    return SheetDecision(send=True, updated=last.any_sent, drop_pending=last.pending)


def shortfall_mail_due(last_told: int | None, waiting: int) -> bool:
    """R15: the shortfall is told once per episode, and again when it has grown by half or more since."""
    if waiting <= 0:
        return False
    return last_told is None or 2 * waiting >= 3 * last_told


def shortfall_episode_over(waiting: int) -> bool:
    """R15: an episode ends when nobody waits any more; the next shortfall is a new one."""
    return waiting <= 0
