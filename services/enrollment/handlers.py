"""Enrollment's use cases: translate the message, ask the rules, record, say what happened."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

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
from services.enrollment.repository import CandidacyRepository
from services.runtime.service import Context, per_campaign


@per_campaign
def campaign_rules(campaign: Campaign) -> domain.CampaignRules:
    return domain.CampaignRules(
        opens_on=campaign.calendar.opens_on,
        registration_deadline=campaign.calendar.registration_deadline,
        formation_domains={f.code: f.domain for f in campaign.formations},
        academie_departements=frozenset(campaign.academie_departements),
        schools_with_mailbox=frozenset(school.uai for school in campaign.schools if school.mailbox),
    )


async def register_candidacy(cmd: RegisterCandidacy, ctx: Context) -> Sequence[Event]:
    """R2–R4, R6–R9, R11, R12: record a candidacy or update its opinion, then publish it.

    The origin mailbox a registration gives is the pupil's from then on; one that gives none keeps it.
    """
    repo = CandidacyRepository(ctx.conn, ctx.campaign.campaign)
    reg = domain.Registration(
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
    rules = campaign_rules(ctx.campaign)
    domain.check_identifiers(ine=reg.ine, uais={"origin_uai": reg.origin_uai, "actor_uai": reg.actor_uai})
    await repo.lock_pupil(reg.ine)
    domain_code = rules.formation_domains.get(reg.formation_code)
    state = await repo.pupil_state(reg.ine, reg.formation_code, domain_code, ctx.now)
    decision = domain.decide_registration(
        reg,
        rules=rules,
        today=ctx.now.astimezone(ctx.campaign.tz).date(),
        existing=state.candidacy,
        pupil_origin_uai=state.pupil_origin_uai,
        interview_held=state.interview_held,
    )
    origin_mailbox = reg.origin_mailbox or state.pupil_origin_mailbox
    registered_at = await repo.save_registration(
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
        now=ctx.now,
        origin_mailbox=origin_mailbox,
    )
    return [
        ctx.event(
            CandidacyRegistered,
            ine=reg.ine,
            formation_code=reg.formation_code,
            domain_code=decision.domain_code,
            origin_uai=reg.origin_uai,
            origin_opinion=reg.origin_opinion.value,
            # Minimisation: the birth date and class level stay here (R3); consumers need the names only.
            pupil=RegisteredPupil(ine=cmd.pupil.ine, last_name=cmd.pupil.last_name, first_name=cmd.pupil.first_name),
            referent=cmd.referent,
            origin_comment=reg.origin_comment,
            channel=reg.channel.value,
            registered_at=registered_at,
            revision=decision.revision,
            origin_mailbox=origin_mailbox,
        )
    ]


async def withdraw_candidacy(cmd: WithdrawCandidacy, ctx: Context) -> Sequence[Event]:
    """R10, R12: withdraw a renounced candidacy; scheduling learns whether the domain has any left."""
    repo = CandidacyRepository(ctx.conn, ctx.campaign.campaign)
    domain.check_identifiers(ine=cmd.ine, uais={"actor_uai": cmd.actor_uai})
    await repo.lock_pupil(cmd.ine)
    state = await repo.pupil_state(cmd.ine, cmd.formation_code, None, ctx.now)
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


async def interview_booked(event: InterviewBooked, ctx: Context) -> Sequence[Event]:
    """R9: remember when the pupil's interview of the domain takes place."""
    return await _interview_news(event.interview_id, event.ine, event.domain_code, "booked", ctx, event.starts_at)


async def interview_cancelled(event: InterviewCancelled, ctx: Context) -> Sequence[Event]:
    return await _interview_news(event.interview_id, event.ine, event.domain_code, "cancelled", ctx)


async def interview_reported(event: InterviewReported, ctx: Context) -> Sequence[Event]:
    """R9, R21: an attended interview locks the origin opinion; an absent pupil's does not."""
    status = "attended" if event.attended else "absent"
    return await _interview_news(event.interview_id, event.ine, event.domain_code, status, ctx)


async def _interview_news(
    interview_id: UUID, ine: str, domain_code: str, status: str, ctx: Context, starts_at: datetime | None = None
) -> Sequence[Event]:
    """R9, R10, R21: what scheduling and opinions say of an interview, in whatever order it arrives
    (``domain.interview_status``); the pupil's lock keeps two of its events from deciding at once."""
    repo = CandidacyRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(ine)
    decided = domain.interview_status(await repo.interview_status(interview_id), status)
    await repo.save_interview(interview_id, ine, domain_code, starts_at, decided)
    return []
