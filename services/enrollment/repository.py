"""Enrollment's tables, through the named queries of ``sql/queries.sql``."""

from __future__ import annotations

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

    async def lock_pupil(self, ine: str) -> None:
        await q.lock_pupil(self.conn, campaign=self.campaign, ine=ine)

    async def pupil_state(self, ine: str, formation_code: str, domain_code: str | None, now: datetime) -> PupilState:
        """The candidacy (if any), the pupil's origin school (if registered) and R9's interview flag."""
        row = await q.pupil_state(
            self.conn,
            campaign=self.campaign,
            ine=ine,
            formation_code=formation_code,
            domain_code=domain_code,
            now=now,
        )
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

    async def save_registration(
        self,
        *,
        ine: str,
        formation_code: str,
        domain_code: str,
        origin_uai: str,
        channel: str,
        last_name: str,
        first_name: str,
        birth_date: date,
        class_level: str,
        referent_name: str,
        referent_email: str,
        origin_opinion: str,
        origin_comment: str,
        revision: int,
        now: datetime,
        origin_mailbox: str | None = None,
    ) -> datetime:
        """Creates or updates the candidacy; returns its first registration instant.

        ``origin_mailbox`` is the pupil's: a new value is set on every candidacy of the pupil.
        """
        registered_at: datetime = await q.save_registration(
            self.conn,
            campaign=self.campaign,
            ine=ine,
            formation_code=formation_code,
            domain_code=domain_code,
            origin_uai=origin_uai,
            channel=channel,
            last_name=last_name,
            first_name=first_name,
            birth_date=birth_date,
            class_level=class_level,
            referent_name=referent_name,
            referent_email=referent_email,
            origin_opinion=origin_opinion,
            origin_comment=origin_comment,
            revision=revision,
            now=now,
            origin_mailbox=origin_mailbox,
        )
        if origin_mailbox is not None:
            await q.share_origin_mailbox(self.conn, campaign=self.campaign, ine=ine, origin_mailbox=origin_mailbox)
        return registered_at

    async def withdraw(self, ine: str, formation_code: str, reason: str | None, now: datetime) -> None:
        await q.withdraw(
            self.conn, campaign=self.campaign, ine=ine, formation_code=formation_code, reason=reason, now=now
        )

    async def active_in_domain(self, ine: str, domain_code: str) -> int:
        return int(await q.active_in_domain(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code))

    async def interview_status(self, interview_id: UUID) -> str | None:
        status: str | None = await q.interview_status(self.conn, interview_id=interview_id)
        return status

    async def save_interview(
        self, interview_id: UUID, ine: str, domain_code: str, starts_at: datetime | None, status: str
    ) -> None:
        await q.save_interview(
            self.conn,
            interview_id=interview_id,
            campaign=self.campaign,
            ine=ine,
            domain_code=domain_code,
            starts_at=starts_at,
            status=status,
        )


async def purge_campaign(conn: asyncpg.Connection, campaign: str) -> int:
    """Once the campaign is over, its pupils' data goes: minors' data is kept no longer than needed."""
    return int(await q.purge_campaign(conn, campaign=campaign))
