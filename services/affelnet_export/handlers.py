"""Affelnet export's use cases: confirmations in, bonuses due as soon as a final opinion and a confirmation meet."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.base import Event, FinalOpinion
from contracts.commands import ConfirmWish
from contracts.events import CandidacyRegistered, CandidacyWithdrawn, FinalOpinionComputed, WishConfirmed
from services.affelnet_export import domain
from services.affelnet_export.repository import ExportRepository
from services.runtime.service import Context


async def _bonus_if_due(repo: ExportRepository, ine: str, formation_code: str, ctx: Context) -> None:
    """R27, R28, R29: final opinion and confirmation both there, whichever came first: the bonus is due."""
    final = await repo.due_bonus(ine, formation_code)
    if final is None:
        return
    points = ctx.campaign.bonus_points.points_for(FinalOpinion(final))
    await repo.create_bonus(
        ine,
        formation_code,
        final,
        points,
        domain.idempotency_key(ctx.campaign.campaign, ine, formation_code),
        ctx.correlation_id,
    )


async def candidacy_registered(event: CandidacyRegistered, ctx: Context) -> Sequence[Event]:
    repo = ExportRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    await repo.save_candidacy(event.ine, event.formation_code, event.origin_uai)
    await _bonus_if_due(repo, event.ine, event.formation_code, ctx)
    return []


async def candidacy_withdrawn(event: CandidacyWithdrawn, ctx: Context) -> Sequence[Event]:
    repo = ExportRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    await repo.withdraw_candidacy(event.ine, event.formation_code)
    return []


async def final_opinion_computed(event: FinalOpinionComputed, ctx: Context) -> Sequence[Event]:
    repo = ExportRepository(ctx.conn, ctx.campaign.campaign)
    await repo.lock_pupil(event.ine)
    await repo.save_final(event.ine, event.formation_code, event.final_opinion)
    await _bonus_if_due(repo, event.ine, event.formation_code, ctx)
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
    await _bonus_if_due(repo, cmd.ine, cmd.formation_code, ctx)
    return [
        ctx.event(WishConfirmed, ine=cmd.ine, formation_code=cmd.formation_code, wish_entered_on=cmd.wish_entered_on)
    ]
