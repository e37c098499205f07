"""Enrollment's record of an interview whatever the order of its events (R9, R10, R21)."""

from __future__ import annotations

import itertools

import pytest

from services.enrollment.domain import interview_status


def test_r10_a_booking_arriving_after_its_cancellation_leaves_it_cancelled() -> None:
    assert interview_status("cancelled", "booked") == "cancelled"


def test_r9_a_booking_arriving_after_its_report_leaves_it_reported() -> None:
    assert interview_status("attended", "booked") == "attended"
    assert interview_status("absent", "booked") == "absent"


def test_r21_a_cancellation_arriving_after_the_report_leaves_it_reported() -> None:
    assert interview_status("attended", "cancelled") == "attended"


def test_r10_r21_in_the_usual_order_each_event_moves_the_status_on() -> None:
    assert interview_status(None, "booked") == "booked"
    assert interview_status("booked", "cancelled") == "cancelled"
    assert interview_status("booked", "absent") == "absent"


@pytest.mark.parametrize("final", ["attended", "absent"])
def test_r9_r21_booked_then_reported_ends_reported_in_either_order(final: str) -> None:
    for order in itertools.permutations(["booked", final]):
        status = None
        for arriving in order:
            status = interview_status(status, arriving)
        assert status == final


def test_r10_booked_then_cancelled_ends_cancelled_in_either_order() -> None:
    for order in itertools.permutations(["booked", "cancelled"]):
        status = None
        for arriving in order:
            status = interview_status(status, arriving)
        assert status == "cancelled"
