"""Notifications' tables, through the named queries of ``sql/queries.sql``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg

from services.notifications.domain import BookedInterview, PlanningEntry, PlanningFormation, SheetRecord
from services.runtime.database import load_queries

SQL_DIR = Path(__file__).parent / "sql"
q = load_queries(SQL_DIR)


@dataclass(frozen=True)
class SavedPupil:
    """A pupil as the last registration says."""

    ine: str
    first_name: str
    last_name: str
    origin_uai: str
    referent_email: str
    referent_name: str
    revision: int
    origin_mailbox: str | None = None


@dataclass(frozen=True)
class SavedCandidacy:
    ine: str
    formation_code: str
    domain_code: str
    origin_opinion: str
    origin_comment: str


@dataclass(frozen=True)
class Booking:
    """An interview as scheduling booked it."""

    interview_id: uuid.UUID
    ine: str
    domain_code: str
    reception_uai: str
    place: str
    starts_at: datetime
    ends_at: datetime
    formation_codes: Sequence[str]


@dataclass(frozen=True)
class MailRequest:
    """A mail asked for: ``stamped_at``, when a calendar invitation was made (its DTSTAMP); ``revision`` > 0, a
    correction; ``facts``, what the mail says, frozen now (planning sheets, shortfalls)."""

    key: str
    kind: str
    ine: str | None = None
    interview_id: uuid.UUID | None = None
    domain_code: str | None = None
    reception_uai: str | None = None
    settle_seconds: float = 0.0
    stamped_at: datetime | None = None
    revision: int = 0
    facts: dict[str, Any] | None = None


@dataclass(frozen=True)
class SentMail:
    """A mail SMTP accepted, to record under the lease it was sent with."""

    key: str
    lease_token: uuid.UUID
    recipients: tuple[str, ...]
    refused_roles: tuple[str, ...] = ()
    """Who (by role) the server refused while it took the mail for the others."""
    refusal: str | None = None


@dataclass(frozen=True)
class MailRefusal:
    """A mail refused for good, or sent without some recipients: what operators see (no address)."""

    key: str
    kind: str
    state: str
    interview_id: uuid.UUID | None
    domain_code: str | None
    reception_uai: str | None
    attempts: int
    refusal: str | None
    refused_roles: tuple[str, ...]
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueReminder:
    """R20b: a booked interview whose reminder is now due."""

    interview_id: uuid.UUID
    ine: str
    domain_code: str


@dataclass(frozen=True, slots=True)
class LeasedMail:
    """A mail leased to this sender, with the lease token every result is recorded under."""

    key: str
    campaign: str
    kind: str
    ine: str | None
    interview_id: uuid.UUID | None
    domain_code: str | None
    reception_uai: str | None
    attempts: int
    stamped_at: datetime | None
    revision: int
    facts: str | None
    """What the mail says, frozen when it was asked for (JSON text), for planning sheets and shortfalls."""
    lease_token: uuid.UUID


@dataclass(frozen=True, slots=True)
class ChangedDay:
    """A school's day whose planning sheet may have to change, and the marks that say so (R19)."""

    reception_uai: str
    day: date
    marks: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ShortfallNotice:
    """R15: a domain's shortfall episode, the count last told in it (None: nothing yet), and when the count applied
    last was published (None: no count yet)."""

    episode: int
    told_waiting: int | None
    counted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Pupil:
    """What mails about a pupil need: the name, the origin school, the referent."""

    first_name: str
    last_name: str
    origin_uai: str
    referent_email: str
    referent_name: str
    origin_mailbox: str | None


@dataclass(frozen=True, slots=True)
class Interview:
    """An interview as its convocation, correction, reminder or cancellation shows it."""

    interview_id: uuid.UUID
    ine: str
    domain_code: str
    reception_uai: str
    place: str
    starts_at: datetime
    ends_at: datetime
    formation_codes: tuple[str, ...]
    cancelled: bool
    cancel_reason: str | None
    revision: int


def _interview(r: asyncpg.Record) -> Interview:
    return Interview(
        r["interview_id"],
        r["ine"],
        r["domain_code"],
        r["reception_uai"],
        r["place"],
        r["starts_at"],
        r["ends_at"],
        tuple(r["formation_codes"]),
        r["cancelled"],
        r["cancel_reason"],
        r["revision"],
    )


@dataclass(frozen=True, slots=True)
class CandidacyRecap:
    """R26: one candidacy on the recap sheet, with its domain's interview and report (None: none yet)."""

    domain_code: str
    formation_code: str
    origin_opinion: str
    withdrawn: bool
    reception_opinion: str | None
    final_opinion: str | None
    attended: bool | None
    report: str | None
    reception_uai: str | None
    starts_at: datetime | None


@dataclass(frozen=True, slots=True)
class OverdueItem:
    """R22: an interview whose report is overdue, as its school's reminder lists it."""

    interview_id: uuid.UUID
    due_on: date
    ine: str
    domain_code: str
    starts_at: datetime


class NotificationsRepository:
    def __init__(self, conn: asyncpg.Connection, campaign: str) -> None:
        self.conn = conn
        self.campaign = campaign

    async def save_pupil(self, **pupil: Any) -> None:
        await self.save_pupils([SavedPupil(**pupil)])

    async def save_pupils(self, pupils: Sequence[SavedPupil]) -> None:
        """Each pupil once; a pupil given no origin mailbox keeps the one given before."""
        await q.save_pupils(
            self.conn,
            campaign=self.campaign,
            ines=[p.ine for p in pupils],
            first_names=[p.first_name for p in pupils],
            last_names=[p.last_name for p in pupils],
            origin_uais=[p.origin_uai for p in pupils],
            referent_emails=[p.referent_email for p in pupils],
            referent_names=[p.referent_name for p in pupils],
            revisions=[p.revision for p in pupils],
            origin_mailboxes=[p.origin_mailbox for p in pupils],
        )

    async def save_candidacy(
        self, ine: str, formation_code: str, domain_code: str, origin_opinion: str, origin_comment: str
    ) -> None:
        await self.save_candidacies([SavedCandidacy(ine, formation_code, domain_code, origin_opinion, origin_comment)])

    async def save_candidacies(self, candidacies: Sequence[SavedCandidacy]) -> None:
        """R9: each candidacy once; registered again, its opinion and comment are updated and it is active again."""
        await q.save_candidacies(
            self.conn,
            campaign=self.campaign,
            ines=[c.ine for c in candidacies],
            formation_codes=[c.formation_code for c in candidacies],
            domain_codes=[c.domain_code for c in candidacies],
            origin_opinions=[c.origin_opinion for c in candidacies],
            origin_comments=[c.origin_comment for c in candidacies],
        )

    async def withdraw_candidacy(self, ine: str, formation_code: str) -> bool:
        """R26: marks the candidacy withdrawn; False when it already was (a withdrawal delivered again)."""
        return bool(
            await q.withdraw_candidacy(self.conn, campaign=self.campaign, ine=ine, formation_code=formation_code)
        )

    async def domain_interviews(self, ine: str, domain_code: str) -> list[BookedInterview]:
        """The pupil's interviews of the domain, cancelled ones included, with their first convocation's state."""
        return [
            BookedInterview(
                r["interview_id"], r["starts_at"], r["cancelled"], tuple(r["formation_codes"]), r["convocation_state"]
            )
            async for r in q.domain_interviews(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code)
        ]

    async def next_revision(self, interview_id: uuid.UUID) -> int:
        return int(await q.next_revision(self.conn, interview_id=interview_id))

    async def domain_candidacies(self, ine: str, domain_code: str) -> dict[str, bool]:
        """The pupil's formations of the domain, each with whether it was withdrawn."""
        return {
            r["formation_code"]: r["withdrawn"]
            async for r in q.domain_candidacies(self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code)
        }

    async def save_interview(self, **booking: Any) -> tuple[bool, bool]:
        """Saves the booking; says whether the interview is cancelled and whether it was reported on already
        (a cancellation or a report that arrived before the booking)."""
        saved = Booking(**booking)
        return (await self.save_interviews([saved]))[saved.interview_id]

    async def save_interviews(self, bookings: Sequence[Booking]) -> dict[uuid.UUID, tuple[bool, bool]]:
        """Saves each booking (each interview once); says for each whether the interview is cancelled and whether
        it was reported on already (a cancellation or a report that arrived before the booking)."""
        ids = [b.interview_id for b in bookings]
        await q.lock_interviews(self.conn, interview_ids=ids)
        return {
            r["interview_id"]: (bool(r["cancelled"]), bool(r["reported"]))
            async for r in q.save_interviews(
                self.conn,
                campaign=self.campaign,
                interview_ids=ids,
                ines=[b.ine for b in bookings],
                domain_codes=[b.domain_code for b in bookings],
                reception_uais=[b.reception_uai for b in bookings],
                places=[b.place for b in bookings],
                starts_ats=[b.starts_at for b in bookings],
                ends_ats=[b.ends_at for b in bookings],
                formation_codes=[json.dumps(list(b.formation_codes)) for b in bookings],
            )
        }

    async def cancel_interview(self, interview_id: uuid.UUID, reason: str) -> bool:
        """False when the booking has not arrived yet: the cancellation is then kept for it."""
        await q.lock_interviews(self.conn, interview_ids=[interview_id])
        if await q.cancel_interview(self.conn, interview_id=interview_id, reason=reason):
            return True
        await q.record_early_cancellation(self.conn, interview_id=interview_id, campaign=self.campaign, reason=reason)
        return False

    async def drop_pending(self, key: str) -> bool:
        """Whether the pending mail ``key`` was dropped before any sender leased it."""
        return bool(await q.drop_pending_mail(self.conn, key=key))

    async def drop_pending_convocations(self, interview_id: uuid.UUID) -> list[int]:
        """Drops the interview's convocations still waiting (first or corrected); returns their revisions."""
        return list(await q.drop_pending_convocations(self.conn, interview_id=interview_id))

    async def save_report(
        self, *, ine: str, domain_code: str, interview_id: uuid.UUID, attended: bool, report: str
    ) -> None:
        await q.save_report(
            self.conn,
            campaign=self.campaign,
            ine=ine,
            domain_code=domain_code,
            interview_id=interview_id,
            attended=attended,
            report=report,
        )

    async def save_final(self, ine: str, formation_code: str, reception_opinion: str, final_opinion: str) -> None:
        await q.save_final(
            self.conn,
            campaign=self.campaign,
            ine=ine,
            formation_code=formation_code,
            reception_opinion=reception_opinion,
            final_opinion=final_opinion,
        )

    async def request_mail(self, key: str, kind: str, **request: Any) -> None:
        await self.request_mails([MailRequest(key, kind, **request)])

    async def request_mails(self, requests: Sequence[MailRequest]) -> None:
        """Asks for each mail once (each key once in ``requests``); asking again for a key changes nothing."""
        await q.request_mails(
            self.conn,
            campaign=self.campaign,
            keys=[r.key for r in requests],
            kinds=[r.kind for r in requests],
            ines=[r.ine for r in requests],
            interview_ids=[r.interview_id for r in requests],
            domain_codes=[r.domain_code for r in requests],
            reception_uais=[r.reception_uai for r in requests],
            settle_seconds=[r.settle_seconds for r in requests],
            stamped_ats=[r.stamped_at for r in requests],
            revisions=[r.revision for r in requests],
            facts=[None if r.facts is None else json.dumps(r.facts) for r in requests],
        )

    async def pending_overdue_mail(self, reception_uai: str) -> str | None:
        key: str | None = await q.pending_overdue_mail(self.conn, reception_uai=reception_uai)
        return key

    async def add_overdue_item(self, interview_id: uuid.UUID, reception_uai: str, due_on: date, key: str) -> None:
        await q.add_overdue_item(
            self.conn, interview_id=interview_id, reception_uai=reception_uai, due_on=due_on, mail_key=key
        )

    async def reminders_due(self, now: datetime, until: datetime) -> list[DueReminder]:
        return [
            DueReminder(**r) async for r in q.reminders_due(self.conn, campaign=self.campaign, now=now, until=until)
        ]

    async def claim_due(self, limit: int, lease_seconds: int) -> list[LeasedMail]:
        return [LeasedMail(**r) async for r in q.claim_due_mails(self.conn, limit=limit, lease_seconds=lease_seconds)]

    async def mark_sent(self, sent: Sequence[SentMail]) -> set[str]:
        """Records a batch's accepted mails in one statement; returns the keys recorded (the others' lease was lost)."""
        if not sent:
            return set()
        return {
            r["key"]
            async for r in q.mark_sent(
                self.conn,
                keys=[m.key for m in sent],
                tokens=[m.lease_token for m in sent],
                recipients=[json.dumps(list(m.recipients)) for m in sent],
                refused_roles=[json.dumps(list(m.refused_roles)) for m in sent],
                refusals=[m.refusal for m in sent],
            )
        }

    async def drop_leased(self, key: str, lease_token: uuid.UUID, reason: str) -> bool:
        """Recorded as dropped, with why; False: the lease was taken over meanwhile, nothing recorded."""
        return bool(await q.drop_leased(self.conn, key=key, lease_token=lease_token, reason=reason))

    async def refuse(self, key: str, lease_token: uuid.UUID, refusal: str) -> bool:
        """R19: the mail refused for good (parked for operators); False: the lease was taken over."""
        return bool(await q.refuse(self.conn, key=key, lease_token=lease_token, refusal=refusal))

    async def replay_refused(self, key: str | None = None) -> int:
        """Refused mails (one, or all of the campaign) back to pending; how many."""
        return int(await q.replay_refused(self.conn, campaign=self.campaign, key=key))

    async def refusals(self, limit: int) -> list[MailRefusal]:
        return [
            MailRefusal(
                r["key"],
                r["kind"],
                r["state"],
                r["interview_id"],
                r["domain_code"],
                r["reception_uai"],
                r["attempts"],
                r["refusal"],
                tuple(r["refused_roles"] or ()),
                r["sent_at"],
            )
            async for r in q.refusals(self.conn, campaign=self.campaign, limit=limit)
        ]

    async def mail_went_out(self, key: str) -> bool:
        return bool(await q.mail_went_out(self.conn, key=key))

    async def schedule_retry(
        self, key: str, lease_token: uuid.UUID, error: str, delay_seconds: float, *, counted: bool = True
    ) -> bool:
        """False: the lease was taken over meanwhile, nothing recorded."""
        return bool(
            await q.schedule_retry(
                self.conn,
                key=key,
                lease_token=lease_token,
                error=error,
                delay_seconds=delay_seconds,
                counted=int(counted),
            )
        )

    async def get_pupil(self, ine: str) -> Pupil | None:
        row = await q.get_pupil(self.conn, campaign=self.campaign, ine=ine)
        return None if row is None else Pupil(**row)

    async def get_interview(self, interview_id: uuid.UUID) -> Interview | None:
        row = await q.get_interview(self.conn, interview_id=interview_id)
        return None if row is None else _interview(row)

    async def interview_sequence(self, ine: str, domain_code: str, interview_id: uuid.UUID) -> int:
        return int(
            await q.interview_sequence(
                self.conn, campaign=self.campaign, ine=ine, domain_code=domain_code, interview_id=interview_id
            )
        )

    async def recap_lines(self, ine: str) -> list[CandidacyRecap]:
        return [CandidacyRecap(**r) async for r in q.recap_lines(self.conn, campaign=self.campaign, ine=ine)]

    async def overdue_for_mail(self, key: str) -> list[OverdueItem]:
        return [OverdueItem(**r) async for r in q.overdue_for_mail(self.conn, key=key)]

    async def last_sent_content(self, subject: str) -> tuple[str, str] | None:
        """The digest and key of the last mail let go about ``subject``; the caller's transaction holds it."""
        await q.lock_sent_content(self.conn, campaign=self.campaign, subject=subject)
        r = await q.last_sent_content(self.conn, campaign=self.campaign, subject=subject)
        return None if r is None else (r["digest"], r["mail_key"])

    async def record_sent_content(self, subject: str, digest: str, key: str) -> None:
        await q.record_sent_content(self.conn, campaign=self.campaign, subject=subject, digest=digest, mail_key=key)

    # -- planning sheets (R19 for reception schools) --

    async def mark_planning_days(self, marks: Sequence[tuple[str, date]]) -> None:
        """Each (school, day) whose list changed, once per mark."""
        if marks:
            await q.mark_planning_days(
                self.conn,
                campaign=self.campaign,
                reception_uais=[uai for uai, _ in marks],
                days=[day for _, day in marks],
            )

    async def interview_times(self, ines: Sequence[str]) -> list[tuple[str, datetime]]:
        """Where and when the pupils' interviews are (cancelled ones included)."""
        return [
            (r["reception_uai"], r["starts_at"])
            async for r in q.interview_times(self.conn, campaign=self.campaign, ines=list(ines))
        ]

    async def changed_planning_days(self, days: Sequence[date]) -> list[ChangedDay]:
        """The due days whose list changed, each with the marks that say so."""
        return [
            ChangedDay(r["reception_uai"], r["day"], tuple(r["marks"]))
            async for r in q.changed_planning_days(self.conn, campaign=self.campaign, days=list(days))
        ]

    async def planning_day_seen(self, changed: ChangedDay) -> None:
        """The day's sheet was looked at for these marks: they go; marks that arrived meanwhile stay."""
        await q.planning_day_seen(self.conn, marks=list(changed.marks))

    async def planning_entries(
        self, reception_uai: str, day_starts: datetime, day_ends: datetime
    ) -> list[PlanningEntry]:
        """The school's interviews starting in [day_starts, day_ends), each with its formations in order."""
        entries: dict[uuid.UUID, PlanningEntry] = {}
        async for r in q.planning_entries(
            self.conn, campaign=self.campaign, reception_uai=reception_uai, day_starts=day_starts, day_ends=day_ends
        ):
            formation = PlanningFormation(r["formation_code"], r["origin_opinion"], r["origin_comment"])
            entry = entries.get(r["interview_id"])
            if entry is None:
                entries[r["interview_id"]] = PlanningEntry(
                    str(r["interview_id"]),
                    r["starts_at"],
                    r["ends_at"],
                    r["domain_code"],
                    r["place"],
                    r["first_name"],
                    r["last_name"],
                    r["origin_uai"],
                    (formation,),
                )
            else:
                entries[r["interview_id"]] = replace(entry, formations=(*entry.formations, formation))
        return list(entries.values())

    async def latest_planning_sheet(self, reception_uai: str, day: date) -> tuple[int, str, SheetRecord] | None:
        """The last sheet asked for this day: its version, its mail's key, and what the rules need of it."""
        r = await q.latest_planning_sheet(self.conn, campaign=self.campaign, reception_uai=reception_uai, day=day)
        if r is None:
            return None
        return r["version"], r["mail_key"], SheetRecord(r["fingerprint"], r["pending"], r["any_sent"])

    async def record_planning_sheet(
        self, mail_key: str, reception_uai: str, day: date, version: int, fingerprint: str
    ) -> None:
        await q.record_planning_sheet(
            self.conn,
            mail_key=mail_key,
            campaign=self.campaign,
            reception_uai=reception_uai,
            day=day,
            version=version,
            fingerprint=fingerprint,
        )

    # -- shortfalls (R15) --

    async def shortfall_notice(self, domain_code: str) -> ShortfallNotice | None:
        """The domain's shortfall episode, the count last told in it and when the count applied last was published
        (locked until the transaction ends)."""
        r = await q.shortfall_notice(self.conn, campaign=self.campaign, domain_code=domain_code)
        return None if r is None else ShortfallNotice(r["episode"], r["told_waiting"], r["counted_at"])

    async def shortfall_counted(self, domain_code: str, published_at: datetime) -> None:
        await q.shortfall_counted(self.conn, campaign=self.campaign, domain_code=domain_code, counted_at=published_at)

    async def tell_shortfall(self, domain_code: str, episode: int, waiting: int) -> None:
        await q.tell_shortfall(
            self.conn, campaign=self.campaign, domain_code=domain_code, episode=episode, waiting=waiting
        )

    async def end_shortfall_episode(self, domain_code: str) -> None:
        await q.end_shortfall_episode(self.conn, campaign=self.campaign, domain_code=domain_code)


class RoundRepository(NotificationsRepository):
    """The repository a round of mails is prepared with: what the round's mails read of their pupils, interviews
    and candidacies is read at once (``read_round``: three statements for the round instead of four per mail), and
    the reads below answer from it as the single reads would at that moment. A pupil outside the round is read
    alone, as before."""

    def __init__(self, conn: asyncpg.Connection, campaign: str) -> None:
        super().__init__(conn, campaign)
        self._read: set[str] = set()
        self._pupils: dict[str, Pupil] = {}
        self._interviews: dict[uuid.UUID, Interview] = {}
        self._by_pupil: dict[str, list[Interview]] = {}
        self._candidacies: dict[tuple[str, str], dict[str, bool]] = {}

    async def read_round(self, mails: Sequence[LeasedMail]) -> None:
        ines = sorted({mail.ine for mail in mails if mail.ine is not None})
        if not ines:
            return
        async for r in q.pupils_of(self.conn, campaign=self.campaign, ines=ines):
            self._pupils[r["ine"]] = Pupil(**{k: v for k, v in r.items() if k != "ine"})
        async for r in q.interviews_of(self.conn, campaign=self.campaign, ines=ines):
            interview = _interview(r)
            self._interviews[interview.interview_id] = interview
            self._by_pupil.setdefault(interview.ine, []).append(interview)
        async for r in q.candidacies_of(self.conn, campaign=self.campaign, ines=ines):
            self._candidacies.setdefault((r["ine"], r["domain_code"]), {})[r["formation_code"]] = r["withdrawn"]
        self._read.update(ines)

    async def get_pupil(self, ine: str) -> Pupil | None:
        return self._pupils.get(ine) if ine in self._read else await super().get_pupil(ine)

    async def get_interview(self, interview_id: uuid.UUID) -> Interview | None:
        found = self._interviews.get(interview_id)
        return found if found is not None else await super().get_interview(interview_id)

    async def domain_candidacies(self, ine: str, domain_code: str) -> dict[str, bool]:
        if ine not in self._read:
            return await super().domain_candidacies(ine, domain_code)
        return dict(self._candidacies.get((ine, domain_code), {}))

    async def interview_sequence(self, ine: str, domain_code: str, interview_id: uuid.UUID) -> int:
        if ine not in self._read:
            return await super().interview_sequence(ine, domain_code, interview_id)
        others = self._by_pupil.get(ine, [])
        return sum(1 for i in others if i.domain_code == domain_code and i.interview_id != interview_id)


async def purge_campaign(conn: asyncpg.Connection, campaign: str) -> int:
    """Once the campaign is over, its pupils' data goes: minors' data is kept no longer than needed."""
    return int(await q.purge_campaign(conn, campaign=campaign))
