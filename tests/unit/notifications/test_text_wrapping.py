"""The PDFs' line breaking: greedy at spaces like fpdf2's multi_cell, a word longer than a line cut."""

from __future__ import annotations

from fpdf import FPDF
from hypothesis import given
from hypothesis import strategies as st

from services.notifications.documents.pdf import _CORE_WIDTHS, _POINTS_PER_MM, _wrap, pdf_text

SIZE = 10.5


def _fontkey() -> str:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=SIZE)
    _CORE_WIDTHS.setdefault(pdf.current_font.fontkey, pdf.current_font.cw)
    return str(pdf.current_font.fontkey)


FONT = _fontkey()


def _width(text: str) -> float:
    return sum(_CORE_WIDTHS[FONT].get(char, 0) for char in text) * SIZE / 1000 / _POINTS_PER_MM


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàçÉ'-", min_size=1, max_size=40)


@given(st.lists(words, min_size=1, max_size=60), st.floats(min_value=5, max_value=170))
def test_every_line_fits_and_no_word_is_lost(text_words: list[str], room: float) -> None:
    text = pdf_text(" ".join(text_words))

    lines = _wrap(text, FONT, SIZE, room)

    assert all(_width(line) <= room or len(line) == 1 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_a_line_break_in_the_text_starts_a_new_line() -> None:
    assert _wrap("Ligne 1\nLigne 2", FONT, SIZE, 170) == ("Ligne 1", "Ligne 2")


def test_words_go_to_the_next_line_whole() -> None:
    lines = _wrap("motivation " * 30, FONT, SIZE, 60)

    assert len(lines) > 1 and all(word == "motivation" for line in lines for word in line.split())
