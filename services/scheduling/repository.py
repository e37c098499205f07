"""Scheduling's tables, through the named queries of ``sql/queries.sql``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import asyncpg
from asyncpg.transaction import Transaction

from services.runtime.database import load_queries
from services.scheduling.domain import Slot

SQL_DIR = Path(__file__).parent / "sql"
q = load_queries(SQL_DIR)


@dataclass(frozen=True)
class AddedFormation:
    """A registration's formation, for its pupil's need in its domain."""

    ine: str
    domain_code: str
    origin_uai: str
    registered_at: datetime
    formation_code: str


@dataclass(frozen=True)
class Need:
    """A pupil's need of one interview in a domain."""

    ine: str
    domain_code: str
    origin_uai: str
    registered_at: datetime
    formation_codes: tuple[str, ...]
    state: str
    plan_after: datetime | None = None
    """The end of the need's planning round; None once planned (a waiting need then waits for a seat)."""


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


def _need(row: asyncpg.Record | None) -> Need | None:
    if row is None:
        return None
    return Need(
        row["ine"],
        row["domain_code"],
        row["origin_uai"],
        row["registered_at"],
        tuple(row["formation_codes"]),
        row["state"],
        row["plan_after"],
    )


@dataclass(frozen=True)
class PupilInterview:
    """An interview the pupil has (booked or attended), in its slot."""

    interview_id: uuid.UUID
    domain_code: str
    slot_id: uuid.UUID
    reception_uai: str
    starts_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class ActiveInterview:
    """The interview a pupil holds in a domain (booked or attended), as a withdrawal finds it."""

    interview_id: uuid.UUID
    slot_id: uuid.UUID
    starts_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class ReportedInterview:
    """An interview whose attendance was recorded: the pupil's need it settles."""

    ine: str
    domain_code: str


@dataclass(frozen=True, slots=True)
class NoShows:
    """R21: an origin school's interviews reported (held or missed), and how many its pupils missed."""

    origin_uai: str
    reported: int
    absent: int


class SeatTaken(Exception):
    """A seat the plan chose went to another transaction: the plan is computed again."""


class SchedulingRepository:
    def __init__(self, conn: asyncpg.Connection, campaign: str) -> None:
        self.conn = conn
        self.campaign = campaign

    async def lock_pupil(self, ine: str) -> None:
        await q.lock_pupil(self.conn, campaign=self.campaign, ine=ine)

    async def try_lock_pupil(self, ine: str) -> bool:
        return bool(await q.try_lock_pupil(self.conn, campaign=self.campaign, ine=ine))

    async def lock_pupils(self, ines: Sequence[str]) -> None:
        await q.lock_pupils(self.conn, campaign=self.campaign, ines=list(ines))

    async def get_need(self, ine: str, domain_code: str) -> Need | None:
        return (await self.get_needs([(ine, domain_code)])).get((ine, domain_code))

    async def get_needs(self, asked: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Need]:
        """The needs of the (pupil, domain) pairs asked that exist."""
        rows = q.get_needs(
            self.conn,
            campaign=self.campaign,
            ines=[ine for ine, _ in asked],
            domain_codes=[domain_code for _, domain_code in asked],
        )
        return {(need.ine, need.domain_code): need async for r in rows if (need := _need(r))}

    async def add_formations(self, added: Sequence[AddedFormation]) -> dict[tuple[str, str], Need]:
        """Each formation added to its pupil's need in its domain (each pair once); the needs as they now are."""
        rows = q.add_formations(
            self.conn,
            campaign=self.campaign,
            ines=[a.ine for a in added],
            domain_codes=[a.domain_code for a in added],
            origin_uais=[a.origin_uai for a in added],
            registered_ats=[a.registered_at for a in added],
            formation_codes=[a.formation_code for a in added],
        )
        return {(need.ine, need.domain_code): need async for r in rows if (need := _need(r))}

    async def remove_formation(self, ine: str, domain_code: str, formation_code: str) -> Need | None:
        return _need(
            await q.remove_formation(
                self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code, formation_code=formation_code
            )
        )

    async def set_need_state(self, ine: str, domain_code: str, state: str) -> None:
        await q.set_need_state(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code, state=state)

    async def start_rounds(self, rounds: Sequence[tuple[str, datetime, str | None]]) -> None:
        """Each (pupil, round's end, the need that joins the round, None: none does, it already waits for a seat),
        each pupil once."""
        if rounds:
            await q.start_rounds(
                self.conn,
                campaign=self.campaign,
                ines=[ine for ine, _, _ in rounds],
                untils=[until for _, until, _ in rounds],
                domain_codes=[domain_code for _, _, domain_code in rounds],
            )

    async def end_round(self, ine: str, now: datetime) -> None:
        await q.end_round(self.conn, campaign=self.campaign, ine=ine, now=now)

    async def due_pupils(self, now: datetime, limit: int) -> list[str]:
        return [r["ine"] async for r in q.due_pupils(self.conn, campaign=self.campaign, now=now, limit=limit)]

    async def pupil_needs(self, ine: str) -> list[Need]:
        return [n async for r in q.pupil_needs(self.conn, campaign=self.campaign, ine=ine) if (n := _need(r))]

    async def pupil_interviews(self, ine: str) -> list[PupilInterview]:
        return [
            PupilInterview(
                r["interview_id"], r["domain_code"], r["slot_id"], r["reception_uai"], r["starts_at"], r["status"]
            )
            async for r in q.pupil_interviews(self.conn, campaign=self.campaign, ine=ine)
        ]

    async def candidate_slots(self, domains: list[str], earliest: datetime) -> list[Slot]:
        """Open slots of these domains with a free seat from ``earliest`` on: what the planner chooses among."""
        return [
            Slot(str(r["slot_id"]), r["reception_uai"], r["starts_at"], r["free_seats"], domain_code=r["domain_code"])
            async for r in q.candidate_slots(self.conn, campaign=self.campaign, domains=domains, earliest=earliest)
        ]

    def savepoint(self) -> Transaction:
        """A plan is carried out whole or not at all, inside the caller's transaction."""
        return self.conn.transaction()

    async def book(self, ine: str, domain_code: str, slot_id: str, *, half_day_rule: bool, now: datetime) -> Booking:
        """Takes a seat in the slot and records the interview; SeatTaken when the seat is gone."""
        seat = await q.take_seat(self.conn, slot_id=uuid.UUID(slot_id))
        if seat is None:
            raise SeatTaken(slot_id)
        interview_id = uuid.uuid4()
        row = await q.record_interview(
            self.conn,
            interview_id=interview_id,
            campaign=self.campaign,
            ine=ine,
            domain_code=domain_code,
            slot_id=uuid.UUID(slot_id),
            reception_uai=seat["reception_uai"],
            place=seat["place"],
            starts_at=seat["starts_at"],
            ends_at=seat["ends_at"],
            half_day=seat["half_day"] if half_day_rule else None,
            now=now,
        )
        if row is None:  # the need is gone: nothing of the plan stays
            raise SeatTaken(slot_id)
        return Booking(
            interview_id,
            seat["reception_uai"],
            seat["place"],
            seat["starts_at"],
            seat["ends_at"],
            tuple(row["formation_codes"]),
        )

    async def active_interview(self, ine: str, domain_code: str) -> ActiveInterview | None:
        row = await q.active_interview(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code)
        return None if row is None else ActiveInterview(**row)

    async def cancel_interview(self, interview_id: uuid.UUID, reason: str) -> None:
        await q.cancel_interview(self.conn, interview_id=interview_id, reason=reason)

    async def report_attendance(self, interview_id: uuid.UUID, attended: bool) -> ReportedInterview | None:
        """None: no interview to report on (unknown, or cancelled)."""
        row = await q.report_attendance(self.conn, interview_id=interview_id, attended=attended)
        return None if row is None else ReportedInterview(**row)

    async def insert_slot(
        self,
        *,
        reception_uai: str,
        domain_code: str,
        place: str,
        starts_at: datetime,
        ends_at: datetime,
        half_day: str,
        capacity: int,
    ) -> bool:
        return bool(
            await q.insert_slot(
                self.conn,
                slot_id=uuid.uuid4(),
                campaign=self.campaign,
                reception_uai=reception_uai,
                domain_code=domain_code,
                place=place,
                starts_at=starts_at,
                ends_at=ends_at,
                half_day=half_day,
                capacity=capacity,
            )
        )

    async def reopen_slots(self, *, reception_uai: str, domain_code: str, starts: list[datetime]) -> int:
        return int(
            await q.reopen_slots(
                self.conn, campaign=self.campaign, reception_uai=reception_uai, domain_code=domain_code, starts=starts
            )
        )

    async def pupils_booked_in_slots(
        self, *, reception_uai: str, domain_code: str, starts: list[datetime], now: datetime
    ) -> list[str]:
        return [
            r["ine"]
            async for r in q.pupils_booked_in_slots(
                self.conn,
                campaign=self.campaign,
                reception_uai=reception_uai,
                domain_code=domain_code,
                starts=starts,
                now=now,
            )
        ]

    async def lock_slots(self, *, reception_uai: str, domain_code: str, starts: list[datetime]) -> list[DeclaredSlot]:
        return [
            DeclaredSlot(r["slot_id"], r["starts_at"], r["cancelled"])
            async for r in q.lock_slots(
                self.conn, campaign=self.campaign, reception_uai=reception_uai, domain_code=domain_code, starts=starts
            )
        ]

    async def close_slots(self, slot_ids: list[uuid.UUID], *, reason: str, now: datetime) -> int:
        return int(await q.close_slots(self.conn, slot_ids=slot_ids, reason=reason, now=now))

    async def cancel_interviews_in_slots(
        self, slot_ids: list[uuid.UUID], *, reason: str, now: datetime
    ) -> list[MovedInterview]:
        return [
            MovedInterview(
                r["interview_id"],
                r["ine"],
                r["domain_code"],
                None
                if r["origin_uai"] is None
                else Need(
                    r["ine"],
                    r["domain_code"],
                    r["origin_uai"],
                    r["registered_at"],
                    tuple(r["formation_codes"]),
                    "waiting",
                    None,
                ),
            )
            async for r in q.cancel_interviews_in_slots(
                self.conn, campaign=self.campaign, slot_ids=slot_ids, reason=reason, now=now
            )
        ]

    async def waiting_pupils(self, domain_code: str, limit: int) -> list[Need]:
        return [
            n
            for r in [
                r
                async for r in q.waiting_pupils(self.conn, campaign=self.campaign, domain_code=domain_code, limit=limit)
            ]
            if (n := _need(r))
        ]

    async def domains_to_drain(self, earliest: datetime) -> list[str]:
        return [
            r["domain_code"] async for r in q.domains_to_drain(self.conn, campaign=self.campaign, earliest=earliest)
        ]

    async def shortfall_changes(self) -> list[tuple[str, int]]:
        return [(r["domain_code"], r["waiting"]) async for r in q.shortfall_changes(self.conn, campaign=self.campaign)]

    async def record_shortfall(self, domain_code: str, waiting: int, now: datetime) -> None:
        await q.record_shortfall(self.conn, campaign=self.campaign, domain_code=domain_code, waiting=waiting, now=now)

    async def waiting_registered_before(self, registered_before: datetime) -> dict[str, int]:
        """Per domain, planned pupils registered before the instant who still wait for a seat."""
        return {
            r["domain_code"]: r["waiting"]
            async for r in q.waiting_registered_before(
                self.conn, campaign=self.campaign, registered_before=registered_before
            )
        }

    async def raise_alarm(self, domain_code: str, today: date, waiting: int, now: datetime) -> bool:
        """True when this is the domain's first alarm of the campaign day ``today``."""
        return bool(
            await q.raise_alarm(
                self.conn, campaign=self.campaign, domain_code=domain_code, today=today, waiting=waiting, now=now
            )
        )

    async def no_shows_by_origin(self) -> list[NoShows]:
        return [NoShows(**r) async for r in q.no_shows_by_origin(self.conn, campaign=self.campaign)]


async def purge_campaign(conn: asyncpg.Connection, campaign: str) -> int:
    """Once the campaign is over, its pupils' data goes: minors' data is kept no longer than needed."""
    return int(await q.purge_campaign(conn, campaign=campaign))
