"""The operators' funnel tables name schools by name with their UAI when the directory knows them."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from contracts.campaign import load_campaign
from ops.funnel import render

CAMPAIGN = load_campaign()


def _funnel() -> dict[str, Any]:
    return {
        "unreachable": {},
        "reports_by_reception_school": [
            {"reception_uai": "0771280Y", "reported": 4, "due": 2, "overdue": 1},
        ],
        "no_shows_by_origin": [
            {"origin_uai": "0941702P", "reported": 10, "absent": 3, "rate": 0.3},
            {"origin_uai": "0750654D", "reported": 5, "absent": 1, "rate": 0.2},
        ],
    }


def _text(campaign: Any) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(render(_funnel(), campaign=campaign))
    return console.export_text()


def test_r21_r22_school_tables_show_the_name_with_the_uai() -> None:
    text = _text(CAMPAIGN)

    assert "Lycée professionnel Camille Claudel (0771280Y)" in text
    assert "Collège privé hors contrat Les Tilleuls (0941702P)" in text


def test_a_school_the_directory_does_not_know_is_shown_by_its_uai() -> None:
    text = _text(CAMPAIGN)

    assert "0750654D" in text and "(0750654D)" not in text


def test_without_a_campaign_file_the_tables_still_show_the_uais() -> None:
    text = _text(None)

    assert "0771280Y" in text and "Camille Claudel" not in text


def _alarm_text(*alarms: dict[str, Any], campaign: Any = CAMPAIGN) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(render({"unreachable": {}, "interviews_at_risk": list(alarms)}, campaign=campaign))
    return console.export_text()


def test_r15_r17_the_alarm_names_the_domain_by_its_label_and_the_last_day_to_book() -> None:
    text = _alarm_text({"domain_code": "ebenisterie", "waiting_pupils": 7, "last_booking_day": "2013-04-12"})

    assert "Alarm: 7 pupils of Ébénisterie still wait; last day to book: 12/04/2013" in text


def test_r15_r17_once_no_day_remains_the_alarm_says_the_pupils_can_no_longer_be_received() -> None:
    text = _alarm_text({"domain_code": "ebenisterie", "waiting_pupils": 1, "last_booking_day": None}, campaign=None)

    assert "Alarm: 1 pupil of ebenisterie still waits; no day left to book: they can no longer be received" in text
