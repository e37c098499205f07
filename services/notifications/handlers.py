"""Notifications' use cases: remember what mails need, and ask for each mail once (R19, R20, R20b, R22, R26).

Mails are composed and sent by the sender, from what is recorded when it sends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from contracts.base import Event
from contracts.events import (
    CandidacyRegistered,
    CandidacyWithdrawn,
    FinalOpinionComputed,
    InterviewBooked,
    InterviewCancelled,
    InterviewReported,
    ReportOverdue,
)
from services.notifications.repository import NotificationsRepository
from services.runtime.messaging import Context

RESULTS_SETTLE_SECONDS = 2.0
"""A report and its final opinions arrive as separate events: the recap waits this long to hold them all."""


def _repo(ctx: Context) -> NotificationsRepository:
    return NotificationsRepository(ctx.conn, ctx.campaign.campaign)


async def candidacy_registered(event: CandidacyRegistered, ctx: Context) -> Sequence[Event]:
    repo = _repo(ctx)
    await repo.save_pupil(ine=event.ine, first_name=event.pupil.first_name, last_name=event.pupil.last_name,
                          origin_uai=event.origin_uai, referent_email=event.referent.email, revision=event.revision,
                          origin_mailbox=event.origin_mailbox)
    await repo.save_candidacy(event.ine, event.formation_code, event.domain_code, event.origin_opinion)
    return []


async def candidacy_withdrawn(event: CandidacyWithdrawn, ctx: Context) -> Sequence[Event]:
    await _repo(ctx).remove_candidacy(event.ine, event.formation_code)
    return []


async def interview_booked(event: InterviewBooked, ctx: Context) -> Sequence[Event]:
    """R19: a convocation as soon as the interview is booked."""
    repo = _repo(ctx)
    await repo.save_interview(interview_id=event.interview_id, ine=event.ine, domain_code=event.domain_code,
                              reception_uai=event.reception_uai, place=event.place, starts_at=event.starts_at,
                              ends_at=event.ends_at, formation_codes=list(event.formation_codes))
    await repo.request_mail(f"convocation:{event.interview_id}", "convocation", ine=event.ine,
                            interview_id=event.interview_id, domain_code=event.domain_code)
    return []


async def interview_cancelled(event: InterviewCancelled, ctx: Context) -> Sequence[Event]:
    """R19: a cancellation, unless the convocation had not gone out yet (then neither goes)."""
    repo = _repo(ctx)
    await repo.cancel_interview(event.interview_id)
    if not await repo.drop_pending(f"convocation:{event.interview_id}"):
        await repo.request_mail(f"cancellation:{event.interview_id}", "cancellation", ine=event.ine,
                                interview_id=event.interview_id, domain_code=event.domain_code)
    return []


async def interview_reported(event: InterviewReported, ctx: Context) -> Sequence[Event]:
    """R26: the recap sheet, as soon as a domain's results arrive (an absence has none to show)."""
    repo = _repo(ctx)
    await repo.save_report(ine=event.ine, domain_code=event.domain_code, interview_id=event.interview_id,
                           attended=event.attended, report=event.report)
    if event.attended:
        await repo.request_mail(f"recap:{event.interview_id}", "recap", ine=event.ine,
                                interview_id=event.interview_id, domain_code=event.domain_code,
                                settle_seconds=RESULTS_SETTLE_SECONDS)
    return []


async def final_opinion_computed(event: FinalOpinionComputed, ctx: Context) -> Sequence[Event]:
    await _repo(ctx).save_final(event.ine, event.formation_code, event.reception_opinion, event.final_opinion)
    return []


async def report_overdue(event: ReportOverdue, ctx: Context) -> Sequence[Event]:
    """R22: the reception school is reminded of its overdue reports, grouped in one mail while it waits."""
    repo = _repo(ctx)
    key = await repo.pending_overdue_mail(event.reception_uai) or f"overdue:{event.reception_uai}:{event.event_id}"
    await repo.request_mail(key, "overdue_reminder", reception_uai=event.reception_uai,
                            settle_seconds=RESULTS_SETTLE_SECONDS)
    await repo.add_overdue_item(event.interview_id, event.reception_uai, event.due_on, key)
    return []


async def interview_reminders(ctx: Context) -> Sequence[Event]:
    """R20b: a reminder ``interview_reminder_days`` before each interview, against no-shows."""
    repo = _repo(ctx)
    until = ctx.now + timedelta(days=ctx.campaign.calendar.interview_reminder_days)
    for row in await repo.reminders_due(ctx.now, until):
        await repo.request_mail(f"reminder:{row['interview_id']}", "interview_reminder", ine=row["ine"],
                                interview_id=row["interview_id"], domain_code=row["domain_code"])
    return []
