"""Opinions' tables, through the named queries of ``sql/queries.sql``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import asyncpg

from services.opinions.domain import Interview
from services.runtime.database import load_queries

SQL_DIR = Path(__file__).parent / "sql"
q = load_queries(SQL_DIR)


@dataclass(frozen=True, slots=True)
class InterviewPupil:
    """Whom an interview is for: the pupil and the domain its report settles, and the reception school."""

    ine: str
    domain_code: str
    reception_uai: str


class OpinionsRepository:
    def __init__(self, conn: asyncpg.Connection, campaign: str) -> None:
        self.conn = conn
        self.campaign = campaign

    async def lock_pupil(self, ine: str) -> None:
        await q.lock_pupil(self.conn, campaign=self.campaign, ine=ine)

    async def save_candidacy(
        self, *, ine: str, formation_code: str, domain_code: str, origin_uai: str, origin_opinion: str, revision: int
    ) -> None:
        await q.save_candidacy(
            self.conn,
            campaign=self.campaign,
            ine=ine,
            formation_code=formation_code,
            domain_code=domain_code,
            origin_uai=origin_uai,
            origin_opinion=origin_opinion,
            revision=revision,
        )

    async def withdraw_candidacy(self, ine: str, formation_code: str) -> None:
        await q.withdraw_candidacy(self.conn, campaign=self.campaign, ine=ine, formation_code=formation_code)

    async def active_formations(self, ine: str, domain_code: str) -> frozenset[str]:
        return frozenset(
            [
                r["formation_code"]
                async for r in q.active_formations(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code)
            ]
        )

    async def record_interview(
        self,
        *,
        interview_id: uuid.UUID,
        ine: str,
        domain_code: str,
        reception_uai: str,
        starts_at: datetime,
        due_on: date,
    ) -> None:
        await q.lock_interview(self.conn, interview_id=interview_id)
        await q.record_interview(
            self.conn,
            interview_id=interview_id,
            campaign=self.campaign,
            ine=ine,
            domain_code=domain_code,
            reception_uai=reception_uai,
            starts_at=starts_at,
            due_on=due_on,
        )

    async def cancel_interview(self, interview_id: uuid.UUID) -> None:
        """R10: a cancellation that overtakes its booking is kept for it (events waiting to be tried again are
        overtaken by later ones)."""
        await q.lock_interview(self.conn, interview_id=interview_id)
        if not await q.cancel_interview(self.conn, interview_id=interview_id):
            await q.record_early_cancellation(self.conn, interview_id=interview_id, campaign=self.campaign)

    async def get_interview(self, interview_id: uuid.UUID) -> tuple[Interview, InterviewPupil] | None:
        row = await q.get_interview(self.conn, interview_id=interview_id)
        if row is None or row["campaign"] != self.campaign:
            return None
        interview = Interview(
            str(row["interview_id"]), row["reception_uai"], row["starts_at"], row["cancelled"], row["reported"]
        )
        return interview, InterviewPupil(row["ine"], row["domain_code"], row["reception_uai"])

    async def record_report(self, interview_id: uuid.UUID, *, attended: bool, report: str, now: datetime) -> None:
        await q.record_report(self.conn, interview_id=interview_id, attended=attended, report=report, now=now)

    async def save_reception_opinion(
        self, *, ine: str, formation_code: str, interview_id: uuid.UUID, opinion: str
    ) -> None:
        await q.save_reception_opinion(
            self.conn,
            campaign=self.campaign,
            ine=ine,
            formation_code=formation_code,
            interview_id=interview_id,
            opinion=opinion,
        )

    async def pending_finals(self, ine: str) -> list[tuple[str, str, str]]:
        return [
            (r["formation_code"], r["origin_opinion"], r["reception_opinion"])
            async for r in q.pending_finals(self.conn, campaign=self.campaign, ine=ine)
        ]

    async def save_final(
        self,
        *,
        ine: str,
        formation_code: str,
        origin_opinion: str,
        reception_opinion: str,
        final_opinion: str,
        now: datetime,
    ) -> None:
        await q.save_final(
            self.conn,
            campaign=self.campaign,
            ine=ine,
            formation_code=formation_code,
            origin_opinion=origin_opinion,
            reception_opinion=reception_opinion,
            final_opinion=final_opinion,
            now=now,
        )

    async def overdue_reports(self, today: date) -> list[tuple[uuid.UUID, str, date]]:
        return [
            (r["interview_id"], r["reception_uai"], r["due_on"])
            async for r in q.overdue_reports(self.conn, campaign=self.campaign, today=today)
        ]

    async def mark_overdue_told(self, ids: list[uuid.UUID], now: datetime) -> None:
        await q.mark_overdue_told(self.conn, ids=ids, now=now)


async def purge_campaign(conn: asyncpg.Connection, campaign: str) -> int:
    """Once the campaign is over, its pupils' data goes: minors' data is kept no longer than needed."""
    return int(await q.purge_campaign(conn, campaign=campaign))
