"""Which mail, under which key, to whom, when, dropped or not (R10, R15, R19-R22, R26): notifications' pure rules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifications.domain import (
    BookedInterview,
    Mailboxes,
    MailKind,
    calendar_sequence,
    cancellation_key,
    cancellation_mailed,
    cancellation_reason,
    convocation_key,
    dropped_at_send,
    interview_to_correct,
    is_correction,
    listed_formations,
    message_id,
    overdue_key,
    planning_key,
    recap_due,
    recap_key,
    recipients,
    reminder_key,
    reminders_until,
    sent_event,
    settle_seconds,
    shortfall_key,
)

INTERVIEW = uuid.UUID("7f1c2d3e-0000-4000-8000-000000000001")
NOW = datetime(2013, 3, 1, 10, 0, tzinfo=UTC)
BOXES = Mailboxes(
    origin="ce.0941234a@ac-creteil.fr",
    referent="referent@ac-creteil.fr",
    reception="ce.0940001a@ac-creteil.fr",
    domain_receptions=("ce.0931024h@ac-creteil.fr", "ce.0940348t@ac-creteil.fr"),
    operators="saio@ac-creteil.fr",
)


def booked(
    day: int,
    *,
    state: str | None = "sent",
    cancelled: bool = False,
    codes: tuple[str, ...] = ("cap-cuisine", "cap-service"),
    interview_id: uuid.UUID = INTERVIEW,
) -> BookedInterview:
    return BookedInterview(interview_id, datetime(2013, 3, day, 9, 0, tzinfo=UTC), cancelled, codes, state)


# --- keys and Message-ID ---


def test_r19_each_mail_has_a_stable_key_per_interview() -> None:
    assert convocation_key(INTERVIEW) == "convocation:7f1c2d3e-0000-4000-8000-000000000001"
    assert convocation_key(INTERVIEW, 2) == "convocation:7f1c2d3e-0000-4000-8000-000000000001:2"
    assert cancellation_key(INTERVIEW) == "cancellation:7f1c2d3e-0000-4000-8000-000000000001"
    assert reminder_key(INTERVIEW) == "reminder:7f1c2d3e-0000-4000-8000-000000000001"
    assert recap_key(INTERVIEW) == "recap:7f1c2d3e-0000-4000-8000-000000000001"
    assert shortfall_key("hotellerie", 2, 7) == "shortfall:hotellerie:2:7"
    assert planning_key("0940001A", date(2013, 4, 2), 3) == "planning:0940001A:2013-04-02:3"


def test_r19_the_message_id_is_the_key_with_dots() -> None:
    assert message_id("convocation:abc:2") == "<convocation.abc.2@passpro.ac-creteil.fr>"


def test_r22_an_overdue_report_joins_the_reminder_still_waiting() -> None:
    assert overdue_key("0940001A", "ev-2", "overdue:0940001A:ev-1") == "overdue:0940001A:ev-1"
    assert overdue_key("0940001A", "ev-2", None) == "overdue:0940001A:ev-2"


# --- to whom ---


@pytest.mark.parametrize("kind", [MailKind.CONVOCATION, MailKind.CANCELLATION, MailKind.INTERVIEW_REMINDER])
def test_r19_r20b_interview_mails_go_to_the_origin_school_and_the_referent(kind: MailKind) -> None:
    assert recipients(kind, BOXES) == ("ce.0941234a@ac-creteil.fr", "referent@ac-creteil.fr")


def test_r26_the_recap_goes_to_the_origin_school_only() -> None:
    assert recipients(MailKind.RECAP, BOXES) == ("ce.0941234a@ac-creteil.fr",)


@pytest.mark.parametrize("kind", [MailKind.OVERDUE_REMINDER, MailKind.PLANNING])
def test_r19_r22_reception_mails_go_to_the_reception_school(kind: MailKind) -> None:
    assert recipients(kind, BOXES) == ("ce.0940001a@ac-creteil.fr",)


def test_r15_a_shortfall_goes_to_every_reception_school_of_the_domain_and_the_operators() -> None:
    assert recipients(MailKind.SHORTFALL, BOXES) == (
        "ce.0931024h@ac-creteil.fr",
        "ce.0940348t@ac-creteil.fr",
        "saio@ac-creteil.fr",
    )


@pytest.mark.parametrize("operators", [None, ""])
def test_r15_a_shortfall_goes_to_the_schools_alone_without_an_operators_mailbox(operators: str | None) -> None:
    boxes = Mailboxes(domain_receptions=("ce.0931024h@ac-creteil.fr",), operators=operators)

    assert recipients(MailKind.SHORTFALL, boxes) == ("ce.0931024h@ac-creteil.fr",)


def test_r19_a_convocation_without_the_referent_s_mailbox_is_a_defect() -> None:
    with pytest.raises(ValueError, match="referent"):
        recipients(MailKind.CONVOCATION, Mailboxes(origin="ce.0941234a@ac-creteil.fr"))


# --- what a convocation says ---


def test_r19_the_first_convocation_of_a_pupil_s_domain_has_sequence_0_and_its_cancellation_1() -> None:
    assert calendar_sequence(MailKind.CONVOCATION, other_interviews=0, mail_revision=0, interview_revision=0) == 0
    assert calendar_sequence(MailKind.CANCELLATION, other_interviews=0, mail_revision=0, interview_revision=0) == 1


def test_r19_corrections_and_later_interviews_raise_the_sequence() -> None:
    assert calendar_sequence(MailKind.CONVOCATION, other_interviews=0, mail_revision=2, interview_revision=2) == 2
    assert calendar_sequence(MailKind.CANCELLATION, other_interviews=0, mail_revision=0, interview_revision=2) == 3
    assert calendar_sequence(MailKind.CONVOCATION, other_interviews=1, mail_revision=0, interview_revision=0) == 2
    assert calendar_sequence(MailKind.CANCELLATION, other_interviews=1, mail_revision=0, interview_revision=1) == 4


@given(others=st.integers(0, 20), corrections=st.integers(0, 20))
def test_r19_an_interview_s_cancellation_comes_after_its_convocation_and_every_correction(
    others: int, corrections: int
) -> None:
    cancel = calendar_sequence(
        MailKind.CANCELLATION, other_interviews=others, mail_revision=0, interview_revision=corrections
    )
    sent = [
        calendar_sequence(
            MailKind.CONVOCATION, other_interviews=others, mail_revision=revision, interview_revision=corrections
        )
        for revision in range(corrections + 1)
    ]

    assert sent == sorted(set(sent))
    assert all(sequence < cancel for sequence in sent)


def test_r19_r20_only_a_later_revision_of_a_convocation_is_a_correction() -> None:
    assert not is_correction(MailKind.CONVOCATION, 0)
    assert is_correction(MailKind.CONVOCATION, 1)
    assert not is_correction(MailKind.CANCELLATION, 1)
    assert not is_correction(MailKind.INTERVIEW_REMINDER, 0)


def test_r20_a_convocation_lists_the_formations_still_applied_for_and_those_registered_after_booking() -> None:
    listed = listed_formations(
        MailKind.CONVOCATION,
        ["cap-cuisine", "cap-service"],
        {"cap-cuisine": False, "cap-service": True, "bac-pro-crsr": False},
    )

    assert listed == ("cap-cuisine", "bac-pro-crsr")


def test_r20_a_formation_the_mail_s_facts_do_not_know_yet_stays_listed() -> None:
    assert listed_formations(MailKind.INTERVIEW_REMINDER, ["cap-cuisine"], {}) == ("cap-cuisine",)


def test_r10_with_every_formation_withdrawn_no_convocation_goes_the_cancellation_does() -> None:
    assert listed_formations(MailKind.CONVOCATION, ["cap-cuisine"], {"cap-cuisine": True}) is None


def test_r10_a_cancellation_shows_the_interview_as_it_was_booked() -> None:
    assert listed_formations(
        MailKind.CANCELLATION, ["cap-cuisine", "cap-service"], {"cap-cuisine": True, "cap-service": True}
    ) == ("cap-cuisine", "cap-service")


def test_r10_a_cancellation_gives_scheduling_s_reason_or_none() -> None:
    assert cancellation_reason("slot_cancelled") == "slot_cancelled"
    assert cancellation_reason(None) == ""


def test_r19_r26_only_a_first_convocation_and_a_recap_are_announced() -> None:
    assert sent_event(MailKind.CONVOCATION, 0) == "convocation_sent"
    assert sent_event(MailKind.CONVOCATION, 1) is None
    assert sent_event(MailKind.RECAP, 0) == "recap_sent"
    for kind in (
        MailKind.CANCELLATION,
        MailKind.INTERVIEW_REMINDER,
        MailKind.OVERDUE_REMINDER,
        MailKind.PLANNING,
        MailKind.SHORTFALL,
    ):
        assert sent_event(kind, 0) is None


# --- when, dropped or not ---


def test_r22_r26_the_recap_and_the_overdue_reminder_wait_two_seconds_the_others_go_at_once() -> None:
    assert settle_seconds(MailKind.RECAP) == 2.0
    assert settle_seconds(MailKind.OVERDUE_REMINDER) == 2.0
    for kind in (
        MailKind.CONVOCATION,
        MailKind.CANCELLATION,
        MailKind.INTERVIEW_REMINDER,
        MailKind.PLANNING,
        MailKind.SHORTFALL,
    ):
        assert settle_seconds(kind) == 0.0


def test_r21_r26_an_absence_gets_no_recap() -> None:
    assert recap_due(True)
    assert not recap_due(False)


def test_r20b_reminders_cover_the_next_reminder_days() -> None:
    assert reminders_until(NOW, 2) == datetime(2013, 3, 3, 10, 0, tzinfo=UTC)


def test_r19_r20_a_withdrawal_corrects_the_convocation_that_left() -> None:
    assert interview_to_correct(1, "cap-service", [booked(12, state="sent")], NOW) == INTERVIEW
    assert interview_to_correct(1, "cap-service", [booked(12, state="sending")], NOW) == INTERVIEW


@pytest.mark.parametrize("state", ["pending", "dropped", None])
def test_r20_a_convocation_that_has_not_left_is_not_corrected(state: str | None) -> None:
    assert interview_to_correct(1, "cap-service", [booked(12, state=state)], NOW) is None


def test_r10_a_withdrawal_leaving_nothing_in_the_domain_corrects_nothing() -> None:
    assert interview_to_correct(0, "cap-service", [booked(12)], NOW) is None


def test_r19_no_correction_for_a_cancelled_or_started_interview_or_one_without_the_formation() -> None:
    assert interview_to_correct(1, "cap-service", [booked(12, cancelled=True)], NOW) is None
    assert interview_to_correct(1, "cap-service", [booked(1)], NOW) is None  # started at 09:00, now 10:00
    assert interview_to_correct(1, "bac-pro-crsr", [booked(12)], NOW) is None


def test_r19_the_latest_interview_of_the_domain_is_the_one_corrected() -> None:
    later = uuid.UUID("7f1c2d3e-0000-4000-8000-000000000002")

    found = interview_to_correct(1, "cap-service", [booked(12), booked(20, interview_id=later)], NOW)

    assert found == later


def test_r10_r19_a_cancellation_is_mailed_once_the_first_convocation_left() -> None:
    assert cancellation_mailed([])
    assert cancellation_mailed([1, 2])  # only corrections were still waiting


def test_r10_r19_no_cancellation_when_the_first_convocation_was_still_waiting() -> None:
    assert not cancellation_mailed([0])
    assert not cancellation_mailed([0, 1])


def test_r10_r19_a_convocation_or_reminder_of_an_interview_cancelled_meanwhile_is_dropped_at_send() -> None:
    assert dropped_at_send(MailKind.CONVOCATION, interview_cancelled=True, first_convocation_went_out=False)
    assert dropped_at_send(MailKind.INTERVIEW_REMINDER, interview_cancelled=True, first_convocation_went_out=True)
    assert not dropped_at_send(MailKind.CONVOCATION, interview_cancelled=False, first_convocation_went_out=False)
    assert not dropped_at_send(MailKind.RECAP, interview_cancelled=True, first_convocation_went_out=True)


def test_r10_r19_a_cancellation_goes_only_when_the_family_got_the_convocation() -> None:
    assert not dropped_at_send(MailKind.CANCELLATION, interview_cancelled=True, first_convocation_went_out=True)
    assert dropped_at_send(MailKind.CANCELLATION, interview_cancelled=True, first_convocation_went_out=False)
