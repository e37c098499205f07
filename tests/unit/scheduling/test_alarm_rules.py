"""Scheduling's alarm: pupils registered in time who still wait as the interview window closes (R15, R17)."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from services.scheduling import domain

PARIS = ZoneInfo("Europe/Paris")
WINDOW_START, WINDOW_END = date(2013, 2, 11), date(2013, 4, 17)
LAST_BOOKING_DAY = date(2013, 4, 12)
"""17 April, the last interview day, minus the 5 days' notice: worked out by hand."""

POLICY = domain.Policy(
    tz=PARIS,
    planning_ends_on=date(2013, 4, 3),
    interviews_start_on=WINDOW_START,
    interviews_end_on=WINDOW_END,
    convocation_notice_days=5,
    one_interview_per_half_day=True,
    min_gap_hours=0,
    reception_uais={"hotellerie-restauration": frozenset({"0940115P"})},
)


def paris(month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(2013, month, day, hour, minute, tzinfo=PARIS)


def test_r17_the_last_booking_day_is_the_last_interview_day_minus_the_notice() -> None:
    assert domain.last_booking_day(paris(3, 1), POLICY) == LAST_BOOKING_DAY
    assert domain.last_booking_day(paris(4, 12, 23, 59), POLICY) == LAST_BOOKING_DAY


def test_r17_no_day_remains_to_book_from_the_day_after_the_last_booking_day() -> None:
    assert domain.last_booking_day(paris(4, 13, 0, 0), POLICY) is None
    assert domain.last_booking_day(paris(4, 20), POLICY) is None


@given(
    notice=st.integers(min_value=0, max_value=20),
    length=st.integers(min_value=0, max_value=80),
    offset=st.integers(min_value=-40, max_value=120),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
)
def test_r17_the_last_booking_day_is_the_last_day_a_booking_still_reaches_the_window(
    notice: int, length: int, offset: int, minute: int
) -> None:
    end = WINDOW_START + timedelta(days=length)
    policy = replace(POLICY, interviews_end_on=end, convocation_notice_days=notice)
    today = WINDOW_START + timedelta(days=offset)
    now = datetime.combine(today, time(minute // 60, minute % 60), tzinfo=PARIS)

    last = domain.last_booking_day(now, policy)

    # Booking today, the first interview day is today + notice (or the window's start): it must be in the window.
    bookable = max(today + timedelta(days=notice), WINDOW_START) <= end
    assert last == (end - timedelta(days=notice) if bookable else None)
    assert (last is not None) == domain.interviews_still_possible(now, policy)


def test_r15_the_alarm_holds_from_alarm_days_before_the_last_booking_day() -> None:
    waiting = {"hotellerie-restauration": 7}

    before = domain.interviews_at_risk(waiting, now=paris(4, 8, 23, 59), policy=POLICY, alarm_days=3)
    from_then = domain.interviews_at_risk(waiting, now=paris(4, 9, 0, 0), policy=POLICY, alarm_days=3)

    assert before == []
    assert from_then == [domain.InterviewsAtRisk("hotellerie-restauration", 7, LAST_BOOKING_DAY)]


def test_r15_r17_once_no_day_remains_the_alarm_says_the_pupils_can_no_longer_be_received() -> None:
    alarms = domain.interviews_at_risk({"hotellerie-restauration": 2}, now=paris(4, 13), policy=POLICY, alarm_days=3)

    assert alarms == [domain.InterviewsAtRisk("hotellerie-restauration", 2, None)]


def test_r15_with_alarm_days_0_the_alarm_holds_on_the_last_booking_day_only_then_after_it() -> None:
    waiting = {"hotellerie-restauration": 1}

    held = [
        day
        for day in range(8, 15)
        if domain.interviews_at_risk(waiting, now=paris(4, day, 12), policy=POLICY, alarm_days=0)
    ]

    assert held == [12, 13, 14]


def test_r15_a_domain_where_nobody_waits_raises_no_alarm() -> None:
    alarms = domain.interviews_at_risk(
        {"ebenisterie": 0, "hotellerie-restauration": 3}, now=paris(4, 10), policy=POLICY, alarm_days=3
    )

    assert [a.domain_code for a in alarms] == ["hotellerie-restauration"]


@given(
    alarm_days=st.integers(min_value=0, max_value=30),
    offset=st.integers(min_value=-60, max_value=60),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    waiting=st.integers(min_value=1, max_value=500),
)
def test_r15_r17_the_alarm_holds_exactly_from_alarm_days_before_the_last_booking_day_and_ever_after(
    alarm_days: int, offset: int, minute: int, waiting: int
) -> None:
    today = LAST_BOOKING_DAY + timedelta(days=offset)
    now = datetime.combine(today, time(minute // 60, minute % 60), tzinfo=PARIS)

    alarms = domain.interviews_at_risk({"ebenisterie": waiting}, now=now, policy=POLICY, alarm_days=alarm_days)

    holds = offset >= -alarm_days
    assert bool(alarms) == holds
    if holds:
        assert alarms == [domain.InterviewsAtRisk("ebenisterie", waiting, None if offset > 0 else LAST_BOOKING_DAY)]


def test_r6_r15_registration_closes_when_the_deadline_day_ends_in_campaign_time() -> None:
    closes = domain.registration_closes_at(date(2013, 3, 29), PARIS)

    # 29 March 2013 is still winter time in Paris (UTC+1): the day ends at 23:00 UTC.
    assert closes == datetime.fromisoformat("2013-03-30T00:00:00+01:00")
    assert paris(3, 29, 23, 59) < closes <= paris(3, 30, 0, 0)
