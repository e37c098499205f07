"""Notifications' tables, through the named queries of ``sql/queries.sql``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg

from services.runtime.database import load_queries

SQL_DIR = Path(__file__).parent / "sql"
q = load_queries(SQL_DIR)


class NotificationsRepository:
    def __init__(self, conn: asyncpg.Connection, campaign: str) -> None:
        self.conn = conn
        self.campaign = campaign

    async def save_pupil(self, *, ine: str, first_name: str, last_name: str, origin_uai: str, referent_email: str,
                         revision: int, origin_mailbox: str | None = None) -> None:
        await q.save_pupil(self.conn, campaign=self.campaign, ine=ine, first_name=first_name, last_name=last_name,
                           origin_uai=origin_uai, referent_email=referent_email, revision=revision,
                           origin_mailbox=origin_mailbox)

    async def save_candidacy(self, ine: str, formation_code: str, domain_code: str, origin_opinion: str) -> None:
        await q.save_candidacy(self.conn, campaign=self.campaign, ine=ine, formation_code=formation_code,
                               domain_code=domain_code, origin_opinion=origin_opinion)

    async def remove_candidacy(self, ine: str, formation_code: str) -> None:
        await q.remove_candidacy(self.conn, campaign=self.campaign, ine=ine, formation_code=formation_code)

    async def save_interview(self, *, interview_id: uuid.UUID, ine: str, domain_code: str, reception_uai: str,
                             place: str, starts_at: datetime, ends_at: datetime, formation_codes: list[str]) -> None:
        await q.save_interview(self.conn, interview_id=interview_id, campaign=self.campaign, ine=ine,
                               domain_code=domain_code, reception_uai=reception_uai, place=place, starts_at=starts_at,
                               ends_at=ends_at, formation_codes=formation_codes)

    async def cancel_interview(self, interview_id: uuid.UUID) -> None:
        await q.cancel_interview(self.conn, interview_id=interview_id)

    async def drop_pending(self, key: str) -> bool:
        return bool(await q.drop_pending_convocation(self.conn, key=key))

    async def save_report(self, *, ine: str, domain_code: str, interview_id: uuid.UUID, attended: bool,
                          report: str) -> None:
        await q.save_report(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code,
                            interview_id=interview_id, attended=attended, report=report)

    async def save_final(self, ine: str, formation_code: str, reception_opinion: str, final_opinion: str) -> None:
        await q.save_final(self.conn, campaign=self.campaign, ine=ine, formation_code=formation_code,
                           reception_opinion=reception_opinion, final_opinion=final_opinion)

    async def request_mail(self, key: str, kind: str, *, ine: str | None = None,
                           interview_id: uuid.UUID | None = None, domain_code: str | None = None,
                           reception_uai: str | None = None, settle_seconds: float = 0.0) -> None:
        await q.request_mail(self.conn, key=key, campaign=self.campaign, kind=kind, ine=ine,
                             interview_id=interview_id, domain_code=domain_code, reception_uai=reception_uai,
                             settle_seconds=settle_seconds)

    async def pending_overdue_mail(self, reception_uai: str) -> str | None:
        key: str | None = await q.pending_overdue_mail(self.conn, reception_uai=reception_uai)
        return key

    async def add_overdue_item(self, interview_id: uuid.UUID, reception_uai: str, due_on: date, key: str) -> None:
        await q.add_overdue_item(self.conn, interview_id=interview_id, reception_uai=reception_uai, due_on=due_on,
                                 mail_key=key)

    async def reminders_due(self, now: datetime, until: datetime) -> list[Any]:
        return [r async for r in q.reminders_due(self.conn, campaign=self.campaign, now=now, until=until)]

    async def claim_due(self, limit: int, lease_seconds: int) -> list[Any]:
        return [r async for r in q.claim_due_mails(self.conn, limit=limit, lease_seconds=lease_seconds)]

    async def mark_sent(self, key: str, recipients: list[str]) -> bool:
        return bool(await q.mark_sent(self.conn, key=key, recipients=recipients))

    async def schedule_retry(self, key: str, error: str, delay_seconds: float, *, counted: bool = True) -> None:
        await q.schedule_retry(self.conn, key=key, error=error, delay_seconds=delay_seconds, counted=int(counted))

    async def get_pupil(self, ine: str) -> Any:
        return await q.get_pupil(self.conn, campaign=self.campaign, ine=ine)

    async def get_interview(self, interview_id: uuid.UUID) -> Any:
        return await q.get_interview(self.conn, interview_id=interview_id)

    async def interview_sequence(self, ine: str, domain_code: str, interview_id: uuid.UUID) -> int:
        return int(await q.interview_sequence(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code,
                                              interview_id=interview_id))

    async def recap_lines(self, ine: str) -> list[Any]:
        return [r async for r in q.recap_lines(self.conn, campaign=self.campaign, ine=ine)]

    async def overdue_for_mail(self, key: str) -> list[Any]:
        return [r async for r in q.overdue_for_mail(self.conn, key=key)]


async def purge_campaign(conn: asyncpg.Connection, campaign: str) -> int:
    """Once the campaign is over, its pupils' data goes: minors' data is kept no longer than needed."""
    return int(await q.purge_campaign(conn, campaign=campaign))
