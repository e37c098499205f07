"""R27–R30: which confirmations count, what Affelnet's answers mean, how retries are spaced."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.affelnet_export import domain
from services.runtime.retry import retry_delay

DEADLINE = date(2013, 5, 31)
ACTIVE = domain.Candidacy(origin_uai="0930122C", active=True)


def confirmation(**overrides: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "ine": "1234567890A",
        "formation_known": True,
        "candidacy": ACTIVE,
        "actor_uai": "0930122C",
        "wish_entered_on": date(2013, 5, 20),
        "wish_deadline": DEADLINE,
    }
    arguments.update(overrides)
    return arguments


def test_r28_a_wish_entered_by_the_deadline_by_the_origin_school_counts() -> None:
    domain.check_confirmation(**confirmation(wish_entered_on=DEADLINE))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"ine": "12"}, "invalid_ine"),
        ({"formation_known": False}, "unknown_formation"),
        ({"candidacy": None}, "unknown_candidacy"),
        ({"candidacy": domain.Candidacy(origin_uai="0930122C", active=False)}, "unknown_candidacy"),
        ({"actor_uai": "0941918Z"}, "unauthorized"),
        ({"wish_entered_on": DEADLINE + timedelta(days=1)}, "wish_deadline_passed"),
    ],
)
def test_r28_a_confirmation_that_cannot_count_is_refused_with_its_reason(
    overrides: dict[str, object], reason: str
) -> None:
    with pytest.raises(domain.ExportError) as refused:
        domain.check_confirmation(**confirmation(**overrides))  # type: ignore[arg-type]

    assert refused.value.reason == reason and refused.value.message


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"),
        (201, "delivered"),
        (204, "delivered"),
        (409, "delivered"),
        (None, "retry"),
        (408, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (400, "park"),
        (401, "park"),
        (403, "park"),
        (404, "park"),
        (422, "park"),
    ],
)
def test_r30_affelnets_answer_decides_delivered_retry_or_parked(status: int | None, outcome: str) -> None:
    assert domain.classify(status).value == outcome


def test_r30_the_idempotency_key_is_the_same_for_every_attempt_at_one_bonus() -> None:
    assert domain.idempotency_key("2013", "1234567890A", "cap-cuisine") == "passpro-2013-1234567890A-cap-cuisine"


@given(st.integers(0, 60), st.floats(0, 0.999999))
def test_r30_retries_back_off_exponentially_up_to_a_cap(attempts: int, jitter: float) -> None:
    delay = retry_delay(attempts, jitter, base=domain.RETRY_BASE, cap=domain.RETRY_CAP)
    ceiling = min(domain.RETRY_CAP, domain.RETRY_BASE * 2 ** min(attempts, 20))

    assert ceiling / 2 <= delay <= ceiling
