"""Pupil (INE) and school (UAI) identifier checks, as the procedure states them (national formats)."""

import re

UAI_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

_UAI_DIGITS = re.compile(r"[0-9]{7}")
_UAI = re.compile(r"([0-9]{7})([A-Z])")
# Three INE shapes: the national pupil form, the older 9+2 form, and the apprenticeship form.
_INE = re.compile(r"[0-9]{10}[A-Z]|[0-9]{9}[A-Z]{2}|[0-9]{4}A[0-9]{5}[A-Z]")


def uai_check_letter(digits: str) -> str:
    """Identifiers: the check letter of a UAI is ABCDEFGHJKLMNPRSTUVWXYZ[the 7-digit number mod 23]."""
    if not _UAI_DIGITS.fullmatch(digits):
        raise ValueError("a UAI starts with exactly 7 digits")
    return UAI_CHECK_LETTERS[int(digits) % len(UAI_CHECK_LETTERS)]


def is_valid_uai(value: str) -> bool:
    """Identifiers: a UAI is 7 digits and its upper-case check letter, e.g. 0750654D."""
    match = _UAI.fullmatch(value)
    return match is not None and uai_check_letter(match.group(1)) == match.group(2)


def is_valid_ine(value: str) -> bool:
    """Identifiers: an INE is 11 characters in one of three shapes.

    10 digits + 1 letter, 9 digits + 2 letters, or the apprenticeship form 4 digits + A + 5 digits + 1 letter.
    Letters are upper case. The INE's own check character is not verified: its algorithm is not public.
    """
    return _INE.fullmatch(value) is not None


def departement_of_uai(uai: str) -> str:
    """Identifiers: the first 3 digits of a UAI are the school's département (077, 093, 094 for Créteil)."""
    if not is_valid_uai(uai):
        raise ValueError("not a valid UAI")
    return uai[:3]
