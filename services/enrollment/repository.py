"""Enrollment's tables, through the named queries of ``sql/queries.sql``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from uuid import UUID

import asyncpg

from services.enrollment.domain import Candidacy, Opinion
from services.runtime.database import load_queries

SQL_DIR = Path(__file__).parent / "sql"
q = load_queries(SQL_DIR)


@dataclass(frozen=True)
class Asked:
    """A pupil's state asked for one formation (its domain, when the formation has one)."""

    ine: str
    formation_code: str
    domain_code: str | None


@dataclass(frozen=True)
class SavedRegistration:
    """One candidacy as a registration saves it."""

    ine: str
    formation_code: str
    domain_code: str
    origin_uai: str
    channel: str
    last_name: str
    first_name: str
    birth_date: date
    class_level: str
    referent_name: str
    referent_email: str
    origin_opinion: str
    origin_comment: str
    revision: int
    origin_mailbox: str | None


@dataclass(frozen=True)
class InterviewNews:
    """An interview's status as enrollment decided it (``domain.interview_status``)."""

    interview_id: UUID
    ine: str
    domain_code: str
    starts_at: datetime | None
    status: str


@dataclass(frozen=True)
class PupilState:
    candidacy: Candidacy | None
    pupil_origin_uai: str | None
    interview_held: bool
    pupil_origin_mailbox: str | None = None


class CandidacyRepository:
    """One campaign's candidacies, over the connection of the current transaction."""

    def __init__(self, conn: asyncpg.Connection, campaign: str) -> None:
        self.conn = conn
        self.campaign = campaign

    async def lock_pupils(self, ines: Sequence[str]) -> None:
        await q.lock_pupils(self.conn, campaign=self.campaign, ines=list(ines))

    async def pupil_states(self, asked: Sequence[Asked], now: datetime) -> list[PupilState]:
        """For each (pupil, formation, domain) asked, in order: the candidacy (if any), the pupil's origin school
        (if registered) and R9's interview flag."""
        rows = [
            row
            async for row in q.pupil_states(
                self.conn,
                campaign=self.campaign,
                ines=[a.ine for a in asked],
                formation_codes=[a.formation_code for a in asked],
                domain_codes=[a.domain_code for a in asked],
                now=now,
            )
        ]
        return [_state(a.ine, row) for a, row in zip(asked, rows, strict=True)]

    async def save_registrations(self, saved: Sequence[SavedRegistration], now: datetime) -> list[datetime]:
        """Creates or updates each candidacy (one per pupil and formation); returns each one's first registration
        instant, in order. A mailbox given becomes the pupil's, on every candidacy of the pupil."""
        rows = q.save_registrations(
            self.conn,
            campaign=self.campaign,
            now=now,
            ines=[r.ine for r in saved],
            formation_codes=[r.formation_code for r in saved],
            domain_codes=[r.domain_code for r in saved],
            origin_uais=[r.origin_uai for r in saved],
            channels=[r.channel for r in saved],
            last_names=[r.last_name for r in saved],
            first_names=[r.first_name for r in saved],
            birth_dates=[r.birth_date for r in saved],
            class_levels=[r.class_level for r in saved],
            referent_names=[r.referent_name for r in saved],
            referent_emails=[r.referent_email for r in saved],
            origin_opinions=[r.origin_opinion for r in saved],
            origin_comments=[r.origin_comment for r in saved],
            revisions=[r.revision for r in saved],
            origin_mailboxes=[r.origin_mailbox for r in saved],
        )
        first = {(row["ine"], row["formation_code"]): row["registered_at"] async for row in rows}
        given = [r for r in saved if r.origin_mailbox is not None]
        if given:
            await q.share_origin_mailboxes(
                self.conn,
                campaign=self.campaign,
                ines=[r.ine for r in given],
                origin_mailboxes=[r.origin_mailbox for r in given],
            )
        return [first[(r.ine, r.formation_code)] for r in saved]

    async def withdraw(self, ine: str, formation_code: str, reason: str | None, now: datetime) -> None:
        await q.withdraw(
            self.conn, campaign=self.campaign, ine=ine, formation_code=formation_code, reason=reason, now=now
        )

    async def active_in_domain(self, ine: str, domain_code: str) -> int:
        return int(await q.active_in_domain(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code))

    async def interview_statuses(self, interview_ids: Sequence[UUID]) -> dict[UUID, str]:
        """What enrollment knows of each interview (none: not in the answer)."""
        rows = q.interview_statuses(self.conn, interview_ids=list(interview_ids))
        return {row["interview_id"]: row["status"] async for row in rows}

    async def save_interviews(self, news: Sequence[InterviewNews]) -> None:
        """Each interview's decided status (one row per interview); a start only from a booking."""
        await q.save_interviews(
            self.conn,
            campaign=self.campaign,
            interview_ids=[n.interview_id for n in news],
            ines=[n.ine for n in news],
            domain_codes=[n.domain_code for n in news],
            starts_ats=[n.starts_at for n in news],
            statuses=[n.status for n in news],
        )


def _state(ine: str, row: asyncpg.Record) -> PupilState:
    candidacy = None
    if row["formation_code"] is not None:
        candidacy = Candidacy(
            ine=ine,
            formation_code=row["formation_code"],
            domain_code=row["domain_code"],
            origin_uai=row["origin_uai"],
            origin_opinion=Opinion(row["origin_opinion"]),
            origin_comment=row["origin_comment"],
            active=row["active"],
            revision=row["revision"],
        )
    return PupilState(candidacy, row["pupil_origin_uai"], bool(row["interview_held"]), row["pupil_origin_mailbox"])


async def purge_campaign(conn: asyncpg.Connection, campaign: str) -> int:
    """Once the campaign is over, its pupils' data goes: minors' data is kept no longer than needed."""
    return int(await q.purge_campaign(conn, campaign=campaign))
