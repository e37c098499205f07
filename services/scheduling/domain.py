"""Scheduling's pure rules: which slots may be declared, which slot a pupil gets (R13–R18, R21)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from contracts.identifiers import departement_of_uai, is_valid_ine
from contracts.refusal import Refused

SAME_MOMENT = timedelta(minutes=1)
"""Interviews closer than this are at the same moment."""


class SchedulingError(Refused):
    """A rule refused the command; ``reason`` is the public rejection code, the message is for a secretary."""

class UnknownDomainError(SchedulingError):
    reason = "unknown_domain"


class UnauthorizedError(SchedulingError):
    reason = "unauthorized"


class OutsideInterviewWindowError(SchedulingError):
    reason = "outside_interview_window"


class UnknownCandidacyError(SchedulingError):
    reason = "unknown_candidacy"


class UnknownInterviewError(SchedulingError):
    reason = "unknown_interview"


class InvalidIneError(SchedulingError):
    reason = "invalid_ine"


@dataclass(frozen=True)
class Policy:
    """The campaign's scheduling settings."""

    tz: ZoneInfo
    interviews_start_on: date
    interviews_end_on: date
    convocation_notice_days: int
    one_interview_per_half_day: bool
    min_gap_hours: int
    reception_uais: Mapping[str, frozenset[str]]
    """Domain code -> the reception schools that serve it."""


@dataclass(frozen=True)
class Slot:
    slot_id: str
    reception_uai: str
    starts_at: datetime
    free_seats: int


@dataclass(frozen=True)
class NewSlot:
    starts_at: datetime
    duration_minutes: int
    capacity: int


def _fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def half_day(instant: datetime, tz: ZoneInfo) -> str:
    """R16, R20c: the half-day of an instant, in the campaign's timezone (morning before 13:00)."""
    local = instant.astimezone(tz)
    return f"{local.date().isoformat()}-{'am' if local.hour < 13 else 'pm'}"


def earliest_start(now: datetime, policy: Policy) -> datetime:
    """R17: an interview is booked far enough ahead for the convocation to reach the family.

    Counted in calendar days of the campaign's timezone, whatever the offset ``now`` comes with.
    """
    return now.astimezone(policy.tz) + timedelta(days=policy.convocation_notice_days)


def first_possible_day(now: datetime, policy: Policy) -> date | None:
    """R14, R17: the first day an interview booked now could take place; None when no day of the window remains."""
    day = max(earliest_start(now, policy).date(), policy.interviews_start_on)
    return day if day <= policy.interviews_end_on else None


def check_declaration(
    *, actor_uai: str, domain_code: str, slots: Sequence[NewSlot], policy: Policy
) -> None:
    """R14, R12: a reception school declares slots for a domain it serves, inside the interview window."""
    schools = policy.reception_uais.get(domain_code)
    if schools is None:
        raise UnknownDomainError(
            f"Le domaine « {domain_code[:64]} » ne fait pas partie de la campagne Passpro.", "domain_code"
        )
    if actor_uai not in schools:
        raise UnauthorizedError(
            "Cet établissement n'est pas établissement d'accueil-référent pour ce domaine : "
            "il ne peut pas y déclarer de créneaux.",
            "actor_uai",
        )
    for index, slot in enumerate(slots):
        start = slot.starts_at.astimezone(policy.tz)
        # A slot ending at midnight ends on the day it started.
        last_moment = (slot.starts_at + timedelta(minutes=slot.duration_minutes, microseconds=-1)).astimezone(policy.tz)
        if start.date() < policy.interviews_start_on or last_moment.date() > policy.interviews_end_on:
            raise OutsideInterviewWindowError(
                f"Le créneau du {_fr(start.date())} à {start:%Hh%M} ({slot.duration_minutes} min) sort de la période "
                f"des entretiens, du {_fr(policy.interviews_start_on)} au {_fr(policy.interviews_end_on)} inclus.",
                f"slots.{index}.starts_at",
            )


def check_new_interview_request(
    *, ine: str, domain_code: str, actor_uai: str, origin_uai: str | None, active_formations: int,
    missed: bool, today: date, policy: Policy,
) -> None:
    """R21: after an absence, the origin school may ask for a new interview while the window is open."""
    if not is_valid_ine(ine):
        raise InvalidIneError("L'INE de l'élève n'est pas valide.", "ine")
    if domain_code not in policy.reception_uais:
        raise UnknownDomainError(
            f"Le domaine « {domain_code[:64]} » ne fait pas partie de la campagne Passpro.", "domain_code"
        )
    if origin_uai is None or active_formations == 0:
        raise UnknownCandidacyError(
            "Cet élève n'a pas de candidature active dans ce domaine.", "domain_code"
        )
    if origin_uai != actor_uai:
        raise UnauthorizedError(
            "Seul l'établissement d'origine de l'élève peut demander un nouvel entretien.", "actor_uai"
        )
    if today > policy.interviews_end_on:
        raise OutsideInterviewWindowError(
            f"La période des entretiens est close depuis le {_fr(policy.interviews_end_on)}.", "domain_code"
        )
    if not missed:
        raise UnknownInterviewError(
            "Cet élève n'a pas manqué d'entretien dans ce domaine : il a déjà un entretien ou est en attente.",
            "domain_code",
        )


def fits(slot: Slot, *, taken: Iterable[datetime], now: datetime, policy: Policy) -> bool:
    """R16, R17: a free seat, far enough ahead, not on a half-day (or within the gap) the pupil already has."""
    if slot.free_seats <= 0 or slot.starts_at < earliest_start(now, policy):
        return False
    for other in taken:
        if policy.one_interview_per_half_day and half_day(other, policy.tz) == half_day(slot.starts_at, policy.tz):
            return False
        # Real elapsed time (UTC), never two interviews at the same moment even with no gap configured.
        apart = abs(other.astimezone(UTC) - slot.starts_at.astimezone(UTC))
        if apart < max(timedelta(hours=policy.min_gap_hours), SAME_MOMENT):
            return False
    return True


def preference(slot: Slot, origin_uai: str) -> tuple[bool, datetime, str]:
    """R18: a reception school of the origin school's département first, then the earliest slot."""
    return (departement_of_uai(slot.reception_uai) != departement_of_uai(origin_uai), slot.starts_at, slot.slot_id)


def choose_slot(
    slots: Iterable[Slot], *, origin_uai: str, taken: Iterable[datetime], now: datetime, policy: Policy
) -> Slot | None:
    """R13–R18: the slot a waiting pupil gets, or None when none fits (the pupil waits, R15)."""
    taken = list(taken)
    candidates = [s for s in slots if fits(s, taken=taken, now=now, policy=policy)]
    return min(candidates, key=lambda s: preference(s, origin_uai), default=None)
