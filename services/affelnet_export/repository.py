"""Affelnet export's tables, through the named queries of ``sql/queries.sql``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import asyncpg

from services.affelnet_export.domain import Candidacy
from services.runtime.database import load_queries

SQL_DIR = Path(__file__).parent / "sql"
q = load_queries(SQL_DIR)


@dataclass(frozen=True)
class ParkedBonus:
    """A bonus Affelnet refused for good, as operators see it."""

    ine: str
    formation_code: str
    final_opinion: str
    bonus_points: int
    attempts: int
    last_status: int | None
    last_answer: str | None


@dataclass(frozen=True, slots=True)
class LeasedBonus:
    """A bonus leased to this sender: what it posts to Affelnet, and the lease token it records the answer under."""

    campaign: str
    ine: str
    formation_code: str
    final_opinion: str
    bonus_points: int
    idempotency_key: str
    attempts: int
    correlation_id: str | None
    lease_token: uuid.UUID


@dataclass(frozen=True, slots=True)
class DeliveredBonus:
    """A bonus recorded as delivered under its sender's lease."""

    final_opinion: str
    bonus_points: int


@dataclass(frozen=True, slots=True)
class Bonus:
    """A bonus as the operators' CSV file lists it, whatever its state."""

    campaign: str
    ine: str
    formation_code: str
    final_opinion: str
    bonus_points: int
    state: str
    attempts: int
    last_status: int | None
    last_answer: str | None
    created_at: datetime
    delivered_at: datetime | None


class ExportRepository:
    def __init__(self, conn: asyncpg.Connection, campaign: str) -> None:
        self.conn = conn
        self.campaign = campaign

    def _key(self, ine: str, formation_code: str) -> dict[str, str]:
        return {"campaign": self.campaign, "ine": ine, "formation_code": formation_code}

    async def lock_pupil(self, ine: str) -> None:
        await self.lock_pupils([ine])

    async def lock_pupils(self, ines: Sequence[str]) -> None:
        await q.lock_pupils(self.conn, campaign=self.campaign, ines=list(ines))

    async def save_candidacies(self, candidacies: Sequence[tuple[str, str, str]]) -> None:
        """Each (pupil, formation, origin school) once; registered again, a candidacy is active again."""
        await q.save_candidacies(
            self.conn,
            campaign=self.campaign,
            ines=[ine for ine, _, _ in candidacies],
            formation_codes=[formation_code for _, formation_code, _ in candidacies],
            origin_uais=[origin_uai for _, _, origin_uai in candidacies],
        )

    async def withdraw_candidacy(self, ine: str, formation_code: str) -> None:
        await q.withdraw_candidacy(self.conn, **self._key(ine, formation_code))
        await q.cancel_pending_bonus(self.conn, **self._key(ine, formation_code))

    async def get_candidacy(self, ine: str, formation_code: str) -> Candidacy | None:
        row = await q.get_candidacy(self.conn, **self._key(ine, formation_code))
        return Candidacy(row["origin_uai"], row["active"]) if row else None

    async def save_confirmation(self, ine: str, formation_code: str, wish_entered_on: date, now: datetime) -> None:
        await q.save_confirmation(self.conn, **self._key(ine, formation_code), wish_entered_on=wish_entered_on, now=now)

    async def save_final(self, ine: str, formation_code: str, final_opinion: str) -> None:
        await q.save_final(self.conn, **self._key(ine, formation_code), final_opinion=final_opinion)

    async def due_bonuses(self, candidacies: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """R28: the final opinion of each (pupil, formation) asked whose bonus is due and not made yet."""
        return {
            (r["ine"], r["formation_code"]): r["final_opinion"]
            async for r in q.due_bonuses(
                self.conn,
                campaign=self.campaign,
                ines=[ine for ine, _ in candidacies],
                formation_codes=[formation_code for _, formation_code in candidacies],
            )
        }

    async def create_bonus(
        self, ine: str, formation_code: str, final_opinion: str, points: int, key: str, correlation_id: str | None
    ) -> None:
        await q.create_bonus(
            self.conn,
            **self._key(ine, formation_code),
            final_opinion=final_opinion,
            bonus_points=points,
            idempotency_key=key,
            correlation_id=correlation_id,
        )

    async def claim_due(self, limit: int, lease_seconds: int) -> list[LeasedBonus]:
        return [
            LeasedBonus(**r) async for r in q.claim_due_bonuses(self.conn, limit=limit, lease_seconds=lease_seconds)
        ]

    async def mark_delivered(
        self, ine: str, formation_code: str, lease_token: uuid.UUID, status: int, answer: str
    ) -> DeliveredBonus | None:
        """None: not recorded (the lease was taken over, or the bonus is no longer being sent)."""
        row = await q.mark_delivered(
            self.conn, **self._key(ine, formation_code), lease_token=lease_token, status=status, answer=answer
        )
        return None if row is None else DeliveredBonus(**row)

    async def schedule_retry(
        self,
        ine: str,
        formation_code: str,
        lease_token: uuid.UUID,
        status: int | None,
        answer: str,
        delay_seconds: float,
    ) -> bool:
        """False: the lease was taken over meanwhile, nothing recorded."""
        return bool(
            await q.schedule_retry(
                self.conn,
                **self._key(ine, formation_code),
                lease_token=lease_token,
                status=status,
                answer=answer,
                delay_seconds=delay_seconds,
            )
        )

    async def park(self, ine: str, formation_code: str, lease_token: uuid.UUID, status: int, answer: str) -> bool:
        """False: the lease was taken over meanwhile, nothing recorded."""
        return bool(
            await q.park(
                self.conn, **self._key(ine, formation_code), lease_token=lease_token, status=status, answer=answer
            )
        )

    async def replay_parked(self, ine: str | None = None, formation_code: str | None = None) -> int:
        return int(await q.replay_parked(self.conn, campaign=self.campaign, ine=ine, formation_code=formation_code))

    async def parked_bonuses(self, limit: int) -> list[ParkedBonus]:
        return [
            ParkedBonus(
                r["ine"],
                r["formation_code"],
                r["final_opinion"],
                r["bonus_points"],
                r["attempts"],
                r["last_status"],
                r["last_answer"],
            )
            async for r in q.parked_bonuses(self.conn, campaign=self.campaign, limit=limit)
        ]

    async def all_bonuses(self) -> AsyncIterator[Bonus]:
        async for row in q.all_bonuses(self.conn, campaign=self.campaign):
            yield Bonus(**row)


async def purge_campaign(conn: asyncpg.Connection, campaign: str) -> int:
    """Once the campaign is over, its pupils' data goes: minors' data is kept no longer than needed."""
    return int(await q.purge_campaign(conn, campaign=campaign))
