"""A correlation key that names an INE is logged as a keyed pseudonym, never in clear."""

from __future__ import annotations

import pytest

from services.runtime.logs import pseudonym

KEY = "passpro-2013-1234567890A-cap-cuisine"


def test_the_pseudonym_hides_the_ine_and_is_the_same_each_time() -> None:
    assert "1234567890A" not in pseudonym(KEY) and pseudonym(KEY) == pseudonym(KEY)
    assert pseudonym(KEY) != pseudonym("passpro-2013-1234567890B-cap-cuisine")


def test_another_log_key_gives_another_pseudonym(monkeypatch: pytest.MonkeyPatch) -> None:
    before = pseudonym(KEY)
    monkeypatch.setenv("PASSPRO_LOG_KEY", "another-deployment")

    assert pseudonym(KEY) != before
