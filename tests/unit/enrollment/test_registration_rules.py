"""Enrollment's pure registration rules: identifiers, R2, R3, R4, R6, R7, R9 and R12 of register_candidacy."""

import string
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.enrollment import domain

# UAIs computed by hand: "ABCDEFGHJKLMNPRSTUVWXYZ"[7-digit number mod 23].
CRETEIL_SCHOOL = "0941234F"  # Val-de-Marne (094): 941234 % 23 == 5
OTHER_CRETEIL_SCHOOL = "0931234L"  # Seine-Saint-Denis (093): 931234 % 23 == 10
SEINE_ET_MARNE_SCHOOL = "0771234Y"  # Seine-et-Marne (077): 771234 % 23 == 21
PARIS_SCHOOL = "0750654D"  # Paris (075), outside the académie: 750654 % 23 == 3
UAI_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

INE = "1234567890A"
OPENS_ON = date(2013, 2, 4)
DEADLINE = date(2013, 3, 29)
IN_WINDOW = date(2013, 3, 1)
ELIGIBLE = ("3eme", "3eme_segpa", "3eme_prepa_metiers", "classe_accueil", "mgi_niveau_v")
COMMENT = "Élève très impliquée, stage d'observation réussi en cuisine"

RULES = domain.CampaignRules(
    opens_on=OPENS_ON,
    registration_deadline=DEADLINE,
    formation_domains={
        "cap-cuisine": "hotellerie-restauration",
        "bac-pro-commerce": "commerce-vente",
    },
    academie_departements=frozenset({"077", "093", "094"}),
)


def a_registration(**changes: object) -> domain.Registration:
    reg = domain.Registration(
        ine=INE,
        origin_uai=CRETEIL_SCHOOL,
        actor_uai=CRETEIL_SCHOOL,
        channel=domain.Channel.PORTAL,
        class_level="3eme",
        formation_code="cap-cuisine",
        origin_opinion=domain.Opinion.FAVORABLE,
        origin_comment=COMMENT,
    )
    return replace(reg, **changes)


def a_candidacy(**changes: object) -> domain.Candidacy:
    candidacy = domain.Candidacy(
        ine=INE,
        formation_code="cap-cuisine",
        domain_code="hotellerie-restauration",
        origin_uai=CRETEIL_SCHOOL,
        origin_opinion=domain.Opinion.FAVORABLE,
        origin_comment=COMMENT,
        active=True,
        revision=3,
    )
    return replace(candidacy, **changes)


def decide(
    reg: domain.Registration,
    *,
    today: date = IN_WINDOW,
    existing: domain.Candidacy | None = None,
    pupil_origin_uai: str | None = None,
    interview_held: bool = False,
) -> domain.RegistrationDecision:
    return domain.decide_registration(
        reg,
        rules=RULES,
        today=today,
        existing=existing,
        pupil_origin_uai=pupil_origin_uai,
        interview_held=interview_held,
    )


def uai_of(digits: str) -> str:
    return digits + UAI_CHECK_LETTERS[int(digits) % 23]


# Identifiers


@pytest.mark.parametrize("ine", ["1234567890A", "123456789AB", "1234A56789B"])
def test_identifiers_an_ine_of_each_of_the_three_forms_is_accepted(ine: str) -> None:
    reg = a_registration(ine=ine)

    decision = decide(reg)

    assert decision.outcome is domain.Outcome.CREATED


@pytest.mark.parametrize("ine", ["1234567890", "12345678901", "1234567890a", "12345678ABC", "1234B56789C", ""])
def test_identifiers_a_malformed_ine_is_rejected_as_invalid_ine(ine: str) -> None:
    reg = a_registration(ine=ine)

    with pytest.raises(domain.InvalidIneError) as raised:
        decide(reg)

    assert (raised.value.reason, raised.value.field) == ("invalid_ine", "ine")


def test_identifiers_the_paris_example_uai_0750654d_is_accepted() -> None:
    domain.check_identifiers(ine=INE, uais={"origin_uai": "0750654D"})


def test_identifiers_an_origin_uai_with_a_wrong_check_letter_is_rejected_as_invalid_uai() -> None:
    reg = a_registration(origin_uai="0941234G", actor_uai="0941234G")

    with pytest.raises(domain.InvalidUaiError) as raised:
        decide(reg)

    assert (raised.value.reason, raised.value.field) == ("invalid_uai", "origin_uai")


def test_identifiers_an_actor_uai_with_a_wrong_check_letter_is_rejected_as_invalid_uai() -> None:
    reg = a_registration(actor_uai="0941234G")

    with pytest.raises(domain.InvalidUaiError) as raised:
        decide(reg)

    assert (raised.value.reason, raised.value.field) == ("invalid_uai", "actor_uai")


@pytest.mark.parametrize("uai", ["094123F", "09412345F", "0941234", "0941234f", "A941234F", ""])
def test_identifiers_a_malformed_uai_is_rejected_as_invalid_uai(uai: str) -> None:
    with pytest.raises(domain.InvalidUaiError):
        domain.check_identifiers(ine=INE, uais={"origin_uai": uai})


@given(number=st.integers(min_value=0, max_value=9_999_999))
def test_identifiers_any_seven_digits_with_their_computed_check_letter_is_a_valid_uai(number: int) -> None:
    uai = uai_of(f"{number:07d}")

    domain.check_identifiers(ine=INE, uais={"origin_uai": uai})


@given(number=st.integers(min_value=0, max_value=9_999_999), letter=st.sampled_from(string.ascii_letters))
def test_identifiers_any_uai_whose_check_letter_is_replaced_by_another_letter_is_rejected(
    number: int, letter: str
) -> None:
    digits = f"{number:07d}"
    right = uai_of(digits)[-1]
    wrong = letter if letter != right else ("A" if right != "A" else "B")

    with pytest.raises(domain.InvalidUaiError):
        domain.check_identifiers(ine=INE, uais={"origin_uai": digits + wrong})


# R2


def test_r2_a_formation_of_the_campaign_catalog_gives_the_candidacy_its_domain() -> None:
    reg = a_registration(formation_code="bac-pro-commerce")

    decision = decide(reg)

    assert decision.domain_code == "commerce-vente"


def test_r2_a_formation_outside_the_campaign_catalog_is_rejected_as_unknown_formation() -> None:
    reg = a_registration(formation_code="cap-astronaute")

    with pytest.raises(domain.UnknownFormationError) as raised:
        decide(reg)

    assert (raised.value.reason, raised.value.field) == ("unknown_formation", "formation_code")


# R3, R4


@pytest.mark.parametrize("class_level", ELIGIBLE)
def test_r3_a_pupil_of_an_eligible_class_level_can_be_registered(class_level: str) -> None:
    reg = a_registration(class_level=class_level)

    decision = decide(reg)

    assert decision.outcome is domain.Outcome.CREATED


def test_r3_a_pupil_of_4eme_is_not_eligible() -> None:
    reg = a_registration(class_level="4eme")

    with pytest.raises(domain.NotEligibleError) as raised:
        decide(reg)

    assert (raised.value.reason, raised.value.field) == ("not_eligible", "pupil.class_level")


@given(class_level=st.text().filter(lambda level: level not in ELIGIBLE))
def test_r3_any_class_level_outside_the_eligible_set_is_not_eligible(class_level: str) -> None:
    reg = a_registration(class_level=class_level)

    with pytest.raises(domain.NotEligibleError):
        decide(reg)


def test_r4_a_2nde_gt_pupil_is_not_eligible() -> None:
    reg = a_registration(class_level="2nde_gt")

    with pytest.raises(domain.NotEligibleError) as raised:
        decide(reg)

    assert (raised.value.reason, raised.value.field) == ("not_eligible", "pupil.class_level")


def test_r4_the_rejection_of_a_2nde_gt_pupil_says_2nde_pupils_are_not_concerned() -> None:
    reg = a_registration(class_level="2nde_gt")

    with pytest.raises(domain.NotEligibleError) as raised:
        decide(reg)

    assert "2nde" in raised.value.message
    assert "pas concernés" in raised.value.message


# R6


def test_r6_a_registration_on_the_opening_day_is_accepted() -> None:
    reg = a_registration()

    decision = decide(reg, today=OPENS_ON)

    assert decision.outcome is domain.Outcome.CREATED


def test_r6_a_registration_on_the_deadline_day_is_accepted() -> None:
    reg = a_registration()

    decision = decide(reg, today=DEADLINE)

    assert decision.outcome is domain.Outcome.CREATED


def test_r6_a_registration_the_day_before_the_opening_is_rejected_as_registration_not_open() -> None:
    reg = a_registration()

    with pytest.raises(domain.RegistrationNotOpenError) as raised:
        decide(reg, today=OPENS_ON - timedelta(days=1))

    assert raised.value.reason == "registration_not_open"


def test_r6_the_registration_not_open_message_names_the_window_in_french_dates() -> None:
    reg = a_registration()

    with pytest.raises(domain.RegistrationNotOpenError) as raised:
        decide(reg, today=OPENS_ON - timedelta(days=1))

    assert "04/02/2013" in raised.value.message
    assert "29/03/2013" in raised.value.message


def test_r6_a_registration_the_day_after_the_deadline_is_rejected_as_registration_closed() -> None:
    reg = a_registration()

    with pytest.raises(domain.RegistrationClosedError) as raised:
        decide(reg, today=DEADLINE + timedelta(days=1))

    assert raised.value.reason == "registration_closed"


def test_r6_the_registration_closed_message_names_the_deadline_in_french_date() -> None:
    reg = a_registration()

    with pytest.raises(domain.RegistrationClosedError) as raised:
        decide(reg, today=DEADLINE + timedelta(days=1))

    assert "29/03/2013" in raised.value.message


def test_r6_an_opinion_update_of_an_active_candidacy_after_the_deadline_is_accepted() -> None:
    reg = a_registration(origin_opinion=domain.Opinion.RESERVE)

    decision = decide(reg, today=DEADLINE + timedelta(days=1), existing=a_candidacy(), pupil_origin_uai=CRETEIL_SCHOOL)

    assert (decision.outcome, decision.revision) == (domain.Outcome.UPDATED, 4)


def test_r6_an_unchanged_re_registration_of_an_active_candidacy_after_the_deadline_is_accepted() -> None:
    reg = a_registration()

    decision = decide(reg, today=DEADLINE + timedelta(days=1), existing=a_candidacy(), pupil_origin_uai=CRETEIL_SCHOOL)

    assert (decision.outcome, decision.revision) == (domain.Outcome.UNCHANGED, 3)


def test_r6_a_new_candidacy_of_an_already_registered_pupil_after_the_deadline_is_closed() -> None:
    reg = a_registration(formation_code="bac-pro-commerce")

    with pytest.raises(domain.RegistrationClosedError):
        decide(reg, today=DEADLINE + timedelta(days=1), existing=None, pupil_origin_uai=CRETEIL_SCHOOL)


def test_r6_the_reactivation_of_a_withdrawn_candidacy_after_the_deadline_is_closed() -> None:
    reg = a_registration()

    with pytest.raises(domain.RegistrationClosedError):
        decide(
            reg,
            today=DEADLINE + timedelta(days=1),
            existing=a_candidacy(active=False),
            pupil_origin_uai=CRETEIL_SCHOOL,
        )


def test_r6_an_update_of_an_active_candidacy_before_the_opening_is_not_open() -> None:
    reg = a_registration(origin_opinion=domain.Opinion.RESERVE)

    with pytest.raises(domain.RegistrationNotOpenError):
        decide(reg, today=OPENS_ON - timedelta(days=1), existing=a_candidacy(), pupil_origin_uai=CRETEIL_SCHOOL)


@given(
    today=st.dates(min_value=OPENS_ON, max_value=DEADLINE),
    class_level=st.sampled_from(ELIGIBLE),
    formation_code=st.sampled_from(sorted(RULES.formation_domains)),
    opinion=st.sampled_from(list(domain.Opinion)),
    school=st.sampled_from([CRETEIL_SCHOOL, OTHER_CRETEIL_SCHOOL, SEINE_ET_MARNE_SCHOOL]),
    channel=st.sampled_from(list(domain.Channel)),
)
def test_r6_any_new_valid_registration_within_the_window_is_created_at_revision_1(
    today: date,
    class_level: str,
    formation_code: str,
    opinion: domain.Opinion,
    school: str,
    channel: domain.Channel,
) -> None:
    reg = a_registration(
        class_level=class_level,
        formation_code=formation_code,
        origin_opinion=opinion,
        origin_uai=school,
        actor_uai=school,
        channel=channel,
        origin_mailbox="secretariat.college@example.org" if channel is domain.Channel.SAIO_FORM else None,
    )

    decision = decide(reg, today=today)

    assert (decision.outcome, decision.revision) == (domain.Outcome.CREATED, 1)


# R7


def test_r7_a_pupil_already_registered_by_the_same_school_can_apply_for_another_formation() -> None:
    reg = a_registration(formation_code="bac-pro-commerce")

    decision = decide(reg, existing=None, pupil_origin_uai=CRETEIL_SCHOOL)

    assert (decision.outcome, decision.revision, decision.domain_code) == (
        domain.Outcome.CREATED,
        1,
        "commerce-vente",
    )


# R9 and the outcomes of a re-registration


def test_r9_a_new_candidacy_is_created_at_revision_1() -> None:
    reg = a_registration()

    decision = decide(reg)

    assert (decision.outcome, decision.revision, decision.domain_code) == (
        domain.Outcome.CREATED,
        1,
        "hotellerie-restauration",
    )


def test_r9_re_registering_with_the_same_opinion_and_comment_leaves_the_candidacy_unchanged() -> None:
    reg = a_registration()

    decision = decide(reg, existing=a_candidacy(revision=3), pupil_origin_uai=CRETEIL_SCHOOL)

    assert (decision.outcome, decision.revision) == (domain.Outcome.UNCHANGED, 3)


def test_r9_re_registering_with_another_opinion_updates_the_candidacy_to_the_next_revision() -> None:
    reg = a_registration(origin_opinion=domain.Opinion.ASSEZ_FAVORABLE)

    decision = decide(reg, existing=a_candidacy(revision=3), pupil_origin_uai=CRETEIL_SCHOOL)

    assert (decision.outcome, decision.revision) == (domain.Outcome.UPDATED, 4)


def test_r9_re_registering_with_another_comment_updates_the_candidacy_to_the_next_revision() -> None:
    reg = a_registration(origin_comment="Projet mûri depuis le stage, motivation confirmée")

    decision = decide(reg, existing=a_candidacy(revision=3), pupil_origin_uai=CRETEIL_SCHOOL)

    assert (decision.outcome, decision.revision) == (domain.Outcome.UPDATED, 4)


def test_r9_re_registering_a_withdrawn_candidacy_reactivates_it_at_the_next_revision() -> None:
    reg = a_registration()

    decision = decide(reg, existing=a_candidacy(active=False, revision=3), pupil_origin_uai=CRETEIL_SCHOOL)

    assert (decision.outcome, decision.revision) == (domain.Outcome.REACTIVATED, 4)


def test_r9_reactivating_a_withdrawn_candidacy_with_a_new_opinion_is_a_reactivation() -> None:
    reg = a_registration(origin_opinion=domain.Opinion.RESERVE)

    decision = decide(reg, existing=a_candidacy(active=False, revision=3), pupil_origin_uai=CRETEIL_SCHOOL)

    assert (decision.outcome, decision.revision) == (domain.Outcome.REACTIVATED, 4)


def test_r9_the_origin_opinion_is_locked_once_the_interview_took_place() -> None:
    reg = a_registration(origin_opinion=domain.Opinion.RESERVE)

    with pytest.raises(domain.OpinionLockedError) as raised:
        decide(reg, existing=a_candidacy(), pupil_origin_uai=CRETEIL_SCHOOL, interview_held=True)

    assert (raised.value.reason, raised.value.field) == ("opinion_locked", "origin_opinion")


def test_r9_the_origin_comment_is_locked_once_the_interview_took_place() -> None:
    reg = a_registration(origin_comment="Commentaire réécrit après l'entretien")

    with pytest.raises(domain.OpinionLockedError):
        decide(reg, existing=a_candidacy(), pupil_origin_uai=CRETEIL_SCHOOL, interview_held=True)


def test_r9_an_unchanged_re_registration_after_the_interview_is_not_refused() -> None:
    reg = a_registration()

    decision = decide(reg, existing=a_candidacy(), pupil_origin_uai=CRETEIL_SCHOOL, interview_held=True)

    assert (decision.outcome, decision.revision) == (domain.Outcome.UNCHANGED, 3)


def test_r9_an_opinion_update_after_the_deadline_is_locked_once_the_interview_took_place() -> None:
    reg = a_registration(origin_opinion=domain.Opinion.RESERVE)

    with pytest.raises(domain.OpinionLockedError):
        decide(
            reg,
            today=DEADLINE + timedelta(days=5),
            existing=a_candidacy(),
            pupil_origin_uai=CRETEIL_SCHOOL,
            interview_held=True,
        )


# R12


def test_r12_a_school_registering_another_schools_pupil_is_unauthorized() -> None:
    reg = a_registration(actor_uai=OTHER_CRETEIL_SCHOOL)

    with pytest.raises(domain.UnauthorizedError) as raised:
        decide(reg)

    assert (raised.value.reason, raised.value.field) == ("unauthorized", "actor_uai")


def test_r12_a_pupil_already_registered_by_another_school_is_unauthorized() -> None:
    reg = a_registration(formation_code="bac-pro-commerce")

    with pytest.raises(domain.UnauthorizedError) as raised:
        decide(reg, pupil_origin_uai=OTHER_CRETEIL_SCHOOL)

    assert (raised.value.reason, raised.value.field) == ("unauthorized", "pupil.ine")


@pytest.mark.parametrize("school", [CRETEIL_SCHOOL, OTHER_CRETEIL_SCHOOL, SEINE_ET_MARNE_SCHOOL])
def test_r12_a_school_of_the_academie_registers_through_the_portal(school: str) -> None:
    reg = a_registration(origin_uai=school, actor_uai=school, channel=domain.Channel.PORTAL)

    decision = decide(reg)

    assert decision.outcome is domain.Outcome.CREATED


def test_r12_a_paris_school_registering_through_the_portal_is_unauthorized() -> None:
    reg = a_registration(origin_uai=PARIS_SCHOOL, actor_uai=PARIS_SCHOOL, channel=domain.Channel.PORTAL)

    with pytest.raises(domain.UnauthorizedError) as raised:
        decide(reg)

    assert (raised.value.reason, raised.value.field) == ("unauthorized", "channel")


def test_r12_the_portal_refusal_of_a_school_outside_the_academie_points_to_the_saio_form() -> None:
    reg = a_registration(origin_uai=PARIS_SCHOOL, actor_uai=PARIS_SCHOOL, channel=domain.Channel.PORTAL)

    with pytest.raises(domain.UnauthorizedError) as raised:
        decide(reg)

    assert "SAIO" in raised.value.message


def test_r12_a_paris_school_registers_through_the_saio_form() -> None:
    reg = a_registration(
        origin_uai=PARIS_SCHOOL, actor_uai=PARIS_SCHOOL, channel=domain.Channel.SAIO_FORM, origin_mailbox=PARIS_MAILBOX
    )

    decision = decide(reg)

    assert (decision.outcome, decision.revision) == (domain.Outcome.CREATED, 1)


def test_r12_a_school_of_the_academie_may_also_use_the_saio_form() -> None:
    reg = a_registration(channel=domain.Channel.SAIO_FORM, origin_mailbox="secretariat.college@example.org")

    decision = decide(reg)

    assert decision.outcome is domain.Outcome.CREATED


def test_r12_the_saio_form_does_not_let_a_school_register_another_schools_pupil() -> None:
    reg = a_registration(actor_uai=PARIS_SCHOOL, channel=domain.Channel.SAIO_FORM)

    with pytest.raises(domain.UnauthorizedError):
        decide(reg)


# R11, R12, R19: a school using the SAIO form says where its mails go, unless the directory knows it.

PARIS_MAILBOX = "secretariat.college-paris@example.org"
CFA_WITH_MAILBOX = "0932045T"  # 932045 % 23 == 16


def test_r19_a_saio_form_registration_without_origin_mailbox_is_invalid_naming_the_field() -> None:
    reg = a_registration(origin_uai=PARIS_SCHOOL, actor_uai=PARIS_SCHOOL, channel=domain.Channel.SAIO_FORM)

    with pytest.raises(domain.EnrollmentError) as raised:
        decide(reg)

    assert (raised.value.reason, raised.value.field) == ("invalid", "origin_mailbox")
    assert "formulaire du SAIO" in raised.value.message and "adresse électronique" in raised.value.message


def test_r19_a_school_the_directory_gives_a_mailbox_needs_no_origin_mailbox_on_the_saio_form() -> None:
    rules = replace(RULES, schools_with_mailbox=frozenset({CFA_WITH_MAILBOX}))
    reg = a_registration(origin_uai=CFA_WITH_MAILBOX, actor_uai=CFA_WITH_MAILBOX, channel=domain.Channel.SAIO_FORM)

    decision = domain.decide_registration(
        reg, rules=rules, today=IN_WINDOW, existing=None, pupil_origin_uai=None, interview_held=False
    )

    assert decision.outcome is domain.Outcome.CREATED


def test_r19_the_portal_needs_no_origin_mailbox_but_may_carry_one() -> None:
    assert decide(a_registration()).outcome is domain.Outcome.CREATED
    assert decide(a_registration(origin_mailbox=PARIS_MAILBOX)).outcome is domain.Outcome.CREATED


@given(
    uai=st.sampled_from([CRETEIL_SCHOOL, OTHER_CRETEIL_SCHOOL, SEINE_ET_MARNE_SCHOOL, PARIS_SCHOOL]),
    listed=st.booleans(),
    given_mailbox=st.booleans(),
)
def test_r19_the_saio_form_needs_a_mailbox_exactly_when_none_is_known(
    uai: str, listed: bool, given_mailbox: bool
) -> None:
    rules = replace(RULES, schools_with_mailbox=frozenset({uai} if listed else set()))
    mailbox = PARIS_MAILBOX if given_mailbox else None

    try:
        domain.check_origin_mailbox(
            channel=domain.Channel.SAIO_FORM, origin_uai=uai, origin_mailbox=mailbox, rules=rules
        )
        refused = False
    except domain.MissingOriginMailboxError:
        refused = True

    assert refused is (not listed and not given_mailbox)


# Rejection messages: French, for a secretary, never echoing the pupil's comment (privacy).

NEW_COMMENT = "Nouveau commentaire confidentiel sur la famille"
REJECTED_REGISTRATIONS = {
    "invalid_ine": ("invalid_ine", a_registration(ine="123"), {}),
    "invalid_uai": ("invalid_uai", a_registration(actor_uai="0941234G"), {}),
    "not_eligible_2nde": ("not_eligible", a_registration(class_level="2nde_gt"), {}),
    "not_eligible_other": ("not_eligible", a_registration(class_level="1ere_pro"), {}),
    "unknown_formation": ("unknown_formation", a_registration(formation_code="cap-astronaute"), {}),
    "unauthorized_actor": ("unauthorized", a_registration(actor_uai=OTHER_CRETEIL_SCHOOL), {}),
    "unauthorized_pupil": ("unauthorized", a_registration(), {"pupil_origin_uai": OTHER_CRETEIL_SCHOOL}),
    "unauthorized_channel": (
        "unauthorized",
        a_registration(origin_uai=PARIS_SCHOOL, actor_uai=PARIS_SCHOOL),
        {},
    ),
    "registration_not_open": (
        "registration_not_open",
        a_registration(),
        {"today": OPENS_ON - timedelta(days=1)},
    ),
    "registration_closed": ("registration_closed", a_registration(), {"today": DEADLINE + timedelta(days=1)}),
    "opinion_locked": (
        "opinion_locked",
        a_registration(origin_comment=NEW_COMMENT),
        {"existing": a_candidacy(), "pupil_origin_uai": CRETEIL_SCHOOL, "interview_held": True},
    ),
}


@pytest.mark.parametrize("case", sorted(REJECTED_REGISTRATIONS))
def test_every_registration_rejection_has_a_non_empty_message(case: str) -> None:
    _, reg, context = REJECTED_REGISTRATIONS[case]

    with pytest.raises(domain.EnrollmentError) as raised:
        decide(reg, **context)

    assert raised.value.message.strip()
    assert str(raised.value) == raised.value.message


@pytest.mark.parametrize("case", sorted(REJECTED_REGISTRATIONS))
def test_no_registration_rejection_message_contains_the_comment(case: str) -> None:
    _, reg, context = REJECTED_REGISTRATIONS[case]

    with pytest.raises(domain.EnrollmentError) as raised:
        decide(reg, **context)

    assert COMMENT not in raised.value.message
    assert NEW_COMMENT not in raised.value.message


@pytest.mark.parametrize("case", sorted(REJECTED_REGISTRATIONS))
def test_every_registration_rejection_carries_its_public_reason_code(case: str) -> None:
    reason, reg, context = REJECTED_REGISTRATIONS[case]

    with pytest.raises(domain.EnrollmentError) as raised:
        decide(reg, **context)

    assert raised.value.reason == reason
