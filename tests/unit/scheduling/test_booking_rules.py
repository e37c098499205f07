"""Scheduling's pure booking rules: half-days (R16), notice (R17), preference (R18) and the choice of a slot."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduling import domain
from tests.unit.scheduling.one_domain import choose_slot

PARIS = ZoneInfo("Europe/Paris")
UAI_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

# UAIs computed by hand: "ABCDEFGHJKLMNPRSTUVWXYZ"[7-digit number mod 23].
CAREME = "0940115P"  # reception school, Val-de-Marne (094): 940115 % 23 == 13
JEAN_MACE = "0940203K"  # reception school, Val-de-Marne (094): 940203 % 23 == 9
ESCOFFIER = "0771123C"  # reception school, Seine-et-Marne (077): 771123 % 23 == 2
PAGNOL = "0931155A"  # reception school, Seine-Saint-Denis (093): 931155 % 23 == 0
ORIGIN_094 = "0941234F"  # a collège, Val-de-Marne (094): 941234 % 23 == 5
ORIGIN_093 = "0931234L"  # a collège, Seine-Saint-Denis (093): 931234 % 23 == 10
ORIGIN_077 = "0771234Y"  # a collège, Seine-et-Marne (077): 771234 % 23 == 21

WINDOW_START = date(2013, 2, 11)
WINDOW_END = date(2013, 4, 17)

POLICY = domain.Policy(
    tz=PARIS,
    planning_ends_on=date(2013, 4, 3),
    interviews_start_on=WINDOW_START,
    interviews_end_on=WINDOW_END,
    convocation_notice_days=5,
    one_interview_per_half_day=True,
    min_gap_hours=0,
    reception_uais={"hotellerie-restauration": frozenset({CAREME, ESCOFFIER, PAGNOL})},
)
NO_HALF_DAY_RULE = replace(POLICY, one_interview_per_half_day=False)
NOW = datetime(2013, 2, 20, 10, 0, tzinfo=PARIS)


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def a_slot(
    starts_at: datetime, *, slot_id: str = "slot-1", reception_uai: str = CAREME, free_seats: int = 2
) -> domain.Slot:
    return domain.Slot(slot_id=slot_id, reception_uai=reception_uai, starts_at=starts_at, free_seats=free_seats)


def fits(
    slot: domain.Slot, *, taken: Sequence[datetime] = (), now: datetime = NOW, policy: domain.Policy = POLICY
) -> bool:
    return domain.fits(slot, taken=taken, now=now, policy=policy)


def choose(
    slots: Sequence[domain.Slot],
    *,
    origin_uai: str = ORIGIN_094,
    taken: Sequence[datetime] = (),
    now: datetime = NOW,
    policy: domain.Policy = POLICY,
) -> domain.Slot | None:
    return choose_slot(slots, origin_uai=origin_uai, taken=taken, now=now, policy=policy)


# --- R16: the half-day of an instant, in Paris time --------------------------------------------------------


def test_r16_nine_o_clock_paris_summer_time_on_2_april_is_a_morning() -> None:
    assert domain.half_day(paris(2013, 4, 2, 9), PARIS) == "2013-04-02-am"


def test_r16_twelve_fifty_nine_paris_winter_time_is_still_a_morning() -> None:
    assert domain.half_day(paris(2013, 3, 30, 12, 59), PARIS) == "2013-03-30-am"


def test_r16_thirteen_o_clock_paris_time_starts_the_afternoon() -> None:
    assert domain.half_day(paris(2013, 3, 30, 13, 0), PARIS) == "2013-03-30-pm"


def test_r16_an_instant_given_in_utc_is_placed_by_its_paris_summer_time_hour() -> None:
    # 2013-04-02 12:30Z is 14:30 in Paris (UTC+2 after 31 March).
    assert domain.half_day(datetime(2013, 4, 2, 12, 30, tzinfo=UTC), PARIS) == "2013-04-02-pm"


def test_r16_an_instant_given_in_utc_is_placed_by_its_paris_winter_time_hour() -> None:
    # 2013-03-30 11:30Z is 12:30 in Paris (UTC+1 before 31 March): still the morning.
    assert domain.half_day(datetime(2013, 3, 30, 11, 30, tzinfo=UTC), PARIS) == "2013-03-30-am"


def test_r16_the_same_utc_clock_time_falls_on_different_half_days_either_side_of_the_change() -> None:
    # 11:30Z is 12:30 in Paris on 30 March but 13:30 on 2 April.
    before = domain.half_day(datetime(2013, 3, 30, 11, 30, tzinfo=UTC), PARIS)
    after = domain.half_day(datetime(2013, 4, 2, 11, 30, tzinfo=UTC), PARIS)

    assert (before[-2:], after[-2:]) == ("am", "pm")


def test_r16_a_late_utc_evening_is_the_next_morning_in_paris() -> None:
    # 2013-04-02 22:30Z is 2013-04-03 00:30 in Paris.
    assert domain.half_day(datetime(2013, 4, 2, 22, 30, tzinfo=UTC), PARIS) == "2013-04-03-am"


def test_r16_the_night_of_the_change_to_summer_time_is_one_morning() -> None:
    before_change = domain.half_day(paris(2013, 3, 31, 1, 59), PARIS)
    after_change = domain.half_day(paris(2013, 3, 31, 3, 0), PARIS)

    assert before_change == after_change == "2013-03-31-am"


# --- R17: the convocation notice ---------------------------------------------------------------------------


def test_r17_earliest_start_is_the_notice_days_after_now() -> None:
    assert domain.earliest_start(paris(2013, 2, 20, 10), POLICY) == paris(2013, 2, 25, 10)


def test_r17_earliest_start_follows_the_configured_notice_days() -> None:
    policy = replace(POLICY, convocation_notice_days=2)

    assert domain.earliest_start(paris(2013, 2, 20, 10), policy) == paris(2013, 2, 22, 10)


def test_r17_earliest_start_keeps_the_paris_clock_time_across_the_change_to_summer_time() -> None:
    earliest = domain.earliest_start(paris(2013, 3, 28, 9), POLICY)

    # 2 April 09:00 in Paris, i.e. 07:00Z: five calendar days, 119 hours, because of the change.
    assert earliest.astimezone(UTC) == datetime(2013, 4, 2, 7, 0, tzinfo=UTC)


def test_r17_earliest_start_is_the_same_instant_whether_now_is_given_in_utc_or_in_paris_time() -> None:
    now_in_paris = paris(2013, 3, 28, 9)
    now_in_utc = now_in_paris.astimezone(UTC)

    from_paris = domain.earliest_start(now_in_paris, POLICY)
    from_utc = domain.earliest_start(now_in_utc, POLICY)

    assert from_utc.astimezone(UTC) == from_paris.astimezone(UTC)


def test_r17_a_slot_exactly_at_the_earliest_start_fits() -> None:
    slot = a_slot(paris(2013, 2, 25, 10))

    assert fits(slot, now=paris(2013, 2, 20, 10))


def test_r17_a_slot_one_minute_before_the_earliest_start_does_not_fit() -> None:
    slot = a_slot(paris(2013, 2, 25, 9, 59))

    assert not fits(slot, now=paris(2013, 2, 20, 10))


def test_r17_a_slot_in_the_past_does_not_fit() -> None:
    slot = a_slot(paris(2013, 2, 19, 10))

    assert not fits(slot, now=paris(2013, 2, 20, 10))


# --- R16: seats, half-days and the minimum gap -----------------------------------------------------------


def test_r16_a_slot_with_a_free_seat_far_enough_ahead_fits_a_pupil_without_interviews() -> None:
    assert fits(a_slot(paris(2013, 3, 12, 9), free_seats=1))


def test_r16_a_slot_with_no_free_seat_does_not_fit() -> None:
    assert not fits(a_slot(paris(2013, 3, 12, 9), free_seats=0))


def test_r16_a_slot_with_a_negative_seat_count_does_not_fit() -> None:
    assert not fits(a_slot(paris(2013, 3, 12, 9), free_seats=-1))


def test_r16_a_slot_on_a_half_day_the_pupil_already_has_does_not_fit() -> None:
    slot = a_slot(paris(2013, 3, 12, 11))

    assert not fits(slot, taken=[paris(2013, 3, 12, 8, 30)])


def test_r16_a_slot_on_the_other_half_day_of_the_same_day_fits() -> None:
    slot = a_slot(paris(2013, 3, 12, 13))

    assert fits(slot, taken=[paris(2013, 3, 12, 12, 30)])


def test_r16_a_slot_on_the_same_half_day_fits_when_the_half_day_rule_is_off() -> None:
    slot = a_slot(paris(2013, 3, 12, 11))

    assert fits(slot, taken=[paris(2013, 3, 12, 8, 30)], policy=NO_HALF_DAY_RULE)


def test_r16_the_half_day_rule_compares_a_utc_taken_instant_in_paris_time() -> None:
    # 2013-04-02 12:30Z is 14:30 in Paris: the afternoon is taken, the 09:00 morning slot is free.
    taken = [datetime(2013, 4, 2, 12, 30, tzinfo=UTC)]

    assert fits(a_slot(paris(2013, 4, 2, 9)), taken=taken)


def test_r16_a_utc_taken_instant_blocks_its_paris_afternoon() -> None:
    taken = [datetime(2013, 4, 2, 12, 30, tzinfo=UTC)]

    assert not fits(a_slot(paris(2013, 4, 2, 16)), taken=taken)


def test_r16_one_taken_half_day_among_several_is_enough_to_refuse_a_slot() -> None:
    taken = [paris(2013, 3, 5, 9), paris(2013, 3, 12, 14), paris(2013, 3, 20, 9)]

    assert not fits(a_slot(paris(2013, 3, 12, 16)), taken=taken)


def test_r16_a_slot_within_the_minimum_gap_after_a_taken_interview_does_not_fit() -> None:
    policy = replace(NO_HALF_DAY_RULE, min_gap_hours=3)

    assert not fits(a_slot(paris(2013, 3, 12, 11)), taken=[paris(2013, 3, 12, 9)], policy=policy)


def test_r16_a_slot_within_the_minimum_gap_before_a_taken_interview_does_not_fit() -> None:
    policy = replace(NO_HALF_DAY_RULE, min_gap_hours=3)

    assert not fits(a_slot(paris(2013, 3, 12, 9)), taken=[paris(2013, 3, 12, 11)], policy=policy)


def test_r16_a_slot_exactly_the_minimum_gap_after_a_taken_interview_fits() -> None:
    policy = replace(NO_HALF_DAY_RULE, min_gap_hours=3)

    assert fits(a_slot(paris(2013, 3, 12, 12)), taken=[paris(2013, 3, 12, 9)], policy=policy)


def test_r16_the_minimum_gap_reaches_across_half_days() -> None:
    policy = replace(POLICY, min_gap_hours=3)

    assert not fits(a_slot(paris(2013, 3, 12, 14)), taken=[paris(2013, 3, 12, 12)], policy=policy)


def test_r16_the_minimum_gap_counts_real_hours_across_the_change_to_summer_time() -> None:
    # 01:30 (UTC+1) and 03:30 (UTC+2) on 31 March 2013 are one real hour apart, not two.
    policy = replace(NO_HALF_DAY_RULE, min_gap_hours=2)
    now = paris(2013, 3, 20, 9)

    assert not fits(a_slot(paris(2013, 3, 31, 3, 30)), taken=[paris(2013, 3, 31, 1, 30)], now=now, policy=policy)


# --- R18: preference ---------------------------------------------------------------------------------------


def test_r18_a_slot_in_the_origin_school_s_departement_is_preferred_to_an_earlier_one_elsewhere() -> None:
    near = a_slot(paris(2013, 3, 20, 9), slot_id="near", reception_uai=CAREME)
    far_but_earlier = a_slot(paris(2013, 3, 5, 9), slot_id="far", reception_uai=PAGNOL)

    assert domain.preference(near, ORIGIN_094) < domain.preference(far_but_earlier, ORIGIN_094)


def test_r18_among_slots_in_the_origin_s_departement_the_earliest_is_preferred() -> None:
    early = a_slot(paris(2013, 3, 5, 9), slot_id="b", reception_uai=JEAN_MACE)
    late = a_slot(paris(2013, 3, 20, 9), slot_id="a", reception_uai=CAREME)

    assert domain.preference(early, ORIGIN_094) < domain.preference(late, ORIGIN_094)


def test_r18_among_slots_outside_the_origin_s_departement_the_earliest_is_preferred() -> None:
    early = a_slot(paris(2013, 3, 5, 9), slot_id="b", reception_uai=ESCOFFIER)
    late = a_slot(paris(2013, 3, 20, 9), slot_id="a", reception_uai=PAGNOL)

    assert domain.preference(early, ORIGIN_094) < domain.preference(late, ORIGIN_094)


def test_r18_preference_compares_start_instants_given_in_different_offsets() -> None:
    # 07:30Z on 2 April is 09:30 in Paris, after the 09:00 Paris slot.
    paris_nine = a_slot(paris(2013, 4, 2, 9), slot_id="b")
    utc_half_past_seven = a_slot(datetime(2013, 4, 2, 7, 30, tzinfo=UTC), slot_id="a")

    assert domain.preference(paris_nine, ORIGIN_094) < domain.preference(utc_half_past_seven, ORIGIN_094)


def test_r18_slots_at_the_same_time_in_the_same_departement_rank_by_slot_id() -> None:
    first = a_slot(paris(2013, 3, 5, 9), slot_id="slot-a", reception_uai=JEAN_MACE)
    second = a_slot(paris(2013, 3, 5, 9), slot_id="slot-b", reception_uai=CAREME)

    assert domain.preference(first, ORIGIN_094) < domain.preference(second, ORIGIN_094)


def test_r18_choose_slot_books_the_origin_s_departement_before_an_earlier_slot_elsewhere() -> None:
    near = a_slot(paris(2013, 3, 20, 9), slot_id="near", reception_uai=CAREME)
    far = a_slot(paris(2013, 3, 5, 9), slot_id="far", reception_uai=PAGNOL)

    assert choose([far, near], origin_uai=ORIGIN_094) == near


def test_r18_choose_slot_books_the_earliest_slot_when_none_is_in_the_origin_s_departement() -> None:
    late = a_slot(paris(2013, 3, 20, 9), slot_id="late", reception_uai=CAREME)
    early = a_slot(paris(2013, 3, 5, 9), slot_id="early", reception_uai=PAGNOL)

    assert choose([late, early], origin_uai=ORIGIN_077) == early


def test_r18_choose_slot_falls_back_to_another_departement_when_the_origin_s_slots_are_full() -> None:
    near_but_full = a_slot(paris(2013, 3, 5, 9), slot_id="near", reception_uai=CAREME, free_seats=0)
    far = a_slot(paris(2013, 3, 20, 9), slot_id="far", reception_uai=PAGNOL)

    assert choose([near_but_full, far], origin_uai=ORIGIN_094) == far


def test_r18_choose_slot_skips_the_origin_s_slot_on_a_half_day_the_pupil_already_has() -> None:
    near = a_slot(paris(2013, 3, 12, 10), slot_id="near", reception_uai=CAREME)
    far = a_slot(paris(2013, 3, 12, 14), slot_id="far", reception_uai=PAGNOL)

    assert choose([near, far], origin_uai=ORIGIN_094, taken=[paris(2013, 3, 12, 8)]) == far


# --- R15: the pupil waits ------------------------------------------------------------------------------------


def test_r15_choose_slot_returns_none_when_there_are_no_slots() -> None:
    assert choose([]) is None


def test_r15_choose_slot_returns_none_when_no_slot_fits() -> None:
    full = a_slot(paris(2013, 3, 12, 9), slot_id="full", free_seats=0)
    too_soon = a_slot(paris(2013, 2, 21, 9), slot_id="too-soon")
    same_half_day = a_slot(paris(2013, 3, 14, 9), slot_id="taken-half-day")

    assert choose([full, too_soon, same_half_day], taken=[paris(2013, 3, 14, 11)]) is None


def test_r16_choose_slot_accepts_taken_instants_as_a_one_shot_iterator() -> None:
    same_half_day = a_slot(paris(2013, 3, 14, 9), slot_id="a")
    other_day = a_slot(paris(2013, 3, 15, 9), slot_id="b")

    chosen = choose_slot(
        iter([same_half_day, other_day]),
        origin_uai=ORIGIN_094,
        taken=iter([paris(2013, 3, 14, 11)]),
        now=NOW,
        policy=POLICY,
    )

    assert chosen == other_day


# --- Properties over random slot pools ------------------------------------------------------------------------

DEPARTEMENTS = ("077", "093", "094")
WINDOW_DAYS = (WINDOW_END - WINDOW_START).days


def make_uai(departement: str, number: int) -> str:
    digits = f"{departement}{number:04d}"
    return digits + UAI_CHECK_LETTERS[int(digits) % len(UAI_CHECK_LETTERS)]


uais = st.builds(make_uai, st.sampled_from(DEPARTEMENTS), st.integers(0, 20))


def in_some_offset(instant: datetime, in_utc: bool) -> datetime:
    return instant.astimezone(UTC) if in_utc else instant


@st.composite
def window_instants(draw: st.DrawFn) -> datetime:
    """A working-hours instant inside the interview window, given in Paris time or in UTC."""
    day = WINDOW_START + timedelta(days=draw(st.integers(0, WINDOW_DAYS)))
    clock = time(draw(st.integers(8, 18)), draw(st.sampled_from([0, 15, 30, 45])))
    return in_some_offset(datetime.combine(day, clock, tzinfo=PARIS), draw(st.booleans()))


@st.composite
def slot_pools(draw: st.DrawFn) -> list[domain.Slot]:
    items = draw(st.lists(st.tuples(uais, window_instants(), st.integers(0, 3)), max_size=12))
    return [
        domain.Slot(slot_id=f"slot-{index:02d}", reception_uai=uai, starts_at=start, free_seats=seats)
        for index, (uai, start, seats) in enumerate(items)
    ]


@st.composite
def taken_instants(draw: st.DrawFn, slots: Sequence[domain.Slot]) -> list[datetime]:
    """Interviews the pupil already has: random, or a few hours around a pool slot so half-days collide."""
    near_a_slot = (
        st.tuples(st.sampled_from(list(slots)), st.integers(-300, 300)).map(
            lambda pair: pair[0].starts_at + timedelta(minutes=pair[1])
        )
        if slots
        else window_instants()
    )
    return draw(st.lists(st.one_of(window_instants(), near_a_slot), max_size=4))


@st.composite
def nows(draw: st.DrawFn, slots: Sequence[domain.Slot]) -> datetime:
    """Now: anywhere from the opening of the campaign to the end of the window, or just near a slot's notice."""
    anywhere = st.integers(0, (WINDOW_END - date(2013, 2, 4)).days * 24 * 60).map(
        lambda minutes: datetime(2013, 2, 4, tzinfo=PARIS) + timedelta(minutes=minutes)
    )
    near_notice = (
        st.tuples(st.sampled_from(list(slots)), st.integers(-90, 90)).map(
            lambda pair: pair[0].starts_at - timedelta(days=5, minutes=pair[1])
        )
        if slots
        else anywhere
    )
    return in_some_offset(draw(st.one_of(anywhere, near_notice)), draw(st.booleans()))


policies = st.builds(
    lambda half_day_rule, gap: replace(POLICY, one_interview_per_half_day=half_day_rule, min_gap_hours=gap),
    st.booleans(),
    st.integers(0, 6),
)


@dataclass(frozen=True)
class Scenario:
    slots: list[domain.Slot]
    taken: list[datetime]
    now: datetime
    policy: domain.Policy
    origin_uai: str


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    slots = draw(slot_pools())
    return Scenario(
        slots=slots,
        taken=draw(taken_instants(slots)),
        now=draw(nows(slots)),
        policy=draw(policies),
        origin_uai=draw(uais),
    )


def paris_half_day(instant: datetime) -> tuple[date, bool]:
    local = instant.astimezone(PARIS)
    return local.date(), local.hour < 13


def real_gap(a: datetime, b: datetime) -> timedelta:
    return abs(a.astimezone(UTC) - b.astimezone(UTC))


def fits_by_hand(slot: domain.Slot, taken: Sequence[datetime], now: datetime, policy: domain.Policy) -> bool:
    """The oracle: R16 and R17 restated, comparing instants in UTC and half-days in Paris time."""
    if slot.free_seats <= 0:
        return False
    if slot.starts_at.astimezone(UTC) < domain.earliest_start(now, policy).astimezone(UTC):
        return False
    for other in taken:
        if policy.one_interview_per_half_day and paris_half_day(other) == paris_half_day(slot.starts_at):
            return False
        if real_gap(other, slot.starts_at) < max(timedelta(hours=policy.min_gap_hours), timedelta(minutes=1)):
            return False
    return True


def choose_in(scenario: Scenario) -> domain.Slot | None:
    return choose_slot(
        scenario.slots, origin_uai=scenario.origin_uai, taken=scenario.taken, now=scenario.now, policy=scenario.policy
    )


def fitting(scenario: Scenario) -> list[domain.Slot]:
    return [s for s in scenario.slots if fits_by_hand(s, scenario.taken, scenario.now, scenario.policy)]


def same_departement(slot: domain.Slot, origin_uai: str) -> bool:
    return slot.reception_uai[:3] == origin_uai[:3]


PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(scenarios())
def test_r16_choose_slot_never_books_a_slot_without_a_free_seat(scenario: Scenario) -> None:
    chosen = choose_in(scenario)

    assert chosen is None or chosen.free_seats > 0


@PROPERTY_SETTINGS
@given(scenarios())
def test_r17_choose_slot_never_books_a_slot_before_the_earliest_start(scenario: Scenario) -> None:
    chosen = choose_in(scenario)

    earliest = domain.earliest_start(scenario.now, scenario.policy)
    assert chosen is None or chosen.starts_at.astimezone(UTC) >= earliest.astimezone(UTC)


@PROPERTY_SETTINGS
@given(scenarios())
def test_r16_choose_slot_never_books_a_half_day_the_pupil_already_has_when_the_rule_is_on(scenario: Scenario) -> None:
    chosen = choose_in(scenario)

    if chosen is not None and scenario.policy.one_interview_per_half_day:
        assert paris_half_day(chosen.starts_at) not in {paris_half_day(t) for t in scenario.taken}


@PROPERTY_SETTINGS
@given(scenarios())
def test_r16_choose_slot_never_books_within_the_minimum_gap_of_a_taken_interview(scenario: Scenario) -> None:
    chosen = choose_in(scenario)

    gap = max(timedelta(hours=scenario.policy.min_gap_hours), timedelta(minutes=1))
    assert chosen is None or all(real_gap(chosen.starts_at, t) >= gap for t in scenario.taken)


@PROPERTY_SETTINGS
@given(scenarios())
def test_r15_choose_slot_books_a_slot_whenever_one_fits(scenario: Scenario) -> None:
    chosen = choose_in(scenario)

    assert (chosen is not None) == bool(fitting(scenario))


@PROPERTY_SETTINGS
@given(scenarios())
def test_r18_choose_slot_never_skips_a_fitting_slot_of_the_origin_s_departement(scenario: Scenario) -> None:
    chosen = choose_in(scenario)

    if any(same_departement(s, scenario.origin_uai) for s in fitting(scenario)):
        assert chosen is not None
        assert same_departement(chosen, scenario.origin_uai)


@PROPERTY_SETTINGS
@given(scenarios())
def test_r18_choose_slot_books_the_earliest_fitting_slot_of_its_departement_match(scenario: Scenario) -> None:
    chosen = choose_in(scenario)

    if chosen is not None:
        rivals = [
            s
            for s in fitting(scenario)
            if same_departement(s, scenario.origin_uai) == same_departement(chosen, scenario.origin_uai)
        ]
        assert all(chosen.starts_at.astimezone(UTC) <= s.starts_at.astimezone(UTC) for s in rivals)


@PROPERTY_SETTINGS
@given(scenarios())
def test_r18_choose_slot_returns_the_minimum_under_preference_among_fitting_slots(scenario: Scenario) -> None:
    chosen = choose_in(scenario)

    if chosen is not None:
        assert all(
            domain.preference(chosen, scenario.origin_uai) <= domain.preference(s, scenario.origin_uai)
            for s in fitting(scenario)
        )


# --- Property: booking a queue of pupils one by one on a shared pool --------------------------------------------


@dataclass
class Pupil:
    origin_uai: str
    needs: int
    """How many domains' interviews the pupil waits for (R13: one interview per domain)."""
    booked: list[domain.Slot] = field(default_factory=list)
    unbooked: int = 0

    @property
    def taken(self) -> list[datetime]:
        return [slot.starts_at for slot in self.booked]


@dataclass(frozen=True)
class Queue:
    slots: list[domain.Slot]
    pupils: list[tuple[str, int]]
    now: datetime
    policy: domain.Policy


@st.composite
def queues(draw: st.DrawFn) -> Queue:
    slots = draw(slot_pools())
    return Queue(
        slots=slots,
        pupils=draw(st.lists(st.tuples(uais, st.integers(1, 3)), min_size=1, max_size=8)),
        now=draw(nows(slots)),
        policy=replace(POLICY, one_interview_per_half_day=True, min_gap_hours=draw(st.integers(0, 6))),
    )


def book_everyone(queue: Queue) -> tuple[dict[str, domain.Slot], list[Pupil]]:
    pool = {slot.slot_id: slot for slot in queue.slots}
    pupils = [Pupil(origin_uai=origin, needs=needs) for origin, needs in queue.pupils]
    for pupil in pupils:
        for _ in range(pupil.needs):
            chosen = choose_slot(
                pool.values(), origin_uai=pupil.origin_uai, taken=pupil.taken, now=queue.now, policy=queue.policy
            )
            if chosen is None:
                pupil.unbooked += 1
                continue
            pool[chosen.slot_id] = replace(chosen, free_seats=chosen.free_seats - 1)
            pupil.booked.append(chosen)
    return pool, pupils


@PROPERTY_SETTINGS
@given(queues())
def test_r16_booking_a_queue_of_pupils_never_overbooks_a_slot(queue: Queue) -> None:
    pool, pupils = book_everyone(queue)

    initial = {slot.slot_id: slot.free_seats for slot in queue.slots}
    bookings = [slot.slot_id for pupil in pupils for slot in pupil.booked]
    assert all(slot.free_seats >= 0 for slot in pool.values())
    assert all(pool[slot_id].free_seats == initial[slot_id] - bookings.count(slot_id) for slot_id in initial)


@PROPERTY_SETTINGS
@given(queues())
def test_r16_booking_a_queue_of_pupils_never_books_a_pupil_twice_on_one_half_day(queue: Queue) -> None:
    _, pupils = book_everyone(queue)

    for pupil in pupils:
        half_days = [paris_half_day(start) for start in pupil.taken]
        assert len(half_days) == len(set(half_days))


@PROPERTY_SETTINGS
@given(queues())
def test_r16_booking_a_queue_of_pupils_keeps_each_pupil_s_interviews_the_minimum_gap_apart(queue: Queue) -> None:
    _, pupils = book_everyone(queue)

    gap = timedelta(hours=queue.policy.min_gap_hours)
    for pupil in pupils:
        starts = pupil.taken
        assert all(real_gap(a, b) >= gap for i, a in enumerate(starts) for b in starts[i + 1 :])


@PROPERTY_SETTINGS
@given(queues())
def test_r15_booking_a_queue_leaves_no_pupil_waiting_while_a_fitting_slot_has_a_free_seat(queue: Queue) -> None:
    pool, pupils = book_everyone(queue)

    for pupil in pupils:
        if pupil.unbooked:
            assert not any(fits_by_hand(slot, pupil.taken, queue.now, queue.policy) for slot in pool.values())


def test_r16_two_interviews_never_start_at_the_same_moment_even_with_every_spacing_rule_off() -> None:
    policy = replace(POLICY, one_interview_per_half_day=False, min_gap_hours=0)
    start = datetime(2013, 3, 5, 9, 0, tzinfo=PARIS)
    slot = domain.Slot("s", "0931024H", start, 3)

    assert not domain.fits(slot, taken=[start], now=start - timedelta(days=10), policy=policy)
