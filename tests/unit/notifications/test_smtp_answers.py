"""R19, R20b, R26: what SMTP answers mean for a mail: tried again, refused for good, or sent without some recipients."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifications.answers import (
    Verdict,
    all_recipients_refused_verdict,
    not_ascii_reason,
    partial_refusal,
    refusal_reason,
    refused_roles,
    roles,
    whole_mail_verdict,
)
from services.notifications.domain import Mailboxes

ORIGIN = "ce.0930122c@ac-creteil.fr"
REFERENT = "referente.durand@example.org"
CONVOCATION_BOXES = Mailboxes(origin=ORIGIN, referent=REFERENT)


@pytest.mark.parametrize("code", [550, 551, 552, 553, 554])
def test_r19_a_permanent_answer_to_the_whole_mail_refuses_it_for_good(code: int) -> None:
    assert whole_mail_verdict(code) is Verdict.REFUSED


@pytest.mark.parametrize("code", [None, 421, 450, 451, 452])
def test_r19_a_transient_answer_or_none_at_all_is_tried_again(code: int | None) -> None:
    assert whole_mail_verdict(code) is Verdict.RETRY


@pytest.mark.parametrize(
    ("codes", "verdict"),
    [
        ([550, 550], Verdict.REFUSED),
        ([550, 553], Verdict.REFUSED),
        ([550, 451], Verdict.RETRY),
        ([451, 451], Verdict.RETRY),
        ([], Verdict.RETRY),
    ],
)
def test_r19_every_recipient_refused_is_for_good_only_when_each_refusal_is_permanent(
    codes: list[int], verdict: Verdict
) -> None:
    assert all_recipients_refused_verdict(codes) is verdict


def test_r19_a_refusal_reason_keeps_the_code_and_text_but_not_the_address() -> None:
    reason = refusal_reason(550, f"5.1.1 <{REFERENT}>: Recipient address rejected: User unknown")

    assert reason == "550 5.1.1 <adresse>: Recipient address rejected: User unknown"


@given(
    st.emails(), st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="@"), max_size=80)
)
def test_r19_no_address_a_server_quotes_reaches_the_reason(address: str, around: str) -> None:
    reason = refusal_reason(550, f"{around} {address} {around}")

    assert address not in reason and "@" not in reason.replace("<adresse>", "")


def test_r19_a_refusal_reason_is_short() -> None:
    assert len(refusal_reason(554, "x" * 1000)) == 160


def test_r19_refused_recipients_of_a_convocation_are_named_by_role_never_by_address() -> None:
    known = roles(CONVOCATION_BOXES)

    assert refused_roles(known, [REFERENT.upper()]) == ("referent",)
    assert refused_roles(known, [REFERENT, ORIGIN]) == ("origin_school", "referent")
    assert partial_refusal(known, {REFERENT: (550, f"no such user {REFERENT}")}) == (
        "referent: 550 no such user <adresse>"
    )


def test_r19_an_address_the_server_cannot_take_is_named_by_role_never_by_address() -> None:
    known = roles(Mailboxes(origin=ORIGIN, referent="élodie.durand@exemple.fr"))

    reason = not_ascii_reason(known, ["Élodie.Durand@exemple.fr", "passpro@académie.fr"])

    assert reason == "the mail server takes no address that is not ASCII (no SMTPUTF8): referent, sender"


def test_r19_one_address_for_two_roles_names_both() -> None:
    known = roles(Mailboxes(origin=ORIGIN, referent=ORIGIN.upper()))

    assert refused_roles(known, [ORIGIN]) == ("origin_school+referent",)


def test_r15_a_shortfall_names_reception_schools_and_operators() -> None:
    known = roles(Mailboxes(domain_receptions=("ce.0940115p@ac-creteil.fr",), operators="saio@ac-creteil.fr"))

    assert known == {"ce.0940115p@ac-creteil.fr": "reception_school", "saio@ac-creteil.fr": "operators"}
