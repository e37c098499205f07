"""Notifications' use cases: remember what mails need, and ask for each mail once (R19, R20, R20b, R21, R22, R26).

Mails are composed and sent by the sender, from what is recorded when it sends them.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.base import Event
from contracts.events import (
    CandidacyRegistered,
    CandidacyWithdrawn,
    CapacityShortfall,
    FinalOpinionComputed,
    InterviewBooked,
    InterviewCancelled,
    InterviewReported,
    ReportOverdue,
)
from services.notifications import domain, planning
from services.notifications.domain import MailKind
from services.notifications.repository import (
    Booking,
    MailRequest,
    NotificationsRepository,
    SavedCandidacy,
    SavedPupil,
)
from services.runtime.service import Context, one_by_one


def _repo(ctx: Context) -> NotificationsRepository:
    return NotificationsRepository(ctx.conn, ctx.campaign.campaign)


async def candidacies_registered(events: Sequence[tuple[CandidacyRegistered, Context]]) -> list[Sequence[Event]]:
    """R19, R26: what the mails will need of each pupil and candidacy (one pupil at most once in a set)."""
    _, first = events[0]
    repo = _repo(first)
    await repo.save_pupils(
        [
            SavedPupil(
                ine=event.ine,
                first_name=event.pupil.first_name,
                last_name=event.pupil.last_name,
                origin_uai=event.origin_uai,
                referent_email=event.referent.email,
                referent_name=event.referent.name,
                revision=event.revision,
                origin_mailbox=event.origin_mailbox,
            )
            for event, _ in events
        ]
    )
    await repo.save_candidacies(
        [
            SavedCandidacy(
                event.ine, event.formation_code, event.domain_code, event.origin_opinion, event.origin_comment
            )
            for event, _ in events
        ]
    )
    # R9: the dossier on the sheet changed
    await planning.mark_pupil_days(repo, [event.ine for event, _ in events], first.campaign.tz)
    return [[] for _ in events]


candidacy_registered = one_by_one(candidacies_registered)


async def candidacy_withdrawn(event: CandidacyWithdrawn, ctx: Context) -> Sequence[Event]:
    """R19, R20, R26: the candidacy stays on the recap as withdrawn; a convocation already sent is corrected
    (``domain.interview_to_correct``), one corrected convocation per withdrawal."""
    repo = _repo(ctx)
    withdrawn = await repo.withdraw_candidacy(event.ine, event.formation_code)
    if not withdrawn:
        return []  # delivered again: done the first time
    await planning.mark_pupil_days(repo, [event.ine], ctx.campaign.tz)  # the sheets list the formations
    interviews = await repo.domain_interviews(event.ine, event.domain_code)
    interview_id = domain.interview_to_correct(event.remaining_in_domain, event.formation_code, interviews, ctx.now)
    if interview_id is None:
        return []
    revision = await repo.next_revision(interview_id)
    await repo.request_mail(
        domain.convocation_key(interview_id, revision),
        MailKind.CONVOCATION,
        ine=event.ine,
        interview_id=interview_id,
        domain_code=event.domain_code,
        stamped_at=event.occurred_at,
        revision=revision,
    )
    return []


async def interviews_booked(events: Sequence[tuple[InterviewBooked, Context]]) -> list[Sequence[Event]]:
    """R19: a convocation as soon as each interview is booked, unless its cancellation or its report arrived first
    (``domain.booking_mailed``); one interview at most once in a set."""
    _, first = events[0]
    repo, tz = _repo(first), first.campaign.tz
    saved = await repo.save_interviews(
        [
            Booking(
                interview_id=event.interview_id,
                ine=event.ine,
                domain_code=event.domain_code,
                reception_uai=event.reception_uai,
                place=event.place,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                formation_codes=list(event.formation_codes),
            )
            for event, _ in events
        ]
    )
    await repo.mark_planning_days([planning.day_mark(e.reception_uai, e.starts_at, tz) for e, _ in events])
    mailed = []
    for event, _ in events:
        cancelled, reported = saved[event.interview_id]
        if domain.booking_mailed(cancelled_first=cancelled, reported_first=reported):
            mailed.append(
                MailRequest(
                    domain.convocation_key(event.interview_id),
                    MailKind.CONVOCATION,
                    ine=event.ine,
                    interview_id=event.interview_id,
                    domain_code=event.domain_code,
                    stamped_at=event.occurred_at,
                )
            )
    if mailed:
        await repo.request_mails(mailed)
    return [[] for _ in events]


interview_booked = one_by_one(interviews_booked)


async def interview_cancelled(event: InterviewCancelled, ctx: Context) -> Sequence[Event]:
    """R10, R19: a cancellation, saying why, unless the convocation had not gone out yet
    (``domain.cancellation_mailed``: then neither goes).

    A correction still waiting is dropped too: after the cancellation it would only confuse the family. A
    cancellation that overtakes its booking is kept for it, and nothing is mailed: the family never heard of it.
    """
    repo = _repo(ctx)
    if not await repo.cancel_interview(event.interview_id, event.reason):
        return []
    interview = await repo.get_interview(event.interview_id)
    if interview is not None:
        await planning.mark_day(repo, interview.reception_uai, interview.starts_at, ctx.campaign.tz)
    if domain.cancellation_mailed(await repo.drop_pending_convocations(event.interview_id)):
        await repo.request_mail(
            domain.cancellation_key(event.interview_id),
            MailKind.CANCELLATION,
            ine=event.ine,
            interview_id=event.interview_id,
            domain_code=event.domain_code,
            stamped_at=event.occurred_at,
        )
    return []


async def interview_reported(event: InterviewReported, ctx: Context) -> Sequence[Event]:
    """R26: the recap sheet, as soon as a domain's results arrive (an absence has none to show)."""
    repo = _repo(ctx)
    await repo.save_report(
        ine=event.ine,
        domain_code=event.domain_code,
        interview_id=event.interview_id,
        attended=event.attended,
        report=event.report,
    )
    if domain.recap_due(event.attended):
        await repo.request_mail(
            domain.recap_key(event.interview_id),
            MailKind.RECAP,
            ine=event.ine,
            interview_id=event.interview_id,
            domain_code=event.domain_code,
            settle_seconds=domain.settle_seconds(MailKind.RECAP),
        )
    return []


async def final_opinion_computed(event: FinalOpinionComputed, ctx: Context) -> Sequence[Event]:
    await _repo(ctx).save_final(event.ine, event.formation_code, event.reception_opinion, event.final_opinion)
    return []


async def report_overdue(event: ReportOverdue, ctx: Context) -> Sequence[Event]:
    """R22: the reception school is reminded of its overdue reports, grouped in one mail while it waits."""
    repo = _repo(ctx)
    key = domain.overdue_key(event.reception_uai, event.event_id, await repo.pending_overdue_mail(event.reception_uai))
    await repo.request_mail(
        key,
        MailKind.OVERDUE_REMINDER,
        reception_uai=event.reception_uai,
        settle_seconds=domain.settle_seconds(MailKind.OVERDUE_REMINDER),
    )
    await repo.add_overdue_item(event.interview_id, event.reception_uai, event.due_on, key)
    return []


async def capacity_shortfall(event: CapacityShortfall, ctx: Context) -> Sequence[Event]:
    """R15: the domain's reception schools (and operators) are told of a shortfall once per episode, and again
    when it grows by half or more; a count older than the one applied last is ignored."""
    repo = _repo(ctx)
    notice = await repo.shortfall_notice(event.domain_code)
    if notice is not None and domain.shortfall_count_stale(notice.counted_at, event.occurred_at):
        return []
    await repo.shortfall_counted(event.domain_code, event.occurred_at)
    episode, told = (notice.episode, notice.told_waiting) if notice else (1, None)
    if domain.shortfall_episode_over(event.waiting_pupils):
        await repo.end_shortfall_episode(event.domain_code)
        return []
    if not domain.shortfall_mail_due(told, event.waiting_pupils):
        return []
    await repo.tell_shortfall(event.domain_code, episode, event.waiting_pupils)
    first_day = event.first_possible_on.isoformat() if event.first_possible_on else None
    await repo.request_mail(
        domain.shortfall_key(event.domain_code, episode, event.waiting_pupils),
        MailKind.SHORTFALL,
        domain_code=event.domain_code,
        facts={"waiting": event.waiting_pupils, "first_possible_on": first_day},
    )
    return []


async def interview_reminders(ctx: Context) -> Sequence[Event]:
    """R20b: a reminder ``interview_reminder_days`` before each interview, against no-shows."""
    repo = _repo(ctx)
    until = domain.reminders_until(ctx.now, ctx.campaign.calendar.interview_reminder_days)
    for row in await repo.reminders_due(ctx.now, until):
        await repo.request_mail(
            domain.reminder_key(row.interview_id),
            MailKind.INTERVIEW_REMINDER,
            ine=row.ine,
            interview_id=row.interview_id,
            domain_code=row.domain_code,
        )
    return []
