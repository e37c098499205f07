"""Notifications' rules for reception schools: when the planning sheet goes out or is re-issued (R14, R19), when a
shortfall is told (R15)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from services.notifications.domain import (
    PlanningEntry,
    PlanningFormation,
    SheetRecord,
    planning_days_due,
    planning_decision,
    planning_due_at,
    planning_fingerprint,
    planning_order,
    shortfall_count_stale,
    shortfall_episode_over,
    shortfall_mail_due,
)

PARIS = ZoneInfo("Europe/Paris")


def entry(interview_id: str = "i1", hour: int = 9, last: str = "Martin", comment: str = "Motivée") -> PlanningEntry:
    start = datetime(2013, 4, 2, hour, 0, tzinfo=PARIS)
    return PlanningEntry(
        interview_id,
        start,
        start + timedelta(minutes=30),
        "hotellerie-restauration",
        "Salle 12",
        "Inès",
        last,
        "0930122C",
        (PlanningFormation("cap-cuisine", "favorable", comment),),
    )


def test_r19_the_sheet_of_a_day_is_due_the_day_before_at_four_in_the_afternoon_campaign_time() -> None:
    assert planning_due_at(date(2013, 4, 2), 1, PARIS) == datetime(2013, 4, 1, 14, 0, tzinfo=UTC)  # CEST
    assert planning_due_at(date(2013, 3, 12), 1, PARIS) == datetime(2013, 3, 11, 15, 0, tzinfo=UTC)  # CET
    assert planning_due_at(date(2013, 3, 12), 3, PARIS) == datetime(2013, 3, 9, 15, 0, tzinfo=UTC)


def test_r19_before_four_only_today_is_due_and_from_four_tomorrow_too() -> None:
    assert planning_days_due(datetime(2013, 3, 11, 15, 59, tzinfo=PARIS), 1, PARIS) == (date(2013, 3, 11),)
    assert planning_days_due(datetime(2013, 3, 11, 16, 0, tzinfo=PARIS), 1, PARIS) == (
        date(2013, 3, 11),
        date(2013, 3, 12),
    )


def test_r20c_days_are_those_of_the_campaign_timezone_whatever_the_offset_of_now() -> None:
    # 23:30 UTC on 11 March is already 00:30 on 12 March in Paris: 13 March's sheet is not due before 16:00.
    assert planning_days_due(datetime(2013, 3, 11, 23, 30, tzinfo=UTC), 1, PARIS) == (date(2013, 3, 12),)


def test_r19_with_no_notice_the_sheet_of_a_day_goes_out_at_four_that_day() -> None:
    assert planning_days_due(datetime(2013, 3, 11, 10, 0, tzinfo=PARIS), 0, PARIS) == ()
    assert planning_days_due(datetime(2013, 3, 11, 16, 0, tzinfo=PARIS), 0, PARIS) == (date(2013, 3, 11),)


def test_r19_a_first_sheet_goes_out_for_a_day_with_interviews_and_none_for_an_empty_day() -> None:
    assert planning_decision(None, "abc", has_entries=True).send
    assert not planning_decision(None, "abc", has_entries=True).updated
    assert not planning_decision(None, "abc", has_entries=False).send


def test_r19_an_unchanged_list_sends_nothing_again() -> None:
    last = SheetRecord("abc", pending=False, any_sent=True)
    assert planning_decision(last, "abc", has_entries=True) == planning_decision(None, "x", has_entries=False)


def test_r19_a_list_changed_after_the_sheet_went_out_sends_an_updated_sheet() -> None:
    decision = planning_decision(SheetRecord("abc", pending=False, any_sent=True), "def", has_entries=True)
    assert (decision.send, decision.updated, decision.drop_pending) == (True, True, False)


def test_r19_a_sheet_not_yet_sent_is_replaced_not_followed() -> None:
    decision = planning_decision(SheetRecord("abc", pending=True, any_sent=False), "def", has_entries=True)
    assert (decision.send, decision.updated, decision.drop_pending) == (True, False, True)


def test_r19_a_day_emptied_after_its_sheet_went_out_gets_an_updated_sheet_saying_so() -> None:
    decision = planning_decision(SheetRecord("abc", pending=False, any_sent=True), "empty", has_entries=False)
    assert (decision.send, decision.updated) == (True, True)


def test_r19_a_day_emptied_before_its_sheet_went_out_gets_none_and_the_waiting_one_is_dropped() -> None:
    decision = planning_decision(SheetRecord("abc", pending=True, any_sent=False), "empty", has_entries=False)
    assert (decision.send, decision.drop_pending) == (False, True)


def test_r19_the_sheet_lists_interviews_in_time_order() -> None:
    late, early = entry("i1", hour=11), entry("i2", hour=9)
    assert [e.interview_id for e in planning_order([late, early])] == ["i2", "i1"]


@given(st.permutations([entry("a", 9), entry("b", 10, "Aubert"), entry("c", 10, "Zola"), entry("d", 14)]))
def test_r19_the_digest_does_not_depend_on_the_order_the_interviews_were_read_in(entries: list[PlanningEntry]) -> None:
    assert planning_fingerprint(entries) == planning_fingerprint(sorted(entries, key=lambda e: e.interview_id))


def test_r8_r19_a_changed_comment_of_the_origin_school_changes_the_sheet() -> None:
    assert planning_fingerprint([entry(comment="Motivée")]) != planning_fingerprint([entry(comment="Très motivée")])


def test_r15_a_shortfall_is_told_at_the_start_of_its_episode() -> None:
    assert shortfall_mail_due(None, 1)
    assert not shortfall_mail_due(None, 0)


def test_r15_a_shortfall_is_told_again_only_when_it_grew_by_half() -> None:
    assert not shortfall_mail_due(10, 14)
    assert shortfall_mail_due(10, 15)
    assert not shortfall_mail_due(10, 3)
    assert not shortfall_mail_due(3, 4)
    assert shortfall_mail_due(2, 3)


@given(st.integers(min_value=1, max_value=10_000), st.integers(min_value=0, max_value=20_000))
def test_r15_told_again_exactly_when_the_count_reached_one_and_a_half_times_the_last_told(
    told: int, waiting: int
) -> None:
    assert shortfall_mail_due(told, waiting) == (waiting > 0 and waiting / told >= 1.5)


def test_r15_the_episode_ends_when_nobody_waits() -> None:
    assert shortfall_episode_over(0)
    assert not shortfall_episode_over(1)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=30)),
)
def test_r15_a_shortfall_count_published_before_the_last_one_applied_is_stale(
    applied: datetime, earlier: timedelta
) -> None:
    assert shortfall_count_stale(applied, applied - earlier)
    assert shortfall_count_stale(applied, applied)  # the same instant: not newer than what is known
    assert not shortfall_count_stale(applied - earlier, applied)


def test_r15_the_first_shortfall_count_of_a_domain_is_never_stale() -> None:
    assert not shortfall_count_stale(None, datetime(2013, 2, 12, 8, 0, tzinfo=UTC))
