"""Scheduling's use cases: needs from candidacies, seats from declared slots, bookings as soon as both meet."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog

from contracts.base import Event
from contracts.campaign import Campaign
from contracts.commands import CancelInterviewSlots, DeclareInterviewSlots, RequestNewInterview
from contracts.events import (
    CandidacyRegistered,
    CandidacyWithdrawn,
    CapacityShortfall,
    InterviewBooked,
    InterviewCancelled,
    InterviewReported,
    InterviewRequested,
    InterviewsAtRisk,
    SlotsCancelled,
    SlotsDeclared,
)
from services.runtime.service import Context, one_by_one, per_campaign
from services.scheduling import domain
from services.scheduling.repository import AddedFormation, SchedulingRepository, SeatTaken

DRAIN_BATCH = 500
"""Waiting pupils looked at per domain in one transaction; the sweep comes back for the rest."""
PLAN_BATCH = 200
"""Due pupils planned in one transaction; the planner comes back for the rest at once."""
PLAN_ATTEMPTS = 3
"""Plans computed again when seats go to other transactions before the pupil stays due for the next run."""
log = structlog.get_logger()
RESCHEDULED = "rescheduled"
"""Reason of an interview moved so that a new need of the same pupil fits; the mail words it in French."""


@per_campaign
def policy(campaign: Campaign) -> domain.Policy:
    return domain.Policy(
        tz=campaign.tz,
        planning_ends_on=campaign.calendar.planning_ends_on,
        interviews_start_on=campaign.calendar.interviews_start_on,
        interviews_end_on=campaign.calendar.interviews_end_on,
        convocation_notice_days=campaign.calendar.convocation_notice_days,
        one_interview_per_half_day=campaign.scheduling.one_interview_per_half_day,
        min_gap_hours=campaign.scheduling.min_gap_hours,
        reception_uais={d.code: frozenset(d.reception_uais) for d in campaign.domains},
    )


async def plan(repo: SchedulingRepository, ine: str, ctx: Context) -> list[Event]:
    """R13, R15–R18: plans all the pupil's waiting domains together and carries the plan out.

    The rule is ``domain.plan_pupil``; here its inputs are read and its decision applied: moved
    interviews are cancelled (reason ``rescheduled``) and booked again, new needs booked, all in one
    savepoint. A seat another transaction took meanwhile undoes the whole plan, which is computed again
    (PLAN_ATTEMPTS times at most; then the pupil stays due). The caller holds the pupil's lock.
    """
    rules = policy(ctx.campaign)
    for _ in range(PLAN_ATTEMPTS):
        needs = await repo.pupil_needs(ine)
        waiting = [n for n in needs if n.state == "waiting" and (n.plan_after is None or n.plan_after <= ctx.now)]
        if not waiting:
            return []
        interviews = await repo.pupil_interviews(ine)
        registered = {n.domain_code: n.registered_at for n in needs}
        held = [
            domain.Held(
                str(i.interview_id),
                i.domain_code,
                registered.get(i.domain_code, i.starts_at),
                domain.Slot(str(i.slot_id), i.reception_uai, i.starts_at, 1, domain_code=i.domain_code),
                attended=i.status == "attended",
            )
            for i in interviews
        ]
        domains = sorted({n.domain_code for n in waiting} | {i.domain_code for i in interviews})
        candidates = await repo.candidate_slots(domains, domain.earliest_start(ctx.now, rules))
        decided = domain.plan_pupil(
            [domain.WaitingNeed(n.domain_code, n.registered_at) for n in waiting],
            held,
            candidates,
            origin_uai=waiting[0].origin_uai,
            now=ctx.now,
            policy=rules,
        )
        try:
            async with repo.savepoint():
                events = await _carry_out(repo, ine, decided, ctx)
        except SeatTaken:
            continue
        await repo.end_round(ine, ctx.now)
        return events
    return []


async def _carry_out(repo: SchedulingRepository, ine: str, decided: domain.Plan, ctx: Context) -> list[Event]:
    """R19: cancellations of the moved interviews first, then every booking (seats taken in slot order)."""
    rules = policy(ctx.campaign)
    events: list[Event] = []
    for move in decided.moves:
        await repo.cancel_interview(uuid.UUID(move.interview_id), RESCHEDULED)
        events.append(
            ctx.event(
                InterviewCancelled,
                interview_id=uuid.UUID(move.interview_id),
                ine=ine,
                domain_code=move.domain_code,
                reason=RESCHEDULED,
            )
        )
    seats = [*decided.bookings.items(), *((m.domain_code, m.slot) for m in decided.moves)]
    for domain_code, slot in sorted(seats, key=lambda seat: seat[1].slot_id):
        booking = await repo.book(
            ine, domain_code, slot.slot_id, half_day_rule=rules.one_interview_per_half_day, now=ctx.now
        )
        events.append(
            ctx.event(
                InterviewBooked,
                interview_id=booking.interview_id,
                ine=ine,
                domain_code=domain_code,
                reception_uai=booking.reception_uai,
                starts_at=booking.starts_at.astimezone(rules.tz),
                ends_at=booking.ends_at.astimezone(rules.tz),
                place=booking.place,
                formation_codes=list(booking.formation_codes),
            )
        )
    return events


async def drain(repo: SchedulingRepository, domain_code: str, ctx: Context) -> list[Event]:
    """R15: waiting pupils of a domain get the free seats, oldest registration first.

    A pupil another transaction is handling right now is skipped: that transaction books them, or
    the next sweep does.
    """
    events: list[Event] = []
    for need in await repo.waiting_pupils(domain_code, DRAIN_BATCH):
        if await repo.try_lock_pupil(need.ine):
            events += await plan(repo, need.ine, ctx)  # books only what still waits
    return events


async def plan_due_pupils(ctx: Context) -> Sequence[Event]:
    """R15: pupils whose planning round has ended are planned, oldest registration first; a pupil another
    transaction holds is left for the next run."""
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    events: list[Event] = []
    for ine in await repo.due_pupils(ctx.now, PLAN_BATCH):
        if await repo.try_lock_pupil(ine):
            events += await plan(repo, ine, ctx)
    return events


async def candidacies_registered(events: Sequence[tuple[CandidacyRegistered, Context]]) -> list[Sequence[Event]]:
    """R13, R15: a candidacy adds its formation to the pupil's need in the domain; a waiting need starts the
    pupil's planning round, at whose end all their waiting domains are planned together. One pupil at most once in a
    set."""
    _, first = events[0]
    repo = SchedulingRepository(first.conn, first.campaign.campaign)
    await repo.lock_pupils([event.ine for event, _ in events])
    pairs = [(event.ine, event.domain_code) for event, _ in events]
    before = await repo.get_needs(pairs)
    needs = await repo.add_formations(
        [
            AddedFormation(
                ine=event.ine,
                domain_code=event.domain_code,
                origin_uai=event.origin_uai,
                registered_at=event.registered_at,
                formation_code=event.formation_code,
            )
            for event, _ in events
        ]
    )
    until = first.now + timedelta(seconds=first.campaign.scheduling.planning_round_seconds)
    rounds = []
    for event, _ in events:
        had, need = before.get((event.ine, event.domain_code)), needs[(event.ine, event.domain_code)]
        # R9: an update of a formation already in the need (new opinion or comment) changes nothing to plan; a
        # round restarted for it would take a pupil waiting for a seat out of the shortfall for its length.
        new_to_plan = had is None or had.state == "withdrawn" or event.formation_code not in had.formation_codes
        if need.state == "waiting" and new_to_plan:
            # Nothing is booked yet: the pupil's other candidacies, sent with this one, are planned with it. A need
            # already waiting for a seat stays counted in its domain's shortfall (R15): it does not join the round.
            waits_for_a_seat = had is not None and had.state == "waiting" and had.plan_after is None
            rounds.append((event.ine, until, None if waits_for_a_seat else event.domain_code))
    await repo.start_rounds(rounds)
    return [[] for _ in events]


candidacy_registered = one_by_one(candidacies_registered)


async def candidacy_withdrawn(event: CandidacyWithdrawn, ctx: Context) -> Sequence[Event]:
    """R10: when the last candidacy of the domain goes, the interview is cancelled and its seat given on."""
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    need = await repo.remove_formation(event.ine, event.domain_code, event.formation_code)
    if need is None or need.state != "withdrawn":
        return []
    interview = await repo.active_interview(event.ine, event.domain_code)
    if interview is None or interview.status != "booked" or interview.starts_at <= ctx.now:
        return []
    reason = "candidacies_withdrawn"
    await repo.cancel_interview(interview.interview_id, reason)
    cancelled = ctx.event(
        InterviewCancelled,
        interview_id=interview.interview_id,
        ine=event.ine,
        domain_code=event.domain_code,
        reason=reason,
    )
    return [cancelled, *await drain(repo, event.domain_code, ctx)]


async def interview_reported(event: InterviewReported, ctx: Context) -> Sequence[Event]:
    """R21: attendance; an absent pupil keeps no interview until the origin school asks for a new one."""
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    reported = await repo.report_attendance(event.interview_id, event.attended)
    if reported is not None:
        await repo.set_need_state(reported.ine, reported.domain_code, "held" if event.attended else "absent")
    return []


async def declare_interview_slots(cmd: DeclareInterviewSlots, ctx: Context) -> Sequence[Event]:
    """R14, R15: a reception school's slots are recorded, and waiting pupils of the domain booked into them."""
    rules = policy(ctx.campaign)
    slots = [domain.NewSlot(s.starts_at, s.duration_minutes, s.capacity) for s in cmd.slots]
    domain.check_declaration(
        actor_uai=cmd.actor_uai,
        domain_code=cmd.domain_code,
        slots=slots,
        today=ctx.now.astimezone(rules.tz).date(),
        policy=rules,
    )
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    added = await repo.reopen_slots(
        reception_uai=cmd.actor_uai, domain_code=cmd.domain_code, starts=[slot.starts_at for slot in cmd.slots]
    )
    for slot in cmd.slots:
        added += await repo.insert_slot(
            reception_uai=cmd.actor_uai,
            domain_code=cmd.domain_code,
            place=cmd.place,
            starts_at=slot.starts_at,
            ends_at=slot.starts_at + timedelta(minutes=slot.duration_minutes),
            half_day=domain.half_day(slot.starts_at, rules.tz),
            capacity=slot.capacity,
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
        ine=cmd.ine,
        domain_code=cmd.domain_code,
        actor_uai=cmd.actor_uai,
        origin_uai=need.origin_uai if need else None,
        active_formations=len(need.formation_codes) if need else 0,
        missed=need is not None and need.state == "absent",
        now=ctx.now,
        policy=rules,
    )
    assert need is not None
    await repo.set_need_state(cmd.ine, cmd.domain_code, "waiting")
    requested = ctx.event(InterviewRequested, ine=cmd.ine, domain_code=cmd.domain_code)
    return [requested, *await plan(repo, cmd.ine, ctx)]


SLOT_CANCELLED = "slot_cancelled"
"""Reason of the interviews cancelled with their slot; the cancellation mail words it in French."""


async def cancel_interview_slots(cmd: CancelInterviewSlots, ctx: Context) -> Sequence[Event]:
    """R14, R15, R18: the school's slots close; their interviews not yet started are cancelled and each pupil
    booked again like a new need (next fitting seat, never in a closed slot) or left waiting for the sweep's
    shortfall.

    Locks are taken pupils first, then slots, the order every other use case takes them in, so that
    replicas handling a withdrawal or a booking at the same time wait for each other instead of deadlocking.
    """
    rules = policy(ctx.campaign)
    domain.check_cancellation(
        actor_uai=cmd.actor_uai, domain_code=cmd.domain_code, today=ctx.now.astimezone(rules.tz).date(), policy=rules
    )
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    where = {"reception_uai": cmd.actor_uai, "domain_code": cmd.domain_code, "starts": list(cmd.starts_at)}
    for ine in await repo.pupils_booked_in_slots(**where, now=ctx.now):
        await repo.lock_pupil(ine)
    slots = await repo.lock_slots(**where)
    domain.check_slots_declared(requested=cmd.starts_at, declared=[s.starts_at for s in slots], policy=rules)
    # A pupil booked between the first read and the slots' lock: locked now (the booking has committed).
    for ine in await repo.pupils_booked_in_slots(**where, now=ctx.now):
        await repo.lock_pupil(ine)
    slot_ids = [s.slot_id for s in slots]
    closed = await repo.close_slots(slot_ids, reason=cmd.reason, now=ctx.now)
    moved = await repo.cancel_interviews_in_slots(slot_ids, reason=SLOT_CANCELLED, now=ctx.now)
    events: list[Event] = [
        ctx.event(
            SlotsCancelled,
            reception_uai=cmd.actor_uai,
            domain_code=cmd.domain_code,
            slots_cancelled=closed,
            interviews_moved=len(moved),
        )
    ]
    for interview in moved:  # oldest registration first: they choose first among the remaining seats
        events.append(
            ctx.event(
                InterviewCancelled,
                interview_id=interview.interview_id,
                ine=interview.ine,
                domain_code=interview.domain_code,
                reason=SLOT_CANCELLED,
            )
        )
        if interview.need is not None:
            events += await plan(repo, interview.ine, ctx)
    return events


async def sweep(ctx: Context) -> Sequence[Event]:
    """R15: book waiting pupils wherever a fitting seat is free, tell how many still wait per domain, and raise
    the alarm when pupils registered in time still wait as the window closes (R17)."""
    repo = SchedulingRepository(ctx.conn, ctx.campaign.campaign)
    events: list[Event] = []
    for domain_code in await repo.domains_to_drain(domain.earliest_start(ctx.now, policy(ctx.campaign))):
        events += await drain(repo, domain_code, ctx)
    first_day = domain.first_possible_day(ctx.now, policy(ctx.campaign))
    for domain_code, waiting in await repo.shortfall_changes():
        await repo.record_shortfall(domain_code, waiting, ctx.now)
        events.append(
            ctx.event(CapacityShortfall, domain_code=domain_code, waiting_pupils=waiting, first_possible_on=first_day)
        )
    return [*events, *await raise_alarms(repo, ctx)]


async def at_risk(repo: SchedulingRepository, campaign: Campaign, now: datetime) -> list[domain.InterviewsAtRisk]:
    """R15, R17: the domains whose pupils registered by the deadline still wait as the window closes.

    Nothing is read while the last booking day is further away than ``alarm_days``: most sweeps of a
    campaign cost no query for this.
    """
    rules, alarm_days = policy(campaign), campaign.scheduling.alarm_days
    if not domain.window_closing(now, rules, alarm_days):
        return []
    closes = domain.registration_closes_at(campaign.calendar.registration_deadline, rules.tz)
    waiting = await repo.waiting_registered_before(closes)
    return domain.interviews_at_risk(waiting, now=now, policy=rules, alarm_days=alarm_days)


async def raise_alarms(repo: SchedulingRepository, ctx: Context) -> list[Event]:
    """R15, R17: `interviews_at_risk` at most once per domain and campaign day while the alarm holds, with a
    warning in the log (identifiers and counts only)."""
    today = ctx.now.astimezone(ctx.campaign.tz).date()
    events: list[Event] = []
    for alarm in await at_risk(repo, ctx.campaign, ctx.now):
        if not await repo.raise_alarm(alarm.domain_code, today, alarm.waiting_pupils, ctx.now):
            continue
        log.warning(
            "interviews_at_risk",
            domain_code=alarm.domain_code,
            waiting_pupils=alarm.waiting_pupils,
            last_booking_day=alarm.last_booking_day.isoformat() if alarm.last_booking_day else None,
        )
        events.append(
            ctx.event(
                InterviewsAtRisk,
                domain_code=alarm.domain_code,
                waiting_pupils=alarm.waiting_pupils,
                last_booking_day=alarm.last_booking_day,
            )
        )
    return events
