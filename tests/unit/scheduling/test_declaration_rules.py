"""Scheduling's pure declaration rules: R14 (slot declarations) and R21 (a new interview after an absence)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.scheduling import domain

PARIS = ZoneInfo("Europe/Paris")

# UAIs computed by hand: "ABCDEFGHJKLMNPRSTUVWXYZ"[7-digit number mod 23].
CAREME = "0940115P"  # hôtellerie reception school, Val-de-Marne (094): 940115 % 23 == 13
ESCOFFIER = "0771123C"  # hôtellerie reception school, Seine-et-Marne (077): 771123 % 23 == 2
PAGNOL = "0931155A"  # hôtellerie reception school, Seine-Saint-Denis (093): 931155 % 23 == 0
BRIAND = "0930830X"  # métallerie reception school only, Seine-Saint-Denis (093): 930830 % 23 == 22
ORIGIN_SCHOOL = "0941234F"  # a collège, Val-de-Marne (094): 941234 % 23 == 5
OTHER_ORIGIN_SCHOOL = "0931234L"  # another collège, Seine-Saint-Denis (093): 931234 % 23 == 10

HOTELLERIE = "hotellerie-restauration"
METALLERIE = "metallerie"
INE = "1234567890A"

POLICY = domain.Policy(
    tz=PARIS,
    planning_ends_on=date(2013, 4, 3),
    interviews_start_on=date(2013, 2, 11),
    interviews_end_on=date(2013, 4, 17),
    convocation_notice_days=5,
    one_interview_per_half_day=True,
    min_gap_hours=0,
    reception_uais={
        HOTELLERIE: frozenset({CAREME, ESCOFFIER, PAGNOL}),
        METALLERIE: frozenset({BRIAND}),
    },
)


def a_slot(starts_at: datetime, duration_minutes: int = 60, capacity: int = 2) -> domain.NewSlot:
    return domain.NewSlot(starts_at=starts_at, duration_minutes=duration_minutes, capacity=capacity)


def declare(
    *slots: domain.NewSlot,
    actor_uai: str = CAREME,
    domain_code: str = HOTELLERIE,
    policy: domain.Policy = POLICY,
    today: date = date(2013, 2, 4),
) -> None:
    domain.check_declaration(
        actor_uai=actor_uai, domain_code=domain_code, slots=list(slots), today=today, policy=policy
    )


def request_new_interview(
    *,
    ine: str = INE,
    domain_code: str = HOTELLERIE,
    actor_uai: str = ORIGIN_SCHOOL,
    origin_uai: str | None = ORIGIN_SCHOOL,
    active_formations: int = 1,
    missed: bool = True,
    today: date = date(2013, 3, 20),
    at: time = time(10, 0),
) -> None:
    domain.check_new_interview_request(
        ine=ine,
        domain_code=domain_code,
        actor_uai=actor_uai,
        origin_uai=origin_uai,
        active_formations=active_formations,
        missed=missed,
        now=datetime.combine(today, at, PARIS),
        policy=POLICY,
    )


# --- R14: declaring slots -------------------------------------------------------------------------------


def test_r14_a_reception_school_declares_slots_for_a_domain_it_serves_inside_the_window() -> None:
    slots = (a_slot(datetime(2013, 3, 12, 9, 0, tzinfo=PARIS)), a_slot(datetime(2013, 4, 2, 14, 0, tzinfo=PARIS)))

    result = declare(*slots)

    assert result is None


def test_r14_a_declaration_without_slots_is_accepted_for_a_domain_the_school_serves() -> None:
    result = declare()

    assert result is None


def test_r14_declaring_for_a_domain_outside_the_campaign_is_refused_as_unknown_domain() -> None:
    with pytest.raises(domain.UnknownDomainError) as refused:
        declare(a_slot(datetime(2013, 3, 12, 9, 0, tzinfo=PARIS)), domain_code="astrophysique")

    assert refused.value.reason == "unknown_domain"
    assert refused.value.field == "domain_code"


def test_r14_an_unknown_domain_is_reported_before_the_school_s_authorisation() -> None:
    with pytest.raises(domain.UnknownDomainError):
        declare(a_slot(datetime(2013, 3, 12, 9, 0, tzinfo=PARIS)), actor_uai=ORIGIN_SCHOOL, domain_code="astrophysique")


def test_r14_the_unknown_domain_message_cuts_a_very_long_code_to_64_characters() -> None:
    with pytest.raises(domain.UnknownDomainError) as refused:
        declare(domain_code="x" * 500)

    assert "x" * 64 in refused.value.message
    assert "x" * 65 not in refused.value.message


def test_r14_a_school_that_does_not_serve_the_domain_is_refused_as_unauthorized() -> None:
    with pytest.raises(domain.UnauthorizedError) as refused:
        declare(a_slot(datetime(2013, 3, 12, 9, 0, tzinfo=PARIS)), actor_uai=BRIAND, domain_code=HOTELLERIE)

    assert refused.value.reason == "unauthorized"
    assert refused.value.field == "actor_uai"


def test_r14_an_origin_school_that_is_no_reception_school_is_refused_as_unauthorized() -> None:
    with pytest.raises(domain.UnauthorizedError) as refused:
        declare(a_slot(datetime(2013, 3, 12, 9, 0, tzinfo=PARIS)), actor_uai=ORIGIN_SCHOOL)

    assert refused.value.reason == "unauthorized"


def test_r14_the_school_s_authorisation_is_checked_even_without_slots() -> None:
    with pytest.raises(domain.UnauthorizedError):
        declare(actor_uai=BRIAND, domain_code=HOTELLERIE)


def test_r14_a_slot_at_midnight_on_the_first_day_of_the_window_is_accepted() -> None:
    result = declare(a_slot(datetime(2013, 2, 11, 0, 0, tzinfo=PARIS)))

    assert result is None


def test_r14_a_slot_on_the_day_before_the_window_is_refused_as_outside_interview_window() -> None:
    with pytest.raises(domain.OutsideInterviewWindowError) as refused:
        declare(a_slot(datetime(2013, 2, 10, 23, 30, tzinfo=PARIS)))

    assert refused.value.reason == "outside_interview_window"
    assert refused.value.field == "slots.0.starts_at"


def test_r14_a_slot_given_in_utc_on_the_day_before_but_on_the_first_day_in_paris_is_accepted() -> None:
    # 2013-02-10 23:30Z is 2013-02-11 00:30 in Paris (UTC+1 in winter).
    result = declare(a_slot(datetime(2013, 2, 10, 23, 30, tzinfo=UTC)))

    assert result is None


def test_r14_a_slot_given_in_utc_one_minute_before_midnight_in_paris_before_the_window_is_refused() -> None:
    # 2013-02-10 22:59Z is 2013-02-10 23:59 in Paris, the day before the window.
    with pytest.raises(domain.OutsideInterviewWindowError):
        declare(a_slot(datetime(2013, 2, 10, 22, 59, tzinfo=UTC)))


def test_r14_a_slot_ending_late_on_the_last_day_of_the_window_is_accepted() -> None:
    result = declare(a_slot(datetime(2013, 4, 17, 22, 0, tzinfo=PARIS), duration_minutes=60))

    assert result is None


def test_r14_a_slot_starting_the_day_after_the_window_is_refused_as_outside_interview_window() -> None:
    with pytest.raises(domain.OutsideInterviewWindowError) as refused:
        declare(a_slot(datetime(2013, 4, 18, 9, 0, tzinfo=PARIS)))

    assert refused.value.reason == "outside_interview_window"


def test_r14_a_slot_starting_on_the_last_day_but_ending_after_it_is_refused_as_outside_interview_window() -> None:
    with pytest.raises(domain.OutsideInterviewWindowError) as refused:
        declare(a_slot(datetime(2013, 4, 17, 23, 30, tzinfo=PARIS), duration_minutes=60))

    assert refused.value.reason == "outside_interview_window"
    assert refused.value.field == "slots.0.starts_at"


def test_r14_a_slot_given_in_utc_on_the_last_day_but_after_it_in_paris_is_refused() -> None:
    # 2013-04-17 22:30Z is 2013-04-18 00:30 in Paris (UTC+2 in summer).
    with pytest.raises(domain.OutsideInterviewWindowError):
        declare(a_slot(datetime(2013, 4, 17, 22, 30, tzinfo=UTC), duration_minutes=30))


def test_r14_a_slot_ending_exactly_at_midnight_closing_the_last_day_is_accepted() -> None:
    # The slot [23:00, 24:00) lies wholly on 17 April, the last (inclusive) day of the window.
    result = declare(a_slot(datetime(2013, 4, 17, 23, 0, tzinfo=PARIS), duration_minutes=60))

    assert result is None


def test_r14_the_refusal_names_the_first_slot_outside_the_window() -> None:
    slots = (
        a_slot(datetime(2013, 3, 12, 9, 0, tzinfo=PARIS)),
        a_slot(datetime(2013, 4, 18, 9, 0, tzinfo=PARIS)),
        a_slot(datetime(2013, 2, 1, 9, 0, tzinfo=PARIS)),
    )

    with pytest.raises(domain.OutsideInterviewWindowError) as refused:
        declare(*slots)

    assert refused.value.field == "slots.1.starts_at"


def test_r14_the_outside_window_message_gives_the_slot_s_paris_date_and_the_window() -> None:
    with pytest.raises(domain.OutsideInterviewWindowError) as refused:
        declare(a_slot(datetime(2013, 4, 17, 22, 30, tzinfo=UTC), duration_minutes=30))

    assert "18/04/2013" in refused.value.message
    assert "11/02/2013" in refused.value.message
    assert "17/04/2013" in refused.value.message


def test_r14_a_slot_after_the_change_to_summer_time_is_dated_in_paris_time() -> None:
    result = declare(a_slot(datetime(2013, 3, 31, 3, 0, tzinfo=PARIS), duration_minutes=30))

    assert result is None


# --- R21: asking for a new interview after an absence -----------------------------------------------------


def test_r21_the_origin_school_may_ask_a_new_interview_after_an_absence_while_the_window_is_open() -> None:
    result = request_new_interview()

    assert result is None


def test_r21_a_new_interview_asked_on_the_last_day_of_the_window_is_refused_as_no_interview_possible() -> None:
    with pytest.raises(domain.NoInterviewPossibleError) as refused:
        request_new_interview(today=date(2013, 4, 17))

    assert refused.value.reason == "no_interview_possible"


def test_r21_a_new_interview_asked_after_the_last_day_is_refused_as_outside_interview_window() -> None:
    with pytest.raises(domain.OutsideInterviewWindowError) as refused:
        request_new_interview(today=date(2013, 4, 18))

    assert refused.value.reason == "outside_interview_window"
    assert refused.value.field == "domain_code"
    assert "17/04/2013" in refused.value.message


@pytest.mark.parametrize("ine", ["123456789AB", "1234A12345B"])
def test_r21_the_other_two_ine_shapes_are_accepted(ine: str) -> None:
    result = request_new_interview(ine=ine)

    assert result is None


@pytest.mark.parametrize("ine", ["", "1234567890", "1234567890a", "12345678901", "1234567890AB", "ABCDEFGHIJK"])
def test_r21_a_malformed_ine_is_refused_as_invalid_ine(ine: str) -> None:
    with pytest.raises(domain.InvalidIneError) as refused:
        request_new_interview(ine=ine)

    assert refused.value.reason == "invalid_ine"
    assert refused.value.field == "ine"


def test_r21_an_invalid_ine_is_reported_before_any_other_fault() -> None:
    with pytest.raises(domain.InvalidIneError):
        request_new_interview(
            ine="bad", domain_code="astrophysique", origin_uai=None, actor_uai=BRIAND, today=date(2013, 5, 1)
        )


def test_r21_a_domain_outside_the_campaign_is_refused_as_unknown_domain() -> None:
    with pytest.raises(domain.UnknownDomainError) as refused:
        request_new_interview(domain_code="astrophysique")

    assert refused.value.reason == "unknown_domain"
    assert refused.value.field == "domain_code"


def test_r21_a_pupil_without_a_candidacy_in_the_domain_is_refused_as_unknown_candidacy() -> None:
    with pytest.raises(domain.UnknownCandidacyError) as refused:
        request_new_interview(origin_uai=None, active_formations=0)

    assert refused.value.reason == "unknown_candidacy"
    assert refused.value.field == "domain_code"


def test_r21_a_pupil_whose_candidacies_in_the_domain_are_all_withdrawn_is_refused_as_unknown_candidacy() -> None:
    with pytest.raises(domain.UnknownCandidacyError) as refused:
        request_new_interview(active_formations=0)

    assert refused.value.reason == "unknown_candidacy"


def test_r21_an_unknown_candidacy_is_reported_before_the_school_s_authorisation() -> None:
    with pytest.raises(domain.UnknownCandidacyError):
        request_new_interview(origin_uai=None, actor_uai=OTHER_ORIGIN_SCHOOL)


def test_r21_another_school_than_the_origin_school_is_refused_as_unauthorized() -> None:
    with pytest.raises(domain.UnauthorizedError) as refused:
        request_new_interview(actor_uai=OTHER_ORIGIN_SCHOOL)

    assert refused.value.reason == "unauthorized"
    assert refused.value.field == "actor_uai"


def test_r21_a_reception_school_cannot_ask_a_new_interview_for_a_pupil_of_another_school() -> None:
    with pytest.raises(domain.UnauthorizedError):
        request_new_interview(actor_uai=CAREME)


def test_r21_a_pupil_who_missed_no_interview_is_refused_as_unknown_interview() -> None:
    with pytest.raises(domain.UnknownInterviewError) as refused:
        request_new_interview(missed=False)

    assert refused.value.reason == "unknown_interview"
    assert refused.value.field == "domain_code"


def test_r21_a_closed_window_is_reported_before_the_absence_of_a_missed_interview() -> None:
    with pytest.raises(domain.OutsideInterviewWindowError):
        request_new_interview(missed=False, today=date(2013, 4, 18))


# --- the errors themselves ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (domain.UnknownDomainError, "unknown_domain"),
        (domain.UnauthorizedError, "unauthorized"),
        (domain.OutsideInterviewWindowError, "outside_interview_window"),
        (domain.UnknownCandidacyError, "unknown_candidacy"),
        (domain.UnknownInterviewError, "unknown_interview"),
        (domain.InvalidIneError, "invalid_ine"),
    ],
)
def test_every_scheduling_error_is_a_scheduling_error_carrying_its_public_reason(
    error: type[domain.SchedulingError], reason: str
) -> None:
    raised = error("Message pour le secrétariat.", "some_field")

    assert isinstance(raised, domain.SchedulingError)
    assert raised.reason == reason
    assert raised.message == "Message pour le secrétariat."
    assert raised.field == "some_field"
    assert str(raised) == "Message pour le secrétariat."
