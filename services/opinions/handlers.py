"""Opinions' use cases: reports in, final opinions out as soon as both opinions exist, overdue reports told."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from contracts.base import Event
from contracts.commands import SubmitInterviewReport
from contracts.events import (
    CandidacyRegistered,
    CandidacyWithdrawn,
    FinalOpinionComputed,
    InterviewBooked,
    InterviewCancelled,
    InterviewReported,
    ReportOverdue,
)
from services.opinions import domain
from services.opinions.repository import OpinionsRepository, RecordedInterview, SavedCandidacy
from services.runtime.service import Context, one_by_one


async def _finals(repo: OpinionsRepository, pupils: Mapping[str, Context]) -> dict[str, list[Event]]:
    """R24, R25: every active candidacy of the pupils holding both opinions gets its final opinion, once; each
    pupil's events are caused by the message ``pupils`` gives with it."""
    events: dict[str, list[Event]] = {ine: [] for ine in pupils}
    for ine, formation_code, origin, reception in await repo.pending_finals(list(pupils)):
        ctx = pupils[ine]
        final = domain.final_opinion(domain.Opinion.of(origin), domain.Opinion.of(reception))
        await repo.save_final(
            ine=ine,
            formation_code=formation_code,
            origin_opinion=origin,
            reception_opinion=reception,
            final_opinion=final.value,
            now=ctx.now,
        )
        events[ine].append(
            ctx.event(
                FinalOpinionComputed,
                ine=ine,
                formation_code=formation_code,
                origin_opinion=origin,
                reception_opinion=reception,
                final_opinion=final.value,
            )
        )
    return events


async def candidacies_registered(events: Sequence[tuple[CandidacyRegistered, Context]]) -> list[Sequence[Event]]:
    """R9: the latest origin opinion counts until the interview (enrollment refuses changes after it); one pupil at
    most once in a set."""
    _, first = events[0]
    repo = OpinionsRepository(first.conn, first.campaign.campaign)
    await repo.lock_pupils([event.ine for event, _ in events])
    await repo.save_candidacies(
        [
            SavedCandidacy(
                ine=event.ine,
                formation_code=event.formation_code,
                domain_code=event.domain_code,
                origin_uai=event.origin_uai,
                origin_opinion=event.origin_opinion,
                revision=event.revision,
            )
            for event, _ in events
        ]
    )
    finals = await _finals(repo, {event.ine: ctx for event, ctx in events})
    return [finals[event.ine] for event, _ in events]


candidacy_registered = one_by_one(candidacies_registered)


async def candidacy_withdrawn(event: CandidacyWithdrawn, ctx: Context) -> Sequence[Event]:
    """A withdrawn candidacy gets no final opinion."""
    repo = OpinionsRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    await repo.withdraw_candidacy(event.ine, event.formation_code)
    return []


async def interviews_booked(events: Sequence[tuple[InterviewBooked, Context]]) -> list[Sequence[Event]]:
    """R22: the report of each interview is due ``report_delay_days`` after it; one interview at most once in a
    set."""
    _, first = events[0]
    calendar, tz = first.campaign.calendar, first.campaign.tz
    await OpinionsRepository(first.conn, first.campaign.campaign).record_interviews(
        [
            RecordedInterview(
                interview_id=event.interview_id,
                ine=event.ine,
                domain_code=event.domain_code,
                reception_uai=event.reception_uai,
                starts_at=event.starts_at,
                due_on=domain.report_due_on(event.starts_at, calendar.report_delay_days, tz),
            )
            for event, _ in events
        ]
    )
    return [[] for _ in events]


interview_booked = one_by_one(interviews_booked)


async def interview_cancelled(event: InterviewCancelled, ctx: Context) -> Sequence[Event]:
    await OpinionsRepository(ctx.conn, ctx.campaign.campaign).cancel_interview(event.interview_id)
    return []


async def submit_interview_report(cmd: SubmitInterviewReport, ctx: Context) -> Sequence[Event]:
    """R21, R22, R24, R25: attendance, the domain's report, one opinion per formation; finals follow."""
    repo = OpinionsRepository(ctx.conn, ctx.campaign.campaign)
    found = await repo.get_interview(cmd.interview_id)
    if found is not None:
        await repo.lock_pupil(found[1].ine)
        found = await repo.get_interview(cmd.interview_id)  # as it is now that the pupil is ours
    interview, pupil = found if found else (None, None)
    opinions = domain.check_report(
        interview=interview,
        actor_uai=cmd.actor_uai,
        now=ctx.now,
        attended=cmd.attended,
        report=cmd.report,
        opinions=[(o.formation_code, o.opinion) for o in cmd.opinions],
        active_formations=await repo.active_formations(pupil.ine, pupil.domain_code) if pupil else frozenset(),
    )
    ine, domain_code = pupil.ine, pupil.domain_code
    await repo.record_report(cmd.interview_id, attended=cmd.attended, report=cmd.report, now=ctx.now)
    for formation_code, opinion in opinions.items():
        await repo.save_reception_opinion(
            ine=ine, formation_code=formation_code, interview_id=cmd.interview_id, opinion=opinion.code
        )
    reported = ctx.event(
        InterviewReported,
        interview_id=cmd.interview_id,
        ine=ine,
        domain_code=domain_code,
        attended=cmd.attended,
        reception_uai=pupil.reception_uai,
        report=cmd.report,
    )
    return [reported, *(await _finals(repo, {ine: ctx}))[ine]]


async def overdue_sweep(ctx: Context) -> Sequence[Event]:
    """R22: a report still missing the day after it was due is told once (late reports stay accepted)."""
    repo = OpinionsRepository(ctx.conn, ctx.campaign.campaign)
    today = ctx.now.astimezone(ctx.campaign.tz).date()
    overdue = await repo.overdue_reports(today)
    if not overdue:
        return []
    await repo.mark_overdue_told([interview_id for interview_id, _, _ in overdue], ctx.now)
    return [
        ctx.event(ReportOverdue, interview_id=interview_id, reception_uai=uai, due_on=due_on)
        for interview_id, uai, due_on in overdue
    ]
