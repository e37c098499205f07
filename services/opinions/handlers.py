"""Opinions' use cases: reports in, final opinions out as soon as both opinions exist, overdue reports told."""

from __future__ import annotations

from collections.abc import Sequence

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
from services.opinions.repository import OpinionsRepository
from services.runtime.service import Context


async def _finals(repo: OpinionsRepository, ine: str, ctx: Context) -> list[Event]:
    """R24, R25: every active candidacy of the pupil holding both opinions gets its final opinion, once."""
    events: list[Event] = []
    for formation_code, origin, reception in await repo.pending_finals(ine):
        final = domain.final_opinion(domain.Opinion.of(origin), domain.Opinion.of(reception))
        await repo.save_final(
            ine=ine,
            formation_code=formation_code,
            origin_opinion=origin,
            reception_opinion=reception,
            final_opinion=final.value,
            now=ctx.now,
        )
        events.append(
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


async def candidacy_registered(event: CandidacyRegistered, ctx: Context) -> Sequence[Event]:
    """R9: the latest origin opinion counts until the interview (enrollment refuses changes after it)."""
    repo = OpinionsRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    await repo.save_candidacy(
        ine=event.ine,
        formation_code=event.formation_code,
        domain_code=event.domain_code,
        origin_uai=event.origin_uai,
        origin_opinion=event.origin_opinion,
        revision=event.revision,
    )
    return await _finals(repo, event.ine, ctx)


async def candidacy_withdrawn(event: CandidacyWithdrawn, ctx: Context) -> Sequence[Event]:
    """A withdrawn candidacy gets no final opinion."""
    repo = OpinionsRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    await repo.withdraw_candidacy(event.ine, event.formation_code)
    return []


async def interview_booked(event: InterviewBooked, ctx: Context) -> Sequence[Event]:
    """R22: the report of this interview is due ``report_delay_days`` after it."""
    repo = OpinionsRepository(ctx.conn, ctx.campaign.campaign)
    due_on = domain.report_due_on(event.starts_at, ctx.campaign.calendar.report_delay_days, ctx.campaign.tz)
    await repo.record_interview(
        interview_id=event.interview_id,
        ine=event.ine,
        domain_code=event.domain_code,
        reception_uai=event.reception_uai,
        starts_at=event.starts_at,
        due_on=due_on,
    )
    return []


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
    return [reported, *await _finals(repo, ine, ctx)]


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
