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


@given(seven_digits)
def test_a_uai_built_with_its_computed_letter_is_always_valid(digits: str) -> None:
    assert is_valid_uai(digits + uai_check_letter(digits))


@given(seven_digits, st.sampled_from(string.ascii_uppercase))
def test_a_uai_with_any_other_letter_is_invalid(digits: str, letter: str) -> None:
    if letter != uai_check_letter(digits):
        assert not is_valid_uai(digits + letter)


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
