"""Planning a pupil's domains together (R13, R15–R18): examples, and the planner against a brute-force oracle."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import product
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.scheduling import domain

PARIS = ZoneInfo("Europe/Paris")
# UAIs computed by hand: "ABCDEFGHJKLMNPRSTUVWXYZ"[7-digit number mod 23].
CAREME = "0940115P"  # Val-de-Marne (094): 940115 % 23 == 13
ESCOFFIER = "0771123C"  # Seine-et-Marne (077): 771123 % 23 == 2
PAGNOL = "0931155A"  # Seine-Saint-Denis (093): 931155 % 23 == 0
ORIGIN_094 = "0941234F"  # a collège (094): 941234 % 23 == 5
SCHOOLS = (CAREME, ESCOFFIER, PAGNOL)
NOW = datetime(2013, 3, 1, 10, 0, tzinfo=PARIS)
POLICY = domain.Policy(
    tz=PARIS,
    planning_ends_on=date(2013, 4, 3),
    interviews_start_on=date(2013, 2, 11),
    interviews_end_on=date(2013, 4, 17),
    convocation_notice_days=5,
    one_interview_per_half_day=True,
    min_gap_hours=0,
    reception_uais={},
)


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2013, 3, day, hour, minute, tzinfo=PARIS)


def slot(slot_id: str, domain_code: str, starts_at: datetime, *, school: str = CAREME, free: int = 1) -> domain.Slot:
    return domain.Slot(slot_id, school, starts_at, free, domain_code=domain_code)


def need(domain_code: str, minute: int = 0) -> domain.WaitingNeed:
    return domain.WaitingNeed(domain_code, NOW - timedelta(days=1) + timedelta(minutes=minute))


def held(domain_code: str, where: domain.Slot, *, minute: int = 0, attended: bool = False) -> domain.Held:
    return domain.Held(
        f"i-{domain_code}", domain_code, NOW - timedelta(days=1) + timedelta(minutes=minute), where, attended=attended
    )


def plan(
    needs: Sequence[domain.WaitingNeed],
    interviews: Sequence[domain.Held] = (),
    candidates: Sequence[domain.Slot] = (),
    now: datetime = NOW,
) -> domain.Plan:
    return domain.plan_pupil(needs, interviews, candidates, origin_uai=ORIGIN_094, now=now, policy=POLICY)


# The end-to-end situation: one day of seats, morning and afternoon in one domain, morning only in the other.
A_MORNING = slot("a-am", "a", paris(12, 9))
A_AFTERNOON = slot("a-pm", "a", paris(12, 14))
B_MORNING = slot("b-am", "b", paris(12, 10))


def test_r15_r16_two_domains_planned_together_share_the_day_instead_of_one_waiting() -> None:
    decided = plan([need("a", 0), need("b", 1)], candidates=[A_MORNING, A_AFTERNOON, B_MORNING])

    assert decided.bookings == {"a": A_AFTERNOON, "b": B_MORNING}
    assert decided.moves == () and decided.waiting == ()


def test_r15_a_new_need_moves_a_movable_interview_of_the_pupil_rather_than_wait() -> None:
    booked = held("a", A_MORNING)

    decided = plan([need("b", 1)], [booked], [A_AFTERNOON, B_MORNING])

    assert decided.bookings == {"b": B_MORNING}
    assert decided.moves == (domain.Move("i-a", "a", A_AFTERNOON),)


def test_r15_no_interview_moves_when_the_new_need_fits_beside_it() -> None:
    later_b = slot("b-other-day", "b", paris(13, 9))

    decided = plan([need("b", 1)], [held("a", A_MORNING)], [A_AFTERNOON, B_MORNING, later_b])

    assert decided.moves == ()
    assert decided.bookings == {"b": later_b}


def test_r17_an_interview_too_close_for_a_new_convocation_is_never_moved() -> None:
    soon = slot("a-soon", "a", paris(4, 9))  # 3 days ahead: a moved convocation would not reach the family
    b_soon = slot("b-soon", "b", paris(4, 10))
    a_later = slot("a-later", "a", paris(4, 14))

    decided = plan([need("b", 1)], [held("a", soon)], [a_later, b_soon], now=paris(1, 8))

    assert decided.moves == ()
    assert decided.waiting == ("b",)


def test_r21_an_attended_interview_is_never_moved() -> None:
    decided = plan([need("b", 1)], [held("a", A_MORNING, attended=True)], [A_AFTERNOON, B_MORNING])

    assert decided.moves == () and decided.waiting == ("b",)


def test_r15_a_pupil_waits_only_when_no_plan_of_all_domains_exists() -> None:
    b_clash = slot("b-am-2", "b", paris(12, 11))

    decided = plan([need("a", 0), need("b", 1)], candidates=[A_MORNING, B_MORNING, b_clash])

    # Only one morning for two domains: the earliest registered domain is booked, the other waits.
    assert decided.bookings == {"a": A_MORNING}
    assert decided.waiting == ("b",)


def test_r18_among_complete_plans_the_first_registered_domain_gets_its_preferred_seat() -> None:
    a_far = slot("a-far", "a", paris(12, 15), school=ESCOFFIER)
    b_afternoon = slot("b-pm", "b", paris(12, 16))

    decided = plan([need("a", 0), need("b", 1)], candidates=[A_MORNING, a_far, B_MORNING, b_afternoon])

    assert decided.bookings == {"a": A_MORNING, "b": b_afternoon}


def test_r13_each_domain_gets_one_seat_of_its_own_domain() -> None:
    decided = plan([need("a", 0)], candidates=[B_MORNING, A_AFTERNOON])

    assert decided.bookings == {"a": A_AFTERNOON}


# --- The oracle: every assignment enumerated, filtered by the rules restated here ---------------------------


def oracle_half_day(instant: datetime) -> tuple[date, bool]:
    local = instant.astimezone(PARIS)
    return local.date(), local.hour < 13


def oracle_spaced(a: datetime, b: datetime, policy: domain.Policy) -> bool:
    if policy.one_interview_per_half_day and oracle_half_day(a) == oracle_half_day(b):
        return False
    return abs(a.astimezone(UTC) - b.astimezone(UTC)) >= max(
        timedelta(hours=policy.min_gap_hours), timedelta(minutes=1)
    )


def oracle_earliest(now: datetime, policy: domain.Policy) -> datetime:
    return now.astimezone(PARIS) + timedelta(days=policy.convocation_notice_days)


@dataclass(frozen=True)
class Instance:
    needs: tuple[domain.WaitingNeed, ...]
    interviews: tuple[domain.Held, ...]
    slots: tuple[domain.Slot, ...]
    policy: domain.Policy


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    codes = ["d0", "d1", "d2"][: draw(st.integers(1, 3))]
    policy = POLICY if draw(st.booleans()) else domain.Policy(**{**POLICY.__dict__, "min_gap_hours": 3})
    # Few days, so that domains compete for half-days and moves are often needed; day 5 is too close to book.
    starts = st.builds(paris, st.sampled_from([5, 8, 8, 8, 9]), st.sampled_from([9, 11, 14]))
    later = st.builds(paris, st.just(8), st.sampled_from([9, 11, 14]))  # movable interviews: far enough ahead
    slots: list[domain.Slot] = []
    needs: list[domain.WaitingNeed] = []
    interviews: list[domain.Held] = []
    for index, code in enumerate(codes):
        for n in range(draw(st.integers(0, 8))):
            slots.append(
                domain.Slot(
                    f"{code}-{n}",
                    draw(st.sampled_from(SCHOOLS)),
                    draw(starts),
                    draw(st.sampled_from([0, 1, 1, 2])),
                    cancelled=draw(st.integers(0, 7)) == 0,
                    domain_code=code,
                )
            )
        registered = NOW - timedelta(days=3) + timedelta(minutes=index)
        kind = draw(st.sampled_from(["waiting", "waiting", "movable", "movable", "attended"]))
        if kind == "waiting":
            needs.append(domain.WaitingNeed(code, registered))
        else:
            when = draw(later if kind == "movable" else starts)
            where = domain.Slot(f"{code}-held", draw(st.sampled_from(SCHOOLS)), when, 0, domain_code=code)
            interviews.append(domain.Held(f"i-{code}", code, registered, where, attended=kind == "attended"))
    kept = [i.slot.starts_at for i in interviews]
    assume(all(oracle_spaced(a, b, policy) for n, a in enumerate(kept) for b in kept[n + 1 :]))
    return Instance(tuple(needs), tuple(interviews), tuple(slots), policy)


def oracle_plans(instance: Instance) -> list[dict[str, domain.Slot | None]]:
    """Every plan that keeps the rules: each domain one seat of its own or (a waiting need) none."""
    earliest = oracle_earliest(NOW, instance.policy)
    fixed = [i for i in instance.interviews if i.attended or i.slot.starts_at < earliest]
    movable = [i for i in instance.interviews if i not in fixed]

    def open_seats(code: str) -> list[domain.Slot]:
        return [
            s
            for s in instance.slots
            if s.domain_code == code
            and s.free_seats > 0
            and not s.cancelled
            and s.starts_at.astimezone(UTC) >= earliest.astimezone(UTC)
        ]

    domains = [(n.domain_code, [None, *open_seats(n.domain_code)]) for n in instance.needs]
    domains += [(i.domain_code, [i.slot, *open_seats(i.domain_code)]) for i in movable]
    plans = []
    for choice in product(*(options for _, options in domains)):
        starts = [s.starts_at for s in choice if s is not None] + [i.slot.starts_at for i in fixed]
        if all(oracle_spaced(a, b, instance.policy) for n, a in enumerate(starts) for b in starts[n + 1 :]):
            plans.append({code: s for (code, _), s in zip(domains, choice, strict=True)})
    return plans


def oracle_rank(instance: Instance, plan: dict[str, domain.Slot | None]) -> tuple[object, ...]:
    """Fewest domains waiting, earliest registered booked first; then fewest moves; then R18 in registration order."""
    registered = {n.domain_code: n.registered_at for n in instance.needs}
    registered |= {i.domain_code: i.registered_at for i in instance.interviews}
    in_order = sorted(plan, key=lambda code: (registered[code], code))
    waiting = [code for code in in_order if code in {n.domain_code for n in instance.needs} and plan[code] is None]
    current = {i.domain_code: i.slot for i in instance.interviews}
    moves = sum(1 for code in plan if code in current and plan[code] != current[code])
    prefs = []
    for code in in_order:
        s = plan[code]
        prefs.append(
            (1,) if s is None else (0, s.reception_uai[:3] != ORIGIN_094[:3], s.starts_at.astimezone(UTC), s.slot_id)
        )
    return (
        len(waiting),
        tuple(
            plan[code] is None
            for code in in_order
            if code in registered and code in {n.domain_code for n in instance.needs}
        ),
        moves,
        tuple(prefs),
    )


def planner_plan(instance: Instance) -> tuple[domain.Plan, dict[str, domain.Slot | None]]:
    decided = domain.plan_pupil(
        instance.needs, instance.interviews, instance.slots, origin_uai=ORIGIN_094, now=NOW, policy=instance.policy
    )
    earliest = oracle_earliest(NOW, instance.policy)
    as_dict: dict[str, domain.Slot | None] = {n.domain_code: None for n in instance.needs}
    as_dict |= {i.domain_code: i.slot for i in instance.interviews if not i.attended and i.slot.starts_at >= earliest}
    as_dict |= dict(decided.bookings) | {m.domain_code: m.slot for m in decided.moves}
    return decided, as_dict


@settings(max_examples=300, deadline=None)
@given(instances())
def test_r15_the_planner_books_every_domain_exactly_when_the_oracle_finds_a_complete_plan(instance: Instance) -> None:
    decided, _ = planner_plan(instance)
    complete = any(all(p[n.domain_code] is not None for n in instance.needs) for p in oracle_plans(instance))

    assert (decided.waiting == ()) == complete


@settings(max_examples=300, deadline=None)
@given(instances())
def test_r13_r16_r17_the_planner_s_plan_is_one_the_oracle_allows(instance: Instance) -> None:
    _, as_dict = planner_plan(instance)

    assert as_dict in oracle_plans(instance)


@settings(max_examples=300, deadline=None)
@given(instances())
def test_r15_r18_the_planner_s_plan_is_the_oracle_s_preferred_one(instance: Instance) -> None:
    _, as_dict = planner_plan(instance)
    best = min(oracle_plans(instance), key=lambda p: oracle_rank(instance, p))

    assert oracle_rank(instance, as_dict) == oracle_rank(instance, best)


@settings(max_examples=300, deadline=None)
@given(instances())
def test_r15_the_planner_never_moves_an_interview_when_a_complete_plan_without_moving_exists(
    instance: Instance,
) -> None:
    decided, _ = planner_plan(instance)
    current = {i.domain_code: i.slot for i in instance.interviews}
    still = [
        p
        for p in oracle_plans(instance)
        if all(p[n.domain_code] is not None for n in instance.needs)
        and all(p[code] == current[code] for code in p if code in current)
    ]

    assert not still or decided.moves == ()
