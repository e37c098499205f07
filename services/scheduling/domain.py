"""Scheduling's pure rules: which slots may be declared, how a pupil's domains are planned, when the window's
end puts waiting pupils at risk (R13–R18, R21)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import product
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
    maybe_not_yet = True  # learnt from another service's events


class UnknownInterviewError(SchedulingError):
    reason = "unknown_interview"


class InvalidIneError(SchedulingError):
    reason = "invalid_ine"


class OutsidePlanningWindowError(SchedulingError):
    reason = "outside_planning_window"


class NoInterviewPossibleError(SchedulingError):
    reason = "no_interview_possible"


class UnknownSlotError(SchedulingError):
    reason = "unknown_slot"


@dataclass(frozen=True)
class Policy:
    """The campaign's scheduling settings."""

    tz: ZoneInfo
    planning_ends_on: date
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
    cancelled: bool = False
    """R14: a slot its school cancelled takes no booking again."""
    domain_code: str = ""


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


def _check_reception_school(*, actor_uai: str, domain_code: str, policy: Policy, act: str) -> None:
    """R12: only a reception school of the domain acts on the domain's slots."""
    schools = policy.reception_uais.get(domain_code)
    if schools is None:
        raise UnknownDomainError(
            f"Le domaine « {domain_code[:64]} » ne fait pas partie de la campagne Passpro.", "domain_code"
        )
    if actor_uai not in schools:
        raise UnauthorizedError(
            "Cet établissement n'est pas établissement d'accueil-référent pour ce domaine : "
            f"il ne peut pas y {act} de créneaux.",
            "actor_uai",
        )


def check_planning_open(*, today: date, policy: Policy, act: str) -> None:
    """R14: reception schools plan (declare or cancel slots) until ``planning_ends_on`` inclusive.

    ``today`` is the campaign-timezone date of the service's clock; after the last planning day,
    convocations already sent must stay as they are.
    """
    if today > policy.planning_ends_on:
        raise OutsidePlanningWindowError(
            f"La planification des entretiens est close depuis le {_fr(policy.planning_ends_on)} inclus : "
            f"il n'est plus possible {act} de créneaux. Adressez-vous au SAIO.",
            "domain_code",
        )


def check_declaration(
    *, actor_uai: str, domain_code: str, slots: Sequence[NewSlot], today: date, policy: Policy
) -> None:
    """R14, R12: a reception school declares slots for a domain it serves, while planning is open, inside
    the interview window."""
    _check_reception_school(actor_uai=actor_uai, domain_code=domain_code, policy=policy, act="déclarer")
    check_planning_open(today=today, policy=policy, act="de déclarer")
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


def check_cancellation(*, actor_uai: str, domain_code: str, today: date, policy: Policy) -> None:
    """R14, R12: a reception school of the domain cancels slots while planning is open."""
    _check_reception_school(actor_uai=actor_uai, domain_code=domain_code, policy=policy, act="annuler")
    check_planning_open(today=today, policy=policy, act="d'annuler")


def check_slots_declared(*, requested: Sequence[datetime], declared: Iterable[datetime], policy: Policy) -> None:
    """R14, R12: a school cancels only slots it declared in the domain.

    ``declared`` are the starts of this school's slots in the domain among ``requested`` (cancelled ones
    included: cancelling again changes nothing). One unknown instant refuses the whole command, so that
    nothing is half-cancelled.
    """
    known = {instant.astimezone(UTC) for instant in declared}
    for index, instant in enumerate(requested):
        if instant.astimezone(UTC) not in known:
            local = instant.astimezone(policy.tz)
            raise UnknownSlotError(
                f"Cet établissement n'a pas déclaré de créneau le {_fr(local.date())} à {local:%Hh%M} dans ce "
                "domaine : aucun créneau n'a été annulé. Vérifiez la date et l'heure puis renvoyez la demande.",
                f"starts_at.{index}",
            )


def interviews_still_possible(now: datetime, policy: Policy) -> bool:
    """R17, R21: some day of the interview window is still far enough ahead for a convocation."""
    return first_possible_day(now, policy) is not None


def last_booking_day(now: datetime, policy: Policy) -> date | None:
    """R17: the last day an interview can still be booked, ``interviews_end_on`` minus the convocation's
    notice; None once no day of the window remains far enough ahead."""
    if not interviews_still_possible(now, policy):
        return None
    return policy.interviews_end_on - timedelta(days=policy.convocation_notice_days)


def registration_closes_at(registration_deadline: date, tz: ZoneInfo) -> datetime:
    """R6, R15: the instant the deadline day ends, campaign time; pupils registered before it must be received."""
    return datetime.combine(registration_deadline + timedelta(days=1), time(0), tzinfo=tz)


@dataclass(frozen=True)
class InterviewsAtRisk:
    """R15, R17: pupils of a domain registered in time who still wait while the window is about to close."""

    domain_code: str
    waiting_pupils: int
    last_booking_day: date | None
    """None when no day remains: these pupils can no longer be received."""


def window_closing(now: datetime, policy: Policy, alarm_days: int) -> bool:
    """R17: the last booking day is at most ``alarm_days`` days away (0: it is today), or already gone."""
    last = last_booking_day(now, policy)
    return last is None or (last - now.astimezone(policy.tz).date()).days <= alarm_days


def interviews_at_risk(
    waiting: Mapping[str, int], *, now: datetime, policy: Policy, alarm_days: int
) -> list[InterviewsAtRisk]:
    """R15, R17: the alarm holds for each domain where pupils registered by the deadline still wait (planned,
    no seat) while the window is closing.

    ``waiting`` counts those pupils per domain.
    """
    if not window_closing(now, policy, alarm_days):
        return []
    last = last_booking_day(now, policy)
    return [InterviewsAtRisk(code, count, last) for code, count in sorted(waiting.items()) if count > 0]


def check_new_interview_request(
    *,
    ine: str,
    domain_code: str,
    actor_uai: str,
    origin_uai: str | None,
    active_formations: int,
    missed: bool,
    now: datetime,
    policy: Policy,
) -> None:
    """R21, R17: after an absence, the origin school may ask for a new interview while one can still be held.

    Who may ask is checked first (R12), then the calendar: a closed window, then a window whose remaining
    days are too close for a convocation (so no pupil waits for an interview that cannot exist), and only
    then whether an interview was missed.
    """
    today = now.astimezone(policy.tz).date()
    if not is_valid_ine(ine):
        raise InvalidIneError("L'INE de l'élève n'est pas valide.", "ine")
    if domain_code not in policy.reception_uais:
        raise UnknownDomainError(
            f"Le domaine « {domain_code[:64]} » ne fait pas partie de la campagne Passpro.", "domain_code"
        )
    if origin_uai is None or active_formations == 0:
        raise UnknownCandidacyError("Cet élève n'a pas de candidature active dans ce domaine.", "domain_code")
    if origin_uai != actor_uai:
        raise UnauthorizedError(
            "Seul l'établissement d'origine de l'élève peut demander un nouvel entretien.", "actor_uai"
        )
    if today > policy.interviews_end_on:
        raise OutsideInterviewWindowError(
            f"La période des entretiens est close depuis le {_fr(policy.interviews_end_on)}.", "domain_code"
        )
    if not interviews_still_possible(now, policy):
        raise NoInterviewPossibleError(
            f"Un nouvel entretien n'est plus possible : la convocation doit parvenir à la famille "
            f"{policy.convocation_notice_days} jours avant l'entretien, et les entretiens se terminent le "
            f"{_fr(policy.interviews_end_on)}.",
            "domain_code",
        )
    if not missed:
        raise UnknownInterviewError(
            "Cet élève n'a pas manqué d'entretien dans ce domaine : il a déjà un entretien ou est en attente.",
            "domain_code",
        )


def spaced(a: datetime, b: datetime, policy: Policy) -> bool:
    """R16: two interviews of one pupil are on different half-days (when the rule is on) and the gap apart."""
    if policy.one_interview_per_half_day and half_day(a, policy.tz) == half_day(b, policy.tz):
        return False
    # Real elapsed time (UTC), never two interviews at the same moment even with no gap configured.
    return abs(a.astimezone(UTC) - b.astimezone(UTC)) >= max(timedelta(hours=policy.min_gap_hours), SAME_MOMENT)


def fits(slot: Slot, *, taken: Iterable[datetime], now: datetime, policy: Policy) -> bool:
    """R14, R16, R17: a free seat in an open slot, far enough ahead, not on a half-day (or within the gap) the
    pupil already has."""
    if slot.cancelled or slot.free_seats <= 0 or slot.starts_at < earliest_start(now, policy):
        return False
    return all(spaced(slot.starts_at, other, policy) for other in taken)


def preference(slot: Slot, origin_uai: str) -> tuple[bool, datetime, str]:
    """R18: a reception school of the origin school's département first, then the earliest slot."""
    return (departement_of_uai(slot.reception_uai) != departement_of_uai(origin_uai), slot.starts_at, slot.slot_id)


PLANNED_SEATS_PER_DOMAIN = 20
"""Fitting seats the planner looks at per domain, in R18 order: enough for any pupil's handful of domains."""


@dataclass(frozen=True)
class WaitingNeed:
    """A domain where the pupil needs an interview and has none."""

    domain_code: str
    registered_at: datetime


@dataclass(frozen=True)
class Held:
    """An interview the pupil has (booked or attended), in the slot it is in."""

    interview_id: str
    domain_code: str
    registered_at: datetime
    slot: Slot
    attended: bool = False


@dataclass(frozen=True)
class Move:
    interview_id: str
    domain_code: str
    slot: Slot


@dataclass(frozen=True)
class Plan:
    """What the planner decides for one pupil: new bookings, moved interviews, domains left waiting."""

    bookings: Mapping[str, Slot]
    moves: Sequence[Move]
    waiting: tuple[str, ...]


def movable(interview: Held, *, now: datetime, policy: Policy) -> bool:
    """R17, R19: an interview may move while it has not started and a new convocation still reaches the
    family in time for its slot."""
    return not interview.attended and interview.slot.starts_at >= earliest_start(now, policy)


def plan_pupil(
    needs: Sequence[WaitingNeed],
    interviews: Sequence[Held],
    candidates: Iterable[Slot],
    *,
    origin_uai: str,
    now: datetime,
    policy: Policy,
) -> Plan:
    """R13, R15–R18: the plan of all a pupil's domains.

    Best plan first by: as many waiting domains booked as possible, earliest registered first (R15: a
    pupil waits only when no plan of all their domains exists); then as few interviews moved as possible
    (a movable interview keeps its slot unless a new need fits no other way); then R18 per domain in
    registration order. Interviews that were attended or are too close to move stay fixed.
    ``candidates`` are open slots of the pupil's domains with a free seat; each domain gets one (R13).
    """
    fixed = [i.slot.starts_at for i in interviews if not movable(i, now=now, policy=policy)]
    by_domain: dict[str, list[Slot]] = {}
    for slot in candidates:
        if fits(slot, taken=fixed, now=now, policy=policy):
            by_domain.setdefault(slot.domain_code, []).append(slot)
    # Domains in registration order, each with its options in R18 order (a movable interview's current
    # slot among them); which waiting domains stay waiting and how many interviews move is searched outside.
    items: list[WaitingNeed | Held] = [*needs, *(i for i in interviews if movable(i, now=now, policy=policy))]
    order: list[tuple[str, Held | None, list[Slot]]] = []
    for item in sorted(items, key=lambda x: (x.registered_at, x.domain_code)):
        held = item if isinstance(item, Held) else None
        others = (s for s in by_domain.get(item.domain_code, ()) if held is None or s.slot_id != held.slot.slot_id)
        fitting = sorted(others, key=lambda s: preference(s, origin_uai))[:PLANNED_SEATS_PER_DOMAIN]
        options = sorted([held.slot, *fitting], key=lambda s: preference(s, origin_uai)) if held else fitting
        order.append((item.domain_code, held, options))
    waiting_at = [n for n, (_, held, _) in enumerate(order) if held is None]
    movables = len(order) - len(waiting_at)
    # Fewest domains waiting, earliest registered booked first: every choice of domains left waiting, best first.
    for left in sorted(product((False, True), repeat=len(waiting_at)), key=lambda flags: (sum(flags), flags)):
        skip = frozenset(n for n, flag in zip(waiting_at, left, strict=True) if flag)
        if _first_plan(order, skip, movables, policy) is None:
            continue
        for max_moves in range(movables + 1):  # then fewest moves; the first plan found is R18's best
            if (found := _first_plan(order, skip, max_moves, policy)) is not None:
                return Plan(
                    bookings={
                        d: s for (d, held, _), s in zip(order, found, strict=True) if held is None and s is not None
                    },
                    moves=tuple(
                        Move(held.interview_id, d, s)
                        for (d, held, _), s in zip(order, found, strict=True)
                        if held is not None and s is not None and s != held.slot
                    ),
                    waiting=tuple(order[n][0] for n in sorted(skip)),
                )
    # Movable interviews that no longer keep R16 between themselves: touch nothing.
    return Plan({}, (), tuple(n.domain_code for n in needs))


def _first_plan(
    order: Sequence[tuple[str, Held | None, Sequence[Slot]]], skip: frozenset[int], max_moves: int, policy: Policy
) -> list[Slot | None] | None:
    """R16: the first plan in R18 order (domain after domain in registration order) booking every domain
    but ``skip`` with at most ``max_moves`` interviews moved; None when there is none.

    Looking ahead (each later domain must keep one option) cuts dead ends early.
    """
    chosen: list[Slot | None] = []

    def search(index: int, starts: list[datetime], moves: int) -> bool:
        if index == len(order):
            return True
        if index in skip:
            chosen.append(None)
            if search(index + 1, starts, moves):
                return True
            chosen.pop()
            return False
        _, held, options = order[index]
        for option in options:
            moved = moves + (held is not None and option != held.slot)
            if moved > max_moves or not all(spaced(option.starts_at, t, policy) for t in starts):
                continue
            after = [*starts, option.starts_at]
            if any(
                n not in skip and not any(all(spaced(o.starts_at, t, policy) for t in after) for o in later)
                for n, (_, _, later) in enumerate(order[index + 1 :], start=index + 1)
            ):
                continue
            chosen.append(option)
            if search(index + 1, after, moved):
                return True
            chosen.pop()
        return False

    return chosen if search(0, [], 0) else None
