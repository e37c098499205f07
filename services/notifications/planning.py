"""Reception schools' planning sheets (R14, R19): the days whose list changed are marked, the sweep asks for each
due day's sheet once per version, and operators read any day's sheet on demand (``passpro ops planning``).

A sheet's facts are frozen when it is asked for: the mail says exactly what its recorded digest says, so an
updated sheet follows only a real change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from contracts.base import Event
from contracts.campaign import Campaign
from services.notifications import domain
from services.notifications.documents import (
    PlanningSheet,
    SchoolName,
    SheetFormation,
    SheetLine,
    planning_csv,
    sheet_rows,
)
from services.notifications.domain import PlanningEntry, PlanningFormation
from services.notifications.repository import NotificationsRepository
from services.runtime.service import Context, ReadRefused


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """R20c: a day of the campaign's timezone as [start, end) instants (23 or 25 hours around a clock change)."""
    return datetime.combine(day, time(0), tz), datetime.combine(day + timedelta(days=1), time(0), tz)


def day_mark(reception_uai: str, starts_at: datetime, tz: ZoneInfo) -> tuple[str, date]:
    """The school's list of that interview's day: what changes when the interview does."""
    return reception_uai, domain.local_day(starts_at, tz)


async def mark_day(repo: NotificationsRepository, reception_uai: str, starts_at: datetime, tz: ZoneInfo) -> None:
    """The school's list of that interview's day changed: the sweep looks at it again."""
    await repo.mark_planning_days([day_mark(reception_uai, starts_at, tz)])


async def mark_pupil_days(repo: NotificationsRepository, ines: Sequence[str], tz: ZoneInfo) -> None:
    """Pupils' dossiers or formations changed: so did the sheets of the days of their interviews."""
    await repo.mark_planning_days([day_mark(uai, starts_at, tz) for uai, starts_at in await repo.interview_times(ines)])


async def planning_sheets(ctx: Context) -> Sequence[Event]:
    """R19 for reception schools: each due day whose list changed gets its sheet, or an updated one."""
    tz = ctx.campaign.tz
    days = domain.planning_days_due(ctx.now, ctx.campaign.calendar.planning_notice_days, tz)
    if not days:
        return []
    repo = NotificationsRepository(ctx.conn, ctx.campaign.campaign)
    for changed in await repo.changed_planning_days(days):
        entries = await repo.planning_entries(changed.reception_uai, *day_bounds(changed.day, tz))
        await ask_sheet(repo, changed.reception_uai, changed.day, entries)
        await repo.planning_day_seen(changed)
    return []


async def ask_sheet(
    repo: NotificationsRepository, reception_uai: str, day: date, entries: Sequence[PlanningEntry]
) -> str | None:
    """Asks for the day's sheet when the rules say so; returns the new mail's key."""
    fingerprint = domain.planning_fingerprint(entries)
    latest = await repo.latest_planning_sheet(reception_uai, day)
    last = latest[2] if latest else None
    decision = domain.planning_decision(last, fingerprint, bool(entries))
    if decision.drop_pending and latest and last and not await repo.drop_pending(latest[1]):
        # It was leased for sending at this very moment: count it as gone, and decide again.
        decision = domain.planning_decision(replace(last, pending=False, any_sent=True), fingerprint, bool(entries))
    if not decision.send:
        return None
    version = latest[0] + 1 if latest else 1
    key = domain.planning_key(reception_uai, day, version)
    await repo.record_planning_sheet(key, reception_uai, day, version, fingerprint)
    facts = {
        "day": day.isoformat(),
        "updated": decision.updated,
        "entries": [entry_facts(e) for e in domain.planning_order(entries)],
    }
    await repo.request_mail(key, domain.MailKind.PLANNING, reception_uai=reception_uai, facts=facts)
    return key


def entry_facts(e: PlanningEntry) -> dict[str, Any]:
    return {
        "interview_id": e.interview_id,
        "starts_at": e.starts_at.isoformat(),
        "ends_at": e.ends_at.isoformat(),
        "domain_code": e.domain_code,
        "place": e.place,
        "first_name": e.first_name,
        "last_name": e.last_name,
        "origin_uai": e.origin_uai,
        "formations": [
            {"code": f.code, "origin_opinion": f.origin_opinion, "origin_comment": f.origin_comment}
            for f in e.formations
        ],
    }


def entry_from_facts(facts: Mapping[str, Any]) -> PlanningEntry:
    return PlanningEntry(
        facts["interview_id"],
        datetime.fromisoformat(facts["starts_at"]),
        datetime.fromisoformat(facts["ends_at"]),
        facts["domain_code"],
        facts["place"],
        facts["first_name"],
        facts["last_name"],
        facts["origin_uai"],
        tuple(PlanningFormation(f["code"], f["origin_opinion"], f["origin_comment"]) for f in facts["formations"]),
    )


def school_name(campaign: Campaign, uai: str) -> SchoolName:
    school = campaign.school(uai)
    return SchoolName(uai, school.name if school else uai)


def sheet(
    campaign: Campaign, reception_uai: str, day: date, entries: Sequence[PlanningEntry], updated: bool
) -> PlanningSheet:
    """The sheet as people read it: labels and school names from the campaign file."""

    def label(code: str, kind: str) -> str:
        found = campaign.formation(code) if kind == "formation" else campaign.domain(code)
        return found.label if found else code

    lines = tuple(
        SheetLine(
            e.interview_id,
            e.starts_at,
            e.ends_at,
            label(e.domain_code, "domain"),
            e.place,
            e.first_name,
            e.last_name,
            school_name(campaign, e.origin_uai),
            tuple(SheetFormation(label(f.code, "formation"), f.origin_opinion, f.origin_comment) for f in e.formations),
        )
        for e in domain.planning_order(entries)
    )
    return PlanningSheet(school_name(campaign, reception_uai), day, lines, updated)


async def planning_view(
    conn: asyncpg.Connection, campaign: Campaign, now: datetime, params: Mapping[str, str]
) -> dict[str, Any]:
    """Operators' view of a school's day as it stands now (``GET /read/planning?uai=…&date=YYYY-MM-DD``)."""
    uai = params.get("uai", "").strip().upper()
    school = campaign.school(uai)
    if school is None:
        raise ReadRefused(f"no school {uai!r} in the campaign file's directory")
    try:
        day = date.fromisoformat(params.get("date", ""))
    except ValueError:
        raise ReadRefused("the date must be given as YYYY-MM-DD") from None
    repo = NotificationsRepository(conn, campaign.campaign)
    entries = await repo.planning_entries(uai, *day_bounds(day, campaign.tz))
    shown = sheet(campaign, uai, day, entries, updated=False)
    return {
        "school": {"uai": uai, "name": school.name},
        "day": day.isoformat(),
        "lines": sheet_rows(shown, campaign.tz),
        "csv": planning_csv(shown, tz=campaign.tz).decode("utf-8"),
    }
