"""R21, R22: what a report must hold, and when it is overdue."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.opinions import domain

PARIS = ZoneInfo("Europe/Paris")
HELD = datetime(2013, 3, 11, 9, 0, tzinfo=PARIS)
INTERVIEW = domain.Interview("i-1", "0931311V", HELD, cancelled=False, reported=False)
ACTIVE = frozenset({"cap-mode-vetement-flou", "2nde-pro-mode-vetements"})


def report(**overrides: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "interview": INTERVIEW,
        "actor_uai": "0931311V",
        "now": datetime(2013, 3, 11, 10, 0, tzinfo=PARIS),
        "attended": True,
        "report": "Élève bien renseignée sur les métiers de la mode.",
        "opinions": [("cap-mode-vetement-flou", "favorable"), ("2nde-pro-mode-vetements", "reserve")],
        "active_formations": ACTIVE,
    }
    arguments.update(overrides)
    return arguments


def test_r22_a_complete_report_gives_one_reception_opinion_per_formation() -> None:
    opinions = domain.check_report(**report())  # type: ignore[arg-type]

    assert opinions == {
        "cap-mode-vetement-flou": domain.Opinion.FAVORABLE,
        "2nde-pro-mode-vetements": domain.Opinion.RESERVE,
    }


def test_r21_an_absent_pupil_gets_no_opinion() -> None:
    assert domain.check_report(**report(attended=False, report="", opinions=[])) == {}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"interview": None}, "unknown_interview"),
        ({"interview": domain.Interview("i-1", "0931311V", HELD, cancelled=True, reported=False)}, "unknown_interview"),
        ({"actor_uai": "0940461R"}, "unauthorized"),
        ({"now": datetime(2013, 3, 11, 8, 59, tzinfo=PARIS)}, "interview_not_held"),
        ({"interview": domain.Interview("i-1", "0931311V", HELD, cancelled=False, reported=True)}, "already_reported"),
        ({"report": "   "}, "report_incomplete"),
        ({"opinions": [("cap-mode-vetement-flou", "favorable")]}, "report_incomplete"),
        (
            {
                "opinions": [
                    ("cap-mode-vetement-flou", "favorable"),
                    ("2nde-pro-mode-vetements", "reserve"),
                    ("2nde-pro-cuir-maroquinerie", "favorable"),
                ]
            },
            "report_incomplete",
        ),
        (
            {"opinions": [("cap-mode-vetement-flou", "favorable"), ("cap-mode-vetement-flou", "reserve")]},
            "report_incomplete",
        ),
        ({"attended": False, "report": "", "opinions": [("cap-mode-vetement-flou", "favorable")]}, "report_incomplete"),
    ],
)
def test_r22_a_report_that_cannot_be_taken_is_refused_with_its_reason(
    overrides: dict[str, object], reason: str
) -> None:
    with pytest.raises(domain.OpinionsError) as refused:
        domain.check_report(**report(**overrides))  # type: ignore[arg-type]

    assert refused.value.reason == reason and refused.value.message


def test_r22_a_report_is_due_three_days_after_the_interview_day_and_overdue_the_day_after() -> None:
    assert domain.report_due_on(HELD, 3, PARIS) == date(2013, 3, 14)
    assert not domain.is_overdue(HELD, datetime(2013, 3, 14, 23, 59, tzinfo=PARIS), 3, PARIS)
    assert domain.is_overdue(HELD, datetime(2013, 3, 15, 0, 1, tzinfo=PARIS), 3, PARIS)


def test_r20c_the_due_day_is_counted_in_paris_time_across_the_summer_time_change() -> None:
    late_evening_utc = datetime(2013, 3, 30, 23, 30, tzinfo=ZoneInfo("UTC"))  # 31 March 01:30 in Paris

    assert domain.report_due_on(late_evening_utc, 3, PARIS) == date(2013, 4, 3)
