"""Notifications' rules for events that come out of order and for the same mail twice (R10, R15, R19, R26)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from services.notifications.domain import (
    MailKind,
    booking_mailed,
    content_digest,
    content_subject,
    same_as_last,
)


@dataclass(frozen=True)
class Sheet:
    """A stand-in for a recap sheet's frozen model: what its text and attachment are made from."""

    pupil: str
    reports: tuple[tuple[str, str], ...]


BOTH_DOMAINS = Sheet("0168000122F", (("metallerie", "Très motivé."), ("tapisserie-ameublement", "Curieux.")))
ORIGIN, REFERENT = "ce.0930122C@ac-creteil.fr", "referent@example.org"


def test_r10_r19_a_booking_whose_cancellation_came_first_asks_for_no_convocation() -> None:
    assert booking_mailed(cancelled_first=True, reported_first=False) is False


def test_r19_r20b_a_booking_whose_report_came_first_asks_for_no_convocation_the_interview_took_place() -> None:
    assert booking_mailed(cancelled_first=False, reported_first=True) is False


def test_r19_a_booking_neither_cancelled_nor_reported_asks_for_its_convocation() -> None:
    assert booking_mailed(cancelled_first=False, reported_first=False) is True


def test_r26_recap_sheets_are_compared_per_pupil_and_shortfall_mails_per_domain() -> None:
    assert content_subject(MailKind.RECAP, "0168000122F", "metallerie") == "recap:0168000122F"
    assert content_subject(MailKind.SHORTFALL, None, "metallerie") == "shortfall:metallerie"


def test_r19_other_mails_are_never_compared_by_content() -> None:
    for kind in (
        MailKind.CONVOCATION,
        MailKind.CANCELLATION,
        MailKind.INTERVIEW_REMINDER,
        MailKind.PLANNING,
        MailKind.OVERDUE_REMINDER,
    ):
        assert content_subject(kind, "0168000122F", "metallerie") is None


def test_r26_two_recaps_built_from_the_same_facts_for_the_same_recipients_have_one_digest() -> None:
    first = content_digest([ORIGIN, REFERENT], BOTH_DOMAINS)
    again = content_digest([REFERENT, ORIGIN], Sheet(BOTH_DOMAINS.pupil, tuple(BOTH_DOMAINS.reports)))

    assert first == again


def test_r26_a_recap_that_says_something_else_or_goes_to_someone_else_has_another_digest() -> None:
    first = content_digest([ORIGIN], BOTH_DOMAINS)
    one_domain = Sheet(BOTH_DOMAINS.pupil, BOTH_DOMAINS.reports[:1])

    assert content_digest([ORIGIN], one_domain) != first
    assert content_digest([ORIGIN, REFERENT], BOTH_DOMAINS) != first


def test_r26_a_second_recap_saying_what_the_last_one_said_is_dropped() -> None:
    assert same_as_last(("d1", "recap:interview-1"), "d1", "recap:interview-2") is True


def test_r26_a_recap_tried_again_after_a_failed_send_is_not_its_own_duplicate() -> None:
    assert same_as_last(("d1", "recap:interview-1"), "d1", "recap:interview-1") is False


def test_r26_the_first_recap_of_a_pupil_and_a_changed_one_go() -> None:
    assert same_as_last(None, "d1", "recap:interview-1") is False
    assert same_as_last(("d1", "recap:interview-1"), "d2", "recap:interview-2") is False


@given(st.text(min_size=1), st.text(min_size=1), st.text(min_size=1))
def test_r15_r26_only_the_same_digest_under_another_key_is_a_duplicate(digest: str, key: str, other: str) -> None:
    assert same_as_last((digest, key), digest, other) is (key != other)
    assert same_as_last((digest + "x", key), digest, other) is False
