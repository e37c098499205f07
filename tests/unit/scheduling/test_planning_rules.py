"""Scheduling's pure planning rules: R14 (planning closes), slot cancellation, R17/R21 (no interview possible)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scheduling import domain
from tests.unit.scheduling.one_domain import choose_slot

PARIS = ZoneInfo("Europe/Paris")

# UAIs computed by hand: "ABCDEFGHJKLMNPRSTUVWXYZ"[7-digit number mod 23].
CAREME = "0940115P"  # hôtellerie reception school (094): 940115 % 23 == 13
BRIAND = "0930830X"  # métallerie reception school only (093): 930830 % 23 == 22
ORIGIN_SCHOOL = "0941234F"  # a collège (094): 941234 % 23 == 5
HOTELLERIE = "hotellerie-restauration"
PLANNING_ENDS_ON = date(2013, 4, 3)
INTERVIEWS_END_ON = date(2013, 4, 17)

POLICY = domain.Policy(
    tz=PARIS,
    planning_ends_on=PLANNING_ENDS_ON,
    interviews_start_on=date(2013, 2, 11),
    interviews_end_on=INTERVIEWS_END_ON,
    convocation_notice_days=5,
    one_interview_per_half_day=True,
    min_gap_hours=0,
    reception_uais={HOTELLERIE: frozenset({CAREME}), "metallerie": frozenset({BRIAND})},
)
SLOT = domain.NewSlot(starts_at=datetime(2013, 4, 10, 9, 0, tzinfo=PARIS), duration_minutes=30, capacity=2)


def declare(today: date, *, actor_uai: str = CAREME, domain_code: str = HOTELLERIE) -> None:
    domain.check_declaration(actor_uai=actor_uai, domain_code=domain_code, slots=[SLOT], today=today, policy=POLICY)


def cancel(today: date, *, actor_uai: str = CAREME, domain_code: str = HOTELLERIE) -> None:
    domain.check_cancellation(actor_uai=actor_uai, domain_code=domain_code, today=today, policy=POLICY)


def request_at(now: datetime, *, missed: bool = True) -> None:
    domain.check_new_interview_request(
        ine="1234567890A",
        domain_code=HOTELLERIE,
        actor_uai=ORIGIN_SCHOOL,
        origin_uai=ORIGIN_SCHOOL,
        active_formations=1,
        missed=missed,
        now=now,
        policy=POLICY,
    )


# --- R14: planning closes after planning_ends_on ---------------------------------------------------------------


def test_r14_slots_may_be_declared_on_the_last_planning_day() -> None:
    assert declare(PLANNING_ENDS_ON) is None


def test_r14_slots_declared_the_day_after_planning_ends_are_refused_as_outside_planning_window() -> None:
    with pytest.raises(domain.OutsidePlanningWindowError) as refused:
        declare(PLANNING_ENDS_ON + timedelta(days=1))

    assert refused.value.reason == "outside_planning_window"
    assert refused.value.field == "domain_code"
    assert "03/04/2013" in refused.value.message


def test_r14_the_school_s_authorisation_is_checked_before_the_planning_window() -> None:
    with pytest.raises(domain.UnauthorizedError):
        declare(date(2013, 4, 10), actor_uai=BRIAND)


def test_r14_an_unknown_domain_is_reported_before_the_planning_window() -> None:
    with pytest.raises(domain.UnknownDomainError):
        declare(date(2013, 4, 10), domain_code="astrophysique")


def test_r14_planning_is_judged_on_the_campaign_date_not_the_utc_one() -> None:
    # 23:30 UTC on 3 April is already 4 April in Paris (summer time): planning is over.
    late_evening = datetime(2013, 4, 3, 23, 30, tzinfo=UTC)

    with pytest.raises(domain.OutsidePlanningWindowError):
        declare(late_evening.astimezone(POLICY.tz).date())


# --- R14, R12: cancelling slots ----------------------------------------------------------------------------------


def test_r14_a_reception_school_of_the_domain_may_cancel_slots_on_the_last_planning_day() -> None:
    assert cancel(PLANNING_ENDS_ON) is None


def test_r14_a_cancellation_after_planning_ends_is_refused_as_outside_planning_window() -> None:
    with pytest.raises(domain.OutsidePlanningWindowError) as refused:
        cancel(PLANNING_ENDS_ON + timedelta(days=1))

    assert "annuler" in refused.value.message


def test_r12_a_school_that_does_not_serve_the_domain_may_not_cancel_its_slots() -> None:
    with pytest.raises(domain.UnauthorizedError) as refused:
        cancel(date(2013, 3, 1), actor_uai=BRIAND)

    assert refused.value.field == "actor_uai"


def test_r14_cancelling_in_a_domain_outside_the_campaign_is_refused_as_unknown_domain() -> None:
    with pytest.raises(domain.UnknownDomainError):
        cancel(date(2013, 3, 1), domain_code="astrophysique")


def test_r14_cancelling_slots_the_school_declared_is_accepted_whatever_the_offset_written() -> None:
    declared = [datetime(2013, 4, 2, 9, 0, tzinfo=PARIS), datetime(2013, 4, 2, 14, 0, tzinfo=PARIS)]
    # 07:00 UTC is 09:00 in Paris on 2 April (summer time, R20c).
    requested = [datetime(2013, 4, 2, 7, 0, tzinfo=UTC), declared[1]]

    assert domain.check_slots_declared(requested=requested, declared=declared, policy=POLICY) is None


def test_r14_an_instant_naming_no_declared_slot_refuses_the_whole_cancellation_as_unknown_slot() -> None:
    declared = [datetime(2013, 4, 2, 9, 0, tzinfo=PARIS)]
    requested = [declared[0], datetime(2013, 4, 2, 10, 0, tzinfo=PARIS)]

    with pytest.raises(domain.UnknownSlotError) as refused:
        domain.check_slots_declared(requested=requested, declared=declared, policy=POLICY)

    assert refused.value.reason == "unknown_slot"
    assert refused.value.field == "starts_at.1"
    assert "02/04/2013 à 10h00" in refused.value.message


# --- R17, R21: a new interview only while one can still be convoked -----------------------------------------------


def test_r17_a_new_interview_may_be_asked_while_the_last_day_is_still_the_notice_period_ahead() -> None:
    assert request_at(datetime(2013, 4, 12, 18, 0, tzinfo=PARIS)) is None


def test_r17_a_new_interview_asked_when_the_notice_period_passes_the_last_day_is_no_interview_possible() -> None:
    with pytest.raises(domain.NoInterviewPossibleError) as refused:
        request_at(datetime(2013, 4, 13, 0, 0, tzinfo=PARIS))

    assert refused.value.reason == "no_interview_possible"
    assert refused.value.field == "domain_code"
    assert "17/04/2013" in refused.value.message and "5 jours" in refused.value.message


def test_r21_after_the_window_the_request_stays_outside_interview_window() -> None:
    with pytest.raises(domain.OutsideInterviewWindowError):
        request_at(datetime(2013, 4, 18, 9, 0, tzinfo=PARIS))


def test_r17_no_interview_possible_is_reported_before_the_absence_of_a_missed_interview() -> None:
    with pytest.raises(domain.NoInterviewPossibleError):
        request_at(datetime(2013, 4, 14, 9, 0, tzinfo=PARIS), missed=False)


@given(st.datetimes(min_value=datetime(2013, 2, 4), max_value=datetime(2013, 4, 17, 23, 59)))
def test_r17_a_request_is_refused_as_no_interview_possible_exactly_when_no_slot_far_enough_ahead_can_exist(
    local: datetime,
) -> None:
    now = local.replace(tzinfo=PARIS)
    # A slot can start any time before the midnight that ends the window's last day.
    window_closes = datetime.combine(INTERVIEWS_END_ON + timedelta(days=1), time(0), PARIS)
    convocable = now + timedelta(days=5) < window_closes

    try:
        request_at(now)
        refused = False
    except domain.NoInterviewPossibleError:
        refused = True

    assert refused == (not convocable)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (domain.OutsidePlanningWindowError, "outside_planning_window"),
        (domain.NoInterviewPossibleError, "no_interview_possible"),
        (domain.UnknownSlotError, "unknown_slot"),
    ],
)
def test_the_new_scheduling_errors_carry_their_public_reason(error: type[domain.SchedulingError], reason: str) -> None:
    assert error("Message.", "field").reason == reason


def test_r14_a_cancelled_slot_is_never_chosen_even_with_free_seats() -> None:
    now = datetime(2013, 3, 1, 9, 0, tzinfo=PARIS)
    closed = domain.Slot("a", CAREME, datetime(2013, 3, 11, 9, 0, tzinfo=PARIS), 3, cancelled=True)
    later = domain.Slot("b", CAREME, datetime(2013, 3, 12, 9, 0, tzinfo=PARIS), 1)

    chosen = choose_slot([closed, later], origin_uai=ORIGIN_SCHOOL, taken=[], now=now, policy=POLICY)

    assert chosen == later
