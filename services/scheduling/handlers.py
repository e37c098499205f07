"""Scheduling's use cases: needs from candidacies, seats from declared slots, bookings as soon as both meet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from contracts.base import Event
from contracts.campaign import Campaign
from contracts.commands import DeclareInterviewSlots, RequestNewInterview
from contracts.events import (
    CandidacyRegistered,
    CandidacyWithdrawn,
    CapacityShortfall,
    InterviewBooked,
    InterviewCancelled,
    InterviewReported,
    InterviewRequested,
    SlotsDeclared,
)
from services.runtime.messaging import Context
from services.scheduling import domain
from services.scheduling.repository import Need, SchedulingRepository

DRAIN_BATCH = 500
"""Waiting pupils looked at per domain in one transaction; the sweep comes back for the rest."""


def policy(campaign: Campaign) -> domain.Policy:
    return domain.Policy(
        tz=campaign.tz,
        interviews_start_on=campaign.calendar.interviews_start_on,
        interviews_end_on=campaign.calendar.interviews_end_on,
        convocation_notice_days=campaign.calendar.convocation_notice_days,
        one_interview_per_half_day=campaign.scheduling.one_interview_per_half_day,
        min_gap_hours=campaign.scheduling.min_gap_hours,
        reception_uais={d.code: frozenset(d.reception_uais) for d in campaign.domains},
    )


async def book(repo: SchedulingRepository, need: Need, ctx: Context) -> InterviewBooked | None:
    """R13–R18: one interview for this pupil in this domain, if a fitting seat is free; else the pupil waits."""
    rules = policy(ctx.campaign)
    booking = await repo.book_waiting_need(
        need.ine,
        need.domain_code,
        earliest=domain.earliest_start(ctx.now, rules),
        gap_hours=rules.min_gap_hours,
        half_day_rule=rules.one_interview_per_half_day,
        now=ctx.now,
    )
    if booking is None:
        return None
    return ctx.event(
        InterviewBooked,
        interview_id=booking.interview_id,
        ine=need.ine,
        domain_code=need.domain_code,
        reception_uai=booking.reception_uai,
        starts_at=booking.starts_at.astimezone(rules.tz),
        ends_at=booking.ends_at.astimezone(rules.tz),
        place=booking.place,
        formation_codes=list(booking.formation_codes),
    )


async def drain(repo: SchedulingRepository, domain_code: str, ctx: Context) -> list[Event]:
    """R15: waiting pupils of a domain get the free seats, oldest registration first.

    A pupil another transaction is handling right now is skipped: that transaction books them, or
    the next sweep does.
    """
    events: list[Event] = []
    for need in await repo.waiting_pupils(domain_code, DRAIN_BATCH):
        if not await repo.try_lock_pupil(need.ine):
            continue
        booked = await book(repo, need, ctx)  # books only if the need still waits
        if booked is not None:
            events.append(booked)
    return events


async def candidacy_registered(event: CandidacyRegistered, ctx: Context) -> Sequence[Event]:
    """R13: a candidacy adds its formation to the pupil's need in the domain; a waiting need is booked now."""
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    need = await repo.add_formation(
        ine=event.ine, domain_code=event.domain_code, origin_uai=event.origin_uai,
        registered_at=event.registered_at, formation_code=event.formation_code,
    )
    if need.state != "waiting":
        return []
    booked = await book(repo, need, ctx)
    return [booked] if booked else []


async def candidacy_withdrawn(event: CandidacyWithdrawn, ctx: Context) -> Sequence[Event]:
    """R10: when the last candidacy of the domain goes, the interview is cancelled and its seat given on."""
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    need = await repo.remove_formation(event.ine, event.domain_code, event.formation_code)
    if need is None or need.state != "withdrawn":
        return []
    interview = await repo.active_interview(event.ine, event.domain_code)
    if interview is None or interview["status"] != "booked" or interview["starts_at"] <= ctx.now:
        return []
    reason = "candidacies_withdrawn"
    await repo.cancel_interview(interview["interview_id"], reason)
    cancelled = ctx.event(InterviewCancelled, interview_id=interview["interview_id"], ine=event.ine,
                          domain_code=event.domain_code, reason=reason)
    return [cancelled, *await drain(repo, event.domain_code, ctx)]


async def interview_reported(event: InterviewReported, ctx: Context) -> Sequence[Event]:
    """R21: attendance; an absent pupil keeps no interview until the origin school asks for a new one."""
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    row = await repo.report_attendance(event.interview_id, event.attended)
    if row is not None:
        await repo.set_need_state(row["ine"], row["domain_code"], "held" if event.attended else "absent")
    return []


async def declare_interview_slots(cmd: DeclareInterviewSlots, ctx: Context) -> Sequence[Event]:
    """R14, R15: a reception school's slots are recorded, and waiting pupils of the domain booked into them."""
    rules = policy(ctx.campaign)
    slots = [domain.NewSlot(s.starts_at, s.duration_minutes, s.capacity) for s in cmd.slots]
    domain.check_declaration(actor_uai=cmd.actor_uai, domain_code=cmd.domain_code, slots=slots, policy=rules)
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    added = 0
    for slot in cmd.slots:
        added += await repo.insert_slot(
            reception_uai=cmd.actor_uai, domain_code=cmd.domain_code, place=cmd.place, starts_at=slot.starts_at,
            ends_at=slot.starts_at + timedelta(minutes=slot.duration_minutes),
            half_day=domain.half_day(slot.starts_at, rules.tz), capacity=slot.capacity,
        )
    declared = ctx.event(SlotsDeclared, reception_uai=cmd.actor_uai, domain_code=cmd.domain_code, slots_added=added)
    return [declared, *await drain(repo, cmd.domain_code, ctx)]


async def request_new_interview(cmd: RequestNewInterview, ctx: Context) -> Sequence[Event]:
    """R21: after an absence, the pupil waits again (keeping their place in line) and is booked when possible."""
    rules = policy(ctx.campaign)
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(cmd.ine)
    need = await repo.get_need(cmd.ine, cmd.domain_code)
    domain.check_new_interview_request(
        ine=cmd.ine, domain_code=cmd.domain_code, actor_uai=cmd.actor_uai,
        origin_uai=need.origin_uai if need else None,
        active_formations=len(need.formation_codes) if need else 0,
        missed=need is not None and need.state == "absent",
        today=ctx.now.astimezone(rules.tz).date(), policy=rules,
    )
    assert need is not None
    await repo.set_need_state(cmd.ine, cmd.domain_code, "waiting")
    requested = ctx.event(InterviewRequested, ine=cmd.ine, domain_code=cmd.domain_code)
    booked = await book(repo, Need(need.ine, need.domain_code, need.origin_uai, need.registered_at,
                                   need.formation_codes, "waiting"), ctx)
    return [requested, booked] if booked else [requested]


async def sweep(ctx: Context) -> Sequence[Event]:
    """R15: book waiting pupils wherever a fitting seat is free, and tell how many still wait per domain."""
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    events: list[Event] = []
    for domain_code in await repo.domains_to_drain(domain.earliest_start(ctx.now, policy(ctx.campaign))):
        events += await drain(repo, domain_code, ctx)
    first_day = domain.first_possible_day(ctx.now, policy(ctx.campaign))
    for domain_code, waiting in await repo.shortfall_changes():
        await repo.record_shortfall(domain_code, waiting, ctx.now)
        events.append(ctx.event(CapacityShortfall, domain_code=domain_code, waiting_pupils=waiting,
                                first_possible_on=first_day))
    return events
