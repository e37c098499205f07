"""Enrollment's pure withdrawal rules: identifiers, R2, R10 and R12 of withdraw_candidacy."""

from dataclasses import replace
from datetime import date

import pytest

from services.enrollment import domain

# UAIs computed by hand: "ABCDEFGHJKLMNPRSTUVWXYZ"[7-digit number mod 23].
CRETEIL_SCHOOL = "0941234F"  # Val-de-Marne (094): 941234 % 23 == 5
OTHER_CRETEIL_SCHOOL = "0931234L"  # Seine-Saint-Denis (093): 931234 % 23 == 10
PARIS_SCHOOL = "0750654D"  # Paris (075), outside the académie: 750654 % 23 == 3

INE = "1234567890A"
COMMENT = "Élève très impliquée, stage d'observation réussi en cuisine"

RULES = domain.CampaignRules(
    opens_on=date(2013, 2, 4),
    registration_deadline=date(2013, 3, 29),
    formation_domains={
        "cap-cuisine": "hotellerie-restauration",
        "bac-pro-commerce": "commerce-vente",
    },
    academie_departements=frozenset({"077", "093", "094"}),
)


def a_candidacy(**changes: object) -> domain.Candidacy:
    candidacy = domain.Candidacy(
        ine=INE,
        formation_code="cap-cuisine",
        domain_code="hotellerie-restauration",
        origin_uai=CRETEIL_SCHOOL,
        origin_opinion=domain.Opinion.FAVORABLE,
        origin_comment=COMMENT,
        active=True,
        revision=2,
    )
    return replace(candidacy, **changes)


def withdraw(
    *,
    ine: str = INE,
    formation_code: str = "cap-cuisine",
    actor_uai: str = CRETEIL_SCHOOL,
    existing: domain.Candidacy | None = None,
) -> domain.Candidacy:
    return domain.decide_withdrawal(
        ine=ine, formation_code=formation_code, actor_uai=actor_uai, rules=RULES, existing=existing
    )


def test_r10_the_origin_school_withdraws_its_pupils_active_candidacy() -> None:
    candidacy = a_candidacy()

    withdrawn = withdraw(existing=candidacy)

    assert withdrawn == candidacy


def test_r10_an_origin_school_outside_the_academie_withdraws_its_pupils_candidacy() -> None:
    candidacy = a_candidacy(origin_uai=PARIS_SCHOOL)

    withdrawn = withdraw(actor_uai=PARIS_SCHOOL, existing=candidacy)

    assert withdrawn == candidacy


def test_r10_withdrawing_a_candidacy_that_does_not_exist_is_rejected_as_unknown_candidacy() -> None:
    with pytest.raises(domain.UnknownCandidacyError) as raised:
        withdraw(existing=None)

    assert (raised.value.reason, raised.value.field) == ("unknown_candidacy", "formation_code")


def test_r10_withdrawing_an_already_withdrawn_candidacy_is_rejected_as_unknown_candidacy() -> None:
    with pytest.raises(domain.UnknownCandidacyError) as raised:
        withdraw(existing=a_candidacy(active=False))

    assert raised.value.reason == "unknown_candidacy"


def test_r2_withdrawing_from_a_formation_outside_the_catalog_is_rejected_as_unknown_formation() -> None:
    with pytest.raises(domain.UnknownFormationError) as raised:
        withdraw(formation_code="cap-astronaute", existing=a_candidacy())

    assert (raised.value.reason, raised.value.field) == ("unknown_formation", "formation_code")


def test_r12_another_school_withdrawing_the_pupils_candidacy_is_unauthorized() -> None:
    with pytest.raises(domain.UnauthorizedError) as raised:
        withdraw(actor_uai=OTHER_CRETEIL_SCHOOL, existing=a_candidacy())

    assert (raised.value.reason, raised.value.field) == ("unauthorized", "actor_uai")


def test_identifiers_a_withdrawal_with_a_malformed_ine_is_rejected_as_invalid_ine() -> None:
    with pytest.raises(domain.InvalidIneError) as raised:
        withdraw(ine="12345", existing=a_candidacy())

    assert (raised.value.reason, raised.value.field) == ("invalid_ine", "ine")


def test_identifiers_a_withdrawal_by_a_uai_with_a_wrong_check_letter_is_rejected_as_invalid_uai() -> None:
    with pytest.raises(domain.InvalidUaiError) as raised:
        withdraw(actor_uai="0941234G", existing=a_candidacy(origin_uai="0941234G"))

    assert (raised.value.reason, raised.value.field) == ("invalid_uai", "actor_uai")


REJECTED_WITHDRAWALS = {
    "invalid_ine": ("invalid_ine", {"ine": "12345", "existing": a_candidacy()}),
    "invalid_uai": ("invalid_uai", {"actor_uai": "0941234G", "existing": a_candidacy()}),
    "unknown_formation": (
        "unknown_formation",
        {"formation_code": "cap-astronaute", "existing": a_candidacy()},
    ),
    "unknown_candidacy_missing": ("unknown_candidacy", {"existing": None}),
    "unknown_candidacy_withdrawn": ("unknown_candidacy", {"existing": a_candidacy(active=False)}),
    "unauthorized": ("unauthorized", {"actor_uai": OTHER_CRETEIL_SCHOOL, "existing": a_candidacy()}),
}


@pytest.mark.parametrize("case", sorted(REJECTED_WITHDRAWALS))
def test_every_withdrawal_rejection_carries_its_public_reason_code(case: str) -> None:
    reason, arguments = REJECTED_WITHDRAWALS[case]

    with pytest.raises(domain.EnrollmentError) as raised:
        withdraw(**arguments)

    assert raised.value.reason == reason


@pytest.mark.parametrize("case", sorted(REJECTED_WITHDRAWALS))
def test_every_withdrawal_rejection_has_a_non_empty_message(case: str) -> None:
    _, arguments = REJECTED_WITHDRAWALS[case]

    with pytest.raises(domain.EnrollmentError) as raised:
        withdraw(**arguments)

    assert raised.value.message.strip()
    assert str(raised.value) == raised.value.message


@pytest.mark.parametrize("case", sorted(REJECTED_WITHDRAWALS))
def test_no_withdrawal_rejection_message_contains_the_comment(case: str) -> None:
    _, arguments = REJECTED_WITHDRAWALS[case]

    with pytest.raises(domain.EnrollmentError) as raised:
        withdraw(**arguments)

    assert COMMENT not in raised.value.message
