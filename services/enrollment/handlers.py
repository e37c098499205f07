"""Enrollment's use cases: translate the message, ask the rules, record, say what happened."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.base import Event
from contracts.campaign import Campaign
from contracts.commands import RegisterCandidacy, WithdrawCandidacy
from contracts.events import (
    CandidacyRegistered,
    CandidacyWithdrawn,
    InterviewBooked,
    InterviewCancelled,
    InterviewReported,
    RegisteredPupil,
)
from services.enrollment import domain
from services.enrollment.repository import Asked, CandidacyRepository, InterviewNews, SavedRegistration
from services.runtime.service import Context, one_by_one, per_campaign

InterviewEvent = InterviewBooked | InterviewCancelled | InterviewReported


@per_campaign
def campaign_rules(campaign: Campaign) -> domain.CampaignRules:
    return domain.CampaignRules(
        opens_on=campaign.calendar.opens_on,
        registration_deadline=campaign.calendar.registration_deadline,
        formation_domains={f.code: f.domain for f in campaign.formations},
        academie_departements=frozenset(campaign.academie_departements),
        schools_with_mailbox=frozenset(school.uai for school in campaign.schools if school.mailbox),
    )


async def register_candidacies(commands: Sequence[tuple[RegisterCandidacy, Context]]) -> list[Sequence[Event]]:
    """R2–R4, R6–R9, R11, R12: record each candidacy or update its opinion, then publish it; one pupil at most
    once (``Together``), one statement per step for all of them.

    The origin mailbox a registration gives is the pupil's from then on; one that gives none keeps it.
    """
    _, first = commands[0]
    repo = CandidacyRepository(first.conn, first.campaign.campaign)
    rules = campaign_rules(first.campaign)
    regs = [_registration(cmd) for cmd, _ in commands]
    for reg in regs:
        domain.check_identifiers(ine=reg.ine, uais={"origin_uai": reg.origin_uai, "actor_uai": reg.actor_uai})
    await repo.lock_pupils([reg.ine for reg in regs])
    asked = [Asked(reg.ine, reg.formation_code, rules.formation_domains.get(reg.formation_code)) for reg in regs]
    states = await repo.pupil_states(asked, first.now)
    today = first.now.astimezone(first.campaign.tz).date()
    saved = []
    for (cmd, _), reg, state in zip(commands, regs, states, strict=True):
        decision = domain.decide_registration(
            reg,
            rules=rules,
            today=today,
            existing=state.candidacy,
            pupil_origin_uai=state.pupil_origin_uai,
            interview_held=state.interview_held,
        )
        saved.append(
            SavedRegistration(
                ine=reg.ine,
                formation_code=reg.formation_code,
                domain_code=decision.domain_code,
                origin_uai=reg.origin_uai,
                channel=reg.channel.value,
                last_name=cmd.pupil.last_name,
                first_name=cmd.pupil.first_name,
                birth_date=cmd.pupil.birth_date,
                class_level=cmd.pupil.class_level,
                referent_name=cmd.referent.name,
                referent_email=cmd.referent.email,
                origin_opinion=reg.origin_opinion.value,
                origin_comment=reg.origin_comment,
                revision=decision.revision,
                origin_mailbox=reg.origin_mailbox or state.pupil_origin_mailbox,
            )
        )
    registered = await repo.save_registrations(saved, first.now)
    return [
        [
            ctx.event(
                CandidacyRegistered,
                ine=row.ine,
                formation_code=row.formation_code,
                domain_code=row.domain_code,
                origin_uai=row.origin_uai,
                origin_opinion=row.origin_opinion,
                # Minimisation: the birth date and class level stay here (R3); consumers need the names only.
                pupil=RegisteredPupil(ine=row.ine, last_name=row.last_name, first_name=row.first_name),
                referent=cmd.referent,
                origin_comment=row.origin_comment,
                channel=row.channel,
                registered_at=registered_at,
                revision=row.revision,
                origin_mailbox=row.origin_mailbox,
            )
        ]
        for (cmd, ctx), row, registered_at in zip(commands, saved, registered, strict=True)
    ]


register_candidacy = one_by_one(register_candidacies)


def _registration(cmd: RegisterCandidacy) -> domain.Registration:
    return domain.Registration(
        ine=cmd.pupil.ine,
        origin_uai=cmd.origin_uai,
        actor_uai=cmd.actor_uai,
        channel=domain.Channel(cmd.channel),
        class_level=cmd.pupil.class_level,
        formation_code=cmd.formation_code,
        origin_opinion=domain.Opinion(cmd.origin_opinion),
        origin_comment=cmd.origin_comment,
        origin_mailbox=cmd.origin_mailbox,
    )


async def withdraw_candidacy(cmd: WithdrawCandidacy, ctx: Context) -> Sequence[Event]:
    """R10, R12: withdraw a renounced candidacy; scheduling learns whether the domain has any left."""
    repo = CandidacyRepository(ctx.conn, ctx.campaign.campaign)
    domain.check_identifiers(ine=cmd.ine, uais={"actor_uai": cmd.actor_uai})
    await repo.lock_pupils([cmd.ine])
    [state] = await repo.pupil_states([Asked(cmd.ine, cmd.formation_code, None)], ctx.now)
    candidacy = domain.decide_withdrawal(
        ine=cmd.ine,
        formation_code=cmd.formation_code,
        actor_uai=cmd.actor_uai,
        rules=campaign_rules(ctx.campaign),
        existing=state.candidacy,
    )
    await repo.withdraw(cmd.ine, cmd.formation_code, cmd.reason, ctx.now)
    remaining = await repo.active_in_domain(cmd.ine, candidacy.domain_code)
    return [
        ctx.event(
            CandidacyWithdrawn,
            ine=cmd.ine,
            formation_code=cmd.formation_code,
            domain_code=candidacy.domain_code,
            origin_uai=candidacy.origin_uai,
            reason=cmd.reason,
            remaining_in_domain=remaining,
        )
    ]


async def interview_news(events: Sequence[tuple[InterviewEvent, Context]]) -> list[Sequence[Event]]:
    """R9, R10, R21: what scheduling and opinions say of interviews, in whatever order it arrives
    (``domain.interview_status``); one interview at most once (``Together``). The pupils' locks keep two events
    of one pupil from deciding at once."""
    _, first = events[0]
    repo = CandidacyRepository(first.conn, first.campaign.campaign)
    await repo.lock_pupils([event.ine for event, _ in events])
    known = await repo.interview_statuses([event.interview_id for event, _ in events])
    await repo.save_interviews(
        [
            InterviewNews(
                event.interview_id,
                event.ine,
                event.domain_code,
                event.starts_at if isinstance(event, InterviewBooked) else None,
                domain.interview_status(known.get(event.interview_id), _status(event)),
            )
            for event, _ in events
        ]
    )
    return [[] for _ in events]


def _status(event: InterviewEvent) -> str:
    """R9, R21: what the event says; an attended interview locks the origin opinion, an absent pupil's does not."""
    if isinstance(event, InterviewBooked):
        return "booked"
    if isinstance(event, InterviewCancelled):
        return "cancelled"
    return "attended" if event.attended else "absent"


interview_booked = interview_cancelled = interview_reported = one_by_one(interview_news)
