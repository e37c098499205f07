"""Which second copy of a mail the fault run calls SMTP's window (the sender killed after a 250, before its
record) rather than a duplicate: only one a kill of the sender explains, soon after the first copy."""

from __future__ import annotations

from tools.faults.checks import RESEND_WINDOW, killed_after_250


def test_a_kill_between_the_two_copies_soon_after_the_first_explains_the_second() -> None:
    assert killed_after_250([100.0, 230.0], [100.25]) == 0.25


def test_no_kill_or_a_kill_elsewhere_leaves_the_second_copy_a_duplicate() -> None:
    assert killed_after_250([100.0, 230.0], []) is None
    assert killed_after_250([100.0, 230.0], [99.0]) is None  # before the first copy
    assert killed_after_250([100.0, 230.0], [231.0]) is None  # after the second


def test_a_kill_long_after_the_first_copy_is_not_the_window() -> None:
    assert killed_after_250([100.0, 230.0], [100.0 + RESEND_WINDOW + 1]) is None


def test_three_copies_are_never_the_window() -> None:
    assert killed_after_250([100.0, 101.0, 230.0], [100.5]) is None
