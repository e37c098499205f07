"""Affelnet export's use cases: confirmations in, bonuses due as soon as a final opinion and a confirmation meet."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.base import Event, FinalOpinion
from contracts.commands import ConfirmWish
from contracts.events import CandidacyRegistered, CandidacyWithdrawn, FinalOpinionComputed, WishConfirmed
from services.affelnet_export import domain
from services.affelnet_export.repository import ExportRepository
from services.runtime.service import Context, one_by_one


async def _bonuses_if_due(repo: ExportRepository, candidacies: Sequence[tuple[str, str, Context]]) -> None:
    """R27, R28, R29: final opinion and confirmation both there, whichever came first: the bonus is due. Each
    (pupil, formation, the context of the message that completed it) once."""
    due = await repo.due_bonuses([(ine, formation_code) for ine, formation_code, _ in candidacies])
    for ine, formation_code, ctx in candidacies:
        final = due.get((ine, formation_code))
        if final is None:
            continue
        points = ctx.campaign.bonus_points.points_for(FinalOpinion(final))
        await repo.create_bonus(
            ine,
            formation_code,
            final,
            points,
            domain.idempotency_key(ctx.campaign.campaign, ine, formation_code),
            ctx.correlation_id,
        )


async def candidacies_registered(events: Sequence[tuple[CandidacyRegistered, Context]]) -> list[Sequence[Event]]:
    """R27: each candidacy Affelnet may get a bonus for (one pupil at most once in a set); registered again after a
    withdrawal, it is active again, and a bonus it completes is due."""
    _, first = events[0]
    repo = ExportRepository(first.conn, first.campaign.campaign)
    await repo.lock_pupils([event.ine for event, _ in events])
    await repo.save_candidacies([(event.ine, event.formation_code, event.origin_uai) for event, _ in events])
    await _bonuses_if_due(repo, [(event.ine, event.formation_code, ctx) for event, ctx in events])
    return [[] for _ in events]


candidacy_registered = one_by_one(candidacies_registered)


async def candidacy_withdrawn(event: CandidacyWithdrawn, ctx: Context) -> Sequence[Event]:
    repo = ExportRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    await repo.withdraw_candidacy(event.ine, event.formation_code)
    return []


async def final_opinion_computed(event: FinalOpinionComputed, ctx: Context) -> Sequence[Event]:
    repo = ExportRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    await repo.save_final(event.ine, event.formation_code, event.final_opinion)
    await _bonuses_if_due(repo, [(event.ine, event.formation_code, ctx)])
    return []


async def confirm_wish(cmd: ConfirmWish, ctx: Context) -> Sequence[Event]:
    """R27, R28: the family confirmed and the wish was entered in Affelnet by the deadline."""
    repo = ExportRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(cmd.ine)
    domain.check_confirmation(
        ine=cmd.ine,
        formation_known=ctx.campaign.domain_of(cmd.formation_code) is not None,
        candidacy=await repo.get_candidacy(cmd.ine, cmd.formation_code),
        actor_uai=cmd.actor_uai,
        wish_entered_on=cmd.wish_entered_on,
        wish_deadline=ctx.campaign.calendar.affelnet_wish_deadline,
    )
    await repo.save_confirmation(cmd.ine, cmd.formation_code, cmd.wish_entered_on, ctx.now)
    await _bonuses_if_due(repo, [(cmd.ine, cmd.formation_code, ctx)])
    return [
        ctx.event(WishConfirmed, ine=cmd.ine, formation_code=cmd.formation_code, wish_entered_on=cmd.wish_entered_on)
    ]
