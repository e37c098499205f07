"""UAI and INE checks of the Identifiers paragraph."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.identifiers import (
    UAI_CHECK_LETTERS,
    departement_of_uai,
    is_valid_ine,
    is_valid_uai,
    uai_check_letter,
)

seven_digits = st.integers(min_value=0, max_value=9_999_999).map(lambda n: f"{n:07d}")


def test_the_check_letter_of_0750654_is_d() -> None:
    assert uai_check_letter("0750654") == "D"


def test_a_uai_with_its_check_letter_is_valid() -> None:
    assert is_valid_uai("0750654D")
    assert is_valid_uai("0940115P")


def test_a_uai_with_another_letter_is_invalid() -> None:
    assert not is_valid_uai("0750654E")


@pytest.mark.parametrize(
    "value",
    ["0750654d", "750654D", "07506540D", "0750654", "", " 0750654D", "0750654D ", "075O654D", "٠750654D"],
)
def test_malformed_uais_are_invalid(value: str) -> None:
    assert not is_valid_uai(value)


@pytest.mark.parametrize("digits", ["075065", "07506544", "075065a", "", "٠٧٥٠٦٥٤"])
def test_the_check_letter_needs_exactly_seven_ascii_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="7 digits"):
        uai_check_letter(digits)


def test_the_check_letters_skip_i_o_and_q() -> None:
    assert len(UAI_CHECK_LETTERS) == 23
    assert not set("IOQ") & set(UAI_CHECK_LETTERS)


@pytest.mark.parametrize(
    ("uai", "division"),
    [
        # The seven digits, divided by 23 by hand: the remainder indexes ABCDEFGHJKLMNPRSTUVWXYZ.
        ("0930122C", "930122 = 23 × 40440 + 2"),
        ("0771837D", "771837 = 23 × 33558 + 3"),
        ("0931311V", "931311 = 23 × 40491 + 18"),
        ("0940115P", "940115 = 23 × 40874 + 13"),
        ("0781234T", "781234 = 23 × 33966 + 16"),
        ("0771280Y", "771280 = 23 × 33533 + 21"),
    ],
)
def test_the_check_letters_of_a_hand_checked_table(uai: str, division: str) -> None:
    assert uai_check_letter(uai[:7]) == uai[7], division
    assert is_valid_uai(uai)


@given(seven_digits)
def test_exactly_one_letter_makes_seven_digits_a_valid_uai(digits: str) -> None:
    valid = [letter for letter in string.ascii_uppercase if is_valid_uai(digits + letter)]

    assert len(valid) == 1
    assert valid[0] in UAI_CHECK_LETTERS


def test_the_departement_is_the_first_three_digits() -> None:
    assert departement_of_uai("0940115P") == "094"
    assert departement_of_uai("0750654D") == "075"


def test_the_departement_of_an_invalid_uai_is_an_error() -> None:
    with pytest.raises(ValueError):
        departement_of_uai("0750654E")


@pytest.mark.parametrize(
    "ine",
    [
        "1234567890A",  # 10 digits + 1 letter
        "123456789AB",  # 9 digits + 2 letters
        "1234A56789K",  # apprenticeship: 4 digits + A + 5 digits + 1 letter
    ],
)
def test_the_three_ine_forms_are_valid(ine: str) -> None:
    assert is_valid_ine(ine)


@pytest.mark.parametrize(
    "ine",
    [
        "1234567890a",
        "123456789ab",
        "1234a56789K",
        "1234B56789K",
        "12345678901",
        "1234567890AB",
        "123456789A",
        "ABCDEFGHIJK",
        "",
        " 1234567890A",
        "1234567890A\n",
        "١234567890A",
    ],
)
def test_other_ine_shapes_are_invalid(ine: str) -> None:
    assert not is_valid_ine(ine)


@given(st.text(max_size=14))
def test_any_valid_ine_has_eleven_ascii_characters(value: str) -> None:
    if is_valid_ine(value):
        assert len(value) == 11
        assert value.isascii()
