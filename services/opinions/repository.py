"""Opinions' tables, through the named queries of ``sql/queries.sql``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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


@dataclass(frozen=True, slots=True)
class SavedCandidacy:
    """A candidacy as its registration says (R9: the origin opinion of that revision)."""

    ine: str
    formation_code: str
    domain_code: str
    origin_uai: str
    origin_opinion: str
    revision: int


@dataclass(frozen=True, slots=True)
class RecordedInterview:
    """R22: a booked interview and the day its report is due."""

    interview_id: uuid.UUID
    ine: str
    domain_code: str
    reception_uai: str
    starts_at: datetime
    due_on: date


class OpinionsRepository:
    def __init__(self, conn: asyncpg.Connection, campaign: str) -> None:
        self.conn = conn
        self.campaign = campaign

    async def lock_pupil(self, ine: str) -> None:
        await self.lock_pupils([ine])

    async def lock_pupils(self, ines: Sequence[str]) -> None:
        await q.lock_pupils(self.conn, campaign=self.campaign, ines=list(ines))

    async def save_candidacies(self, candidacies: Sequence[SavedCandidacy]) -> None:
        """R9: each candidacy once; a later revision replaces the origin opinion, an older one changes nothing."""
        await q.save_candidacies(
            self.conn,
            campaign=self.campaign,
            ines=[c.ine for c in candidacies],
            formation_codes=[c.formation_code for c in candidacies],
            domain_codes=[c.domain_code for c in candidacies],
            origin_uais=[c.origin_uai for c in candidacies],
            origin_opinions=[c.origin_opinion for c in candidacies],
            revisions=[c.revision for c in candidacies],
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

    async def record_interviews(self, interviews: Sequence[RecordedInterview]) -> None:
        """Each interview once; one whose cancellation arrived first is recorded cancelled."""
        ids = [i.interview_id for i in interviews]
        await q.lock_interviews(self.conn, interview_ids=ids)
        await q.record_interviews(
            self.conn,
            campaign=self.campaign,
            interview_ids=ids,
            ines=[i.ine for i in interviews],
            domain_codes=[i.domain_code for i in interviews],
            reception_uais=[i.reception_uai for i in interviews],
            starts_ats=[i.starts_at for i in interviews],
            due_ons=[i.due_on for i in interviews],
        )

    async def cancel_interview(self, interview_id: uuid.UUID) -> None:
        """R10: a cancellation that overtakes its booking is kept for it (events waiting to be tried again are
        overtaken by later ones)."""
        await q.lock_interviews(self.conn, interview_ids=[interview_id])
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

    async def pending_finals(self, ines: Sequence[str]) -> list[tuple[str, str, str, str]]:
        """R25: (pupil, formation, origin opinion, reception opinion) of each active candidacy of the pupils that
        holds both opinions and no final opinion yet."""
        return [
            (r["ine"], r["formation_code"], r["origin_opinion"], r["reception_opinion"])
            async for r in q.pending_finals(self.conn, campaign=self.campaign, ines=list(ines))
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
