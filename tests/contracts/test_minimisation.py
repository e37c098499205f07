"""Data minimisation of the registration event: the birth date and class level are not broadcast."""

from __future__ import annotations

import json

from contracts.events import CandidacyRegistered
from tests.contracts.samples import SAMPLES


def test_a_registration_event_is_written_without_the_pupils_birth_date_or_class_level() -> None:
    event = SAMPLES[CandidacyRegistered]

    written = json.loads(event.model_dump_json())

    assert sorted(written["pupil"]) == ["first_name", "ine", "last_name"]


def test_a_registration_event_published_before_with_the_birth_date_is_still_read_and_not_repeated() -> None:
    older = json.loads(SAMPLES[CandidacyRegistered].model_dump_json())
    older["pupil"] |= {"birth_date": "1998-11-03", "class_level": "3eme_segpa"}

    event = CandidacyRegistered.model_validate_json(json.dumps(older))

    assert "1998-11-03" not in event.model_dump_json() and "3eme_segpa" not in event.model_dump_json()
