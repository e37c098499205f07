"""The personal-data scanner of the end-to-end tests finds a planted value however it is written, and only then."""

from __future__ import annotations

import json
import unicodedata

from tests.privacy import Finding, find_personal_data, personal_values

REGISTRATION = {
    "command_id": "3f0c9a6e-2b1d-4c8e-9f4a-7d2e1b0c5a11",
    "campaign": "2013",
    "actor_uai": "0930122C",
    "pupil": {
        "ine": "1234567890A",
        "last_name": "Lefèvre",
        "first_name": "Inès",
        "birth_date": "1998-05-14",
        "class_level": "3eme",
    },
    "origin_uai": "0930122C",
    "referent": {"name": "Mme Durand", "email": "referente.durand@example.org"},
    "formation_code": "cap-cuisine",
    "origin_opinion": "favorable",
    "origin_comment": "Élève motivée, a fait un stage d'observation en cuisine.",
}
REPORT = {
    "command_id": "5b1e7c2a-0d3f-4a8b-9e6c-2f4d8a1b3c70",
    "interview_id": "e4a2c9d1-7b3f-4f0a-8c5e-1d2b3a4c5e6f",
    "attended": True,
    "report": "Bonne connaissance du métier, projet cohérent.",
}
CLEAN = "\n".join(
    json.dumps(line)
    for line in [
        {"event": "service_started", "service": "enrollment", "level": "info", "timestamp": "2026-11-27T04:30:00Z"},
        {
            "reason": "not_eligible",
            "event": "command_rejected",
            "message_id": REGISTRATION["command_id"],
            "routing_key": "register_candidacy",
            "timestamp": "2013-02-12T08:00:03Z",
        },
        {"event": "mail_sent", "mail_key": "convocation:e4a2c9d1", "kind": "convocation", "recipients": "[redacted]"},
    ]
)
VALUES = personal_values([REGISTRATION, REPORT])


def planted(line: str) -> dict[str, str]:
    lines = CLEAN.splitlines()
    return {"enrollment.log": "\n".join([*lines[:2], line, *lines[2:]])}


def test_the_personal_values_of_a_command_are_its_ine_names_birth_date_referent_comment_and_report() -> None:
    assert VALUES == {
        "1234567890A": "pupil.ine",
        "Lefèvre": "pupil.last_name",
        "Inès": "pupil.first_name",
        "1998-05-14": "pupil.birth_date",
        "Mme Durand": "referent.name",
        "referente.durand@example.org": "referent.email",
        REGISTRATION["origin_comment"]: "origin_comment",
        REPORT["report"]: "report",
    }


def test_hostile_bodies_give_the_strings_in_their_personal_fields_and_nothing_else() -> None:
    bodies = [
        b"\xff not json",
        {"pupil": ["Lefèvre"]},
        {"pupil": {"last_name": 12, "first_name": "Zoé-Lou"}},
        {"referent": "Mme Durand"},
        {"origin_comment": "   ", "report": "ok"},
        [1, 2],
    ]

    assert personal_values(bodies) == {"Zoé-Lou": "pupil.first_name"}


def test_clean_logs_hold_no_personal_data() -> None:
    assert find_personal_data({"enrollment.log": CLEAN}, VALUES) == []


def test_a_name_planted_in_a_log_line_is_found_with_its_line() -> None:
    line = json.dumps({"event": "command_rejected", "last_name": "Lefèvre"}, ensure_ascii=False)

    assert find_personal_data(planted(line), VALUES) == [Finding("enrollment.log", 3, "pupil.last_name")]


def test_a_value_escaped_by_the_json_renderer_is_found() -> None:
    line = json.dumps({"event": "message_failed", "exception": f"ValueError: bad {REGISTRATION['origin_comment']}"})

    assert "\\u00c9l\\u00e8ve" in line
    assert find_personal_data(planted(line), VALUES) == [Finding("enrollment.log", 3, "origin_comment")]


def test_a_value_written_in_another_case_or_unicode_form_is_found() -> None:
    nfd = unicodedata.normalize("NFD", "LEFÈVRE")

    assert [f.field for f in find_personal_data(planted(f"Traceback: {nfd} not stored"), VALUES)] == ["pupil.last_name"]


def test_a_birth_date_is_found_but_other_dates_are_not() -> None:
    assert find_personal_data(planted('{"event": "x", "detail": "born 1998-05-14"}'), VALUES) == [
        Finding("enrollment.log", 3, "pupil.birth_date")
    ]
    assert find_personal_data(planted('{"event": "x", "timestamp": "1998-05-15T00:00:00Z"}'), VALUES) == []


def test_a_value_in_a_metric_label_is_found() -> None:
    metrics = (
        "# TYPE passpro_messages_total counter\n"
        'passpro_messages_total{queue="enrollment.commands",routing_key="referente.durand@example.org"} 1.0\n'
    )

    assert find_personal_data({"enrollment /metrics": metrics}, VALUES) == [
        Finding("enrollment /metrics", 2, "referent.email")
    ]


def test_short_values_are_not_looked_for() -> None:
    assert find_personal_data(planted('{"event": "x", "detail": "Léa"}'), {"Léa": "pupil.first_name"}) == []


def test_an_ine_in_clear_in_a_log_line_is_found() -> None:
    line = json.dumps({"event": "bonus_attempt", "ine_key": "passpro-2013-1234567890A-cap-cuisine"})

    assert find_personal_data(planted(line), VALUES) == [Finding("enrollment.log", 3, "pupil.ine")]


def test_a_withdrawal_gives_its_ine() -> None:
    assert personal_values([{"ine": "123456789AB", "formation_code": "cap-cuisine"}]) == {"123456789AB": "ine"}


def test_an_ine_is_found_as_a_word_not_inside_a_message_id_or_a_float() -> None:
    text = 'message_id 1144361d-183b-4fe3-bcd7-1737443905d4\nstarted 1.76511227658e+09\n{"ine": "1737443905D"}'

    found = find_personal_data({"log": text}, {"1737443905D": "pupil.ine", "6511227658E": "ine"})

    assert found == [Finding("log", 3, "pupil.ine")]


def test_what_a_portal_sent_in_an_ine_field_that_is_no_ine_is_not_looked_for() -> None:
    found = find_personal_data({"log": "actor_uai 0930122C"}, {"0930122C": "pupil.ine", "1234": "ine"})

    assert found == []
