"""Scheduling's tables, through the named queries of ``sql/queries.sql``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from services.runtime.database import load_queries

SQL_DIR = Path(__file__).parent / "sql"
q = load_queries(SQL_DIR)


@dataclass(frozen=True)
class Need:
    """A pupil's need of one interview in a domain."""

    ine: str
    domain_code: str
    origin_uai: str
    registered_at: datetime
    formation_codes: tuple[str, ...]
    state: str


@dataclass(frozen=True)
class Booking:
    interview_id: uuid.UUID
    reception_uai: str
    place: str
    starts_at: datetime
    ends_at: datetime
    formation_codes: tuple[str, ...]


@dataclass(frozen=True)
class DeclaredSlot:
    """A slot of one school in one domain, as the cancellation finds it (locked)."""

    slot_id: uuid.UUID
    starts_at: datetime
    cancelled: bool


@dataclass(frozen=True)
class MovedInterview:
    """An interview cancelled with its slot; ``need`` is the pupil's need waiting again, to be booked anew."""

    interview_id: uuid.UUID
    ine: str
    domain_code: str
    need: Need | None


def _need(row: Any) -> Need | None:
    if row is None:
        return None
    return Need(row["ine"], row["domain_code"], row["origin_uai"], row["registered_at"],
                tuple(row["formation_codes"]), row["state"])


class SchedulingRepository:
    def __init__(self, conn: asyncpg.Connection, campaign: str) -> None:
        self.conn = conn
        self.campaign = campaign

    async def lock_pupil(self, ine: str) -> None:
        await q.lock_pupil(self.conn, campaign=self.campaign, ine=ine)

    async def try_lock_pupil(self, ine: str) -> bool:
        return bool(await q.try_lock_pupil(self.conn, campaign=self.campaign, ine=ine))

    async def get_need(self, ine: str, domain_code: str) -> Need | None:
        return _need(await q.get_need(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code))

    async def add_formation(self, *, ine: str, domain_code: str, origin_uai: str, registered_at: datetime,
                            formation_code: str) -> Need:
        need = _need(await q.add_formation(
            self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code, origin_uai=origin_uai,
            registered_at=registered_at, formation_code=formation_code,
        ))
        assert need is not None
        return need

    async def remove_formation(self, ine: str, domain_code: str, formation_code: str) -> Need | None:
        return _need(await q.remove_formation(
            self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code, formation_code=formation_code
        ))

    async def set_need_state(self, ine: str, domain_code: str, state: str) -> None:
        await q.set_need_state(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code, state=state)

    async def book_waiting_need(self, ine: str, domain_code: str, *, earliest: datetime, gap_hours: int,
                                half_day_rule: bool, now: datetime) -> Booking | None:
        """Takes a seat in the best fitting slot for a waiting need and records the interview; None if none fits."""
        row = await q.book_waiting_need(
            self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code, earliest=earliest,
            half_day_rule=half_day_rule, gap_seconds=gap_hours * 3600, interview_id=uuid.uuid4(), now=now,
        )
        if row is None:
            return None
        return Booking(row["interview_id"], row["reception_uai"], row["place"], row["starts_at"], row["ends_at"],
                       tuple(row["formation_codes"]))

    async def active_interview(self, ine: str, domain_code: str) -> Any:
        return await q.active_interview(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code)

    async def cancel_interview(self, interview_id: uuid.UUID, reason: str) -> None:
        await q.cancel_interview(self.conn, interview_id=interview_id, reason=reason)

    async def report_attendance(self, interview_id: uuid.UUID, attended: bool) -> Any:
        return await q.report_attendance(self.conn, interview_id=interview_id, attended=attended)

    async def insert_slot(self, *, reception_uai: str, domain_code: str, place: str, starts_at: datetime,
                          ends_at: datetime, half_day: str, capacity: int) -> bool:
        return bool(await q.insert_slot(
            self.conn, slot_id=uuid.uuid4(), campaign=self.campaign, reception_uai=reception_uai,
            domain_code=domain_code, place=place, starts_at=starts_at, ends_at=ends_at, half_day=half_day,
            capacity=capacity,
        ))

    async def reopen_slots(self, *, reception_uai: str, domain_code: str, starts: list[datetime]) -> int:
        return int(await q.reopen_slots(self.conn, campaign=self.campaign, reception_uai=reception_uai,
                                        domain_code=domain_code, starts=starts))

    async def pupils_booked_in_slots(self, *, reception_uai: str, domain_code: str, starts: list[datetime],
                                     now: datetime) -> list[str]:
        return [r["ine"] async for r in q.pupils_booked_in_slots(
            self.conn, campaign=self.campaign, reception_uai=reception_uai, domain_code=domain_code,
            starts=starts, now=now)]

    async def lock_slots(self, *, reception_uai: str, domain_code: str, starts: list[datetime]) -> list[DeclaredSlot]:
        return [DeclaredSlot(r["slot_id"], r["starts_at"], r["cancelled"]) async for r in q.lock_slots(
            self.conn, campaign=self.campaign, reception_uai=reception_uai, domain_code=domain_code, starts=starts)]

    async def close_slots(self, slot_ids: list[uuid.UUID], *, reason: str, now: datetime) -> int:
        return int(await q.close_slots(self.conn, slot_ids=slot_ids, reason=reason, now=now))

    async def cancel_interviews_in_slots(self, slot_ids: list[uuid.UUID], *, reason: str,
                                         now: datetime) -> list[MovedInterview]:
        return [
            MovedInterview(r["interview_id"], r["ine"], r["domain_code"],
                           None if r["origin_uai"] is None else
                           Need(r["ine"], r["domain_code"], r["origin_uai"], r["registered_at"],
                                tuple(r["formation_codes"]), "waiting"))
            async for r in q.cancel_interviews_in_slots(self.conn, campaign=self.campaign, slot_ids=slot_ids,
                                                        reason=reason, now=now)
        ]

    async def waiting_pupils(self, domain_code: str, limit: int) -> list[Need]:
        return [n for r in [r async for r in q.waiting_pupils(
            self.conn, campaign=self.campaign, domain_code=domain_code, limit=limit)] if (n := _need(r))]

    async def domains_to_drain(self, earliest: datetime) -> list[str]:
        return [r["domain_code"] async for r in q.domains_to_drain(self.conn, campaign=self.campaign,
                                                                     earliest=earliest)]

    async def shortfall_changes(self) -> list[tuple[str, int]]:
        return [(r["domain_code"], r["waiting"]) async for r in q.shortfall_changes(self.conn, campaign=self.campaign)]

    async def record_shortfall(self, domain_code: str, waiting: int, now: datetime) -> None:
        await q.record_shortfall(self.conn, campaign=self.campaign, domain_code=domain_code, waiting=waiting, now=now)


async def purge_campaign(conn: asyncpg.Connection, campaign: str) -> int:
    """Once the campaign is over, its pupils' data goes: minors' data is kept no longer than needed."""
    return int(await q.purge_campaign(conn, campaign=campaign))
