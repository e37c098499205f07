"""PDF sheets (fpdf2): an A4 page with the core Helvetica font, and the text made printable before fpdf2 sees it.

The core font only covers Latin-1: every text goes through ``pdf_text`` first, so a name in another script prints
with ``?`` instead of failing. The creation date is fixed: the same facts give the same bytes.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from services.notifications.documents.canvas import Canvas

_PDF_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u02bc": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
    "\u2039": "<",
    "\u203a": ">",
    "\u0153": "oe",
    "\u0152": "OE",
    "\u20ac": "EUR",
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0126": "H",
    "\u0127": "h",
    "\u0131": "i",
    "\u2002": " ",
    "\u2003": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\u2007": " ",
    "\u2008": " ",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\t": " ",
    "\r\n": "\n",
    "\r": "\n",
}


def _latin1_char(char: str) -> str:
    if char == "\n" or (" " <= char <= "~") or ("\u00a0" <= char <= "\u00ff"):
        return char
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        return " " if char in "\u2028\u2029\x85" else ""
    # A Latin letter with a mark Latin-1 lacks (ą, ő, ș...) keeps its base letter; anything else becomes "?".
    base = "".join(ch for ch in unicodedata.normalize("NFKD", char) if not unicodedata.combining(ch))
    if base and all(" " <= ch <= "~" or "\u00a0" <= ch <= "\u00ff" for ch in base):
        return base
    return "?"


@functools.lru_cache(maxsize=8192)
def pdf_text(text: str) -> str:
    """The text as the core PDF fonts can print it: Latin-1 kept, typographic signs simplified, the rest ``?``."""
    text = unicodedata.normalize("NFC", str(text))
    for char, replacement in _PDF_REPLACEMENTS.items():
        text = text.replace(char, replacement)
    return "".join(_latin1_char(char) for char in text)


# The PDFs carry a fixed creation date: rendering never reads the clock, and the same facts give the same bytes.
_PDF_CREATED = datetime(2000, 1, 1, tzinfo=UTC)
_FOOTER = "Passpro post-3ème - académie de Créteil"
_AUTHOR = "Académie de Créteil"
_CREATOR = "Passpro"
_LANG = "fr-FR"
INK = (33, 37, 41)
_MUTED = (100, 106, 115)
_ACCENT = (0, 74, 153)
FILL = (234, 241, 250)


_POINTS_PER_MM = 72 / 25.4
_CORE_WIDTHS: dict[str, dict[str, int]] = {}
"""Glyph widths of each core font fpdf2 has loaded, in thousandths of the font size."""


@functools.lru_cache(maxsize=8192)
def _wrap(text: str, fontkey: str, size_pt: float, room: float) -> tuple[str, ...]:
    """The lines of ``text`` in ``room`` millimetres: broken at spaces, a word longer than a line cut.

    The same greedy rule as fpdf2's ``multi_cell``, without its per-character machinery, and cached: most
    sentences of a convocation are the same in every one of them.
    """
    widths, scale = _CORE_WIDTHS[fontkey], size_pt / 1000 / _POINTS_PER_MM

    def width(part: str) -> float:
        return sum(widths.get(char, 0) for char in part) * scale

    space, lines = width(" "), []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            needed = width(word)
            if line and used + space + needed <= room:
                line, used = f"{line} {word}", used + space + needed
                continue
            if line:
                lines.append(line)
            while needed > room and len(word) > 1:
                cut = 1
                while cut < len(word) - 1 and width(word[: cut + 1]) <= room:
                    cut += 1
                lines.append(word[:cut])
                word = word[cut:]
                needed = width(word)
            line, used = word, needed
        lines.append(line)
    return tuple(lines)


class _Layout:
    """The sheets' house layout (masthead, headings, label/value facts, framed lists, footer) over the drawing
    calls fpdf2 and ``canvas.Canvas`` share; the same calls give the same page on either."""

    def wrapped(self, width: float, text: str) -> tuple[str, ...]:
        """The lines ``lines`` prints in a column ``width`` wide (0: up to the right margin) from here."""
        font = self.current_font
        _CORE_WIDTHS.setdefault(font.fontkey, font.cw)
        room = (width or self.w - self.r_margin - self.x) - 2 * self.c_margin
        return _wrap(pdf_text(text), font.fontkey, self.font_size_pt, room)

    def lines(self, width: float, height: float, text: str, *, align: str = "L") -> None:
        """Wrapped text in a column starting here, one cell per line; the cursor ends on the left margin below."""
        x, width = self.x, width or self.w - self.r_margin - self.x
        for line in self.wrapped(width, text):
            self.set_x(x)
            self.cell(width, height, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", size=8)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, pdf_text(_FOOTER), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(*INK)

    def masthead(self, kicker: str, title: str) -> None:
        self.set_font("Helvetica", "B", 9)
        self.set_text_color(*_ACCENT)
        self.cell(0, 5, pdf_text("ACADÉMIE DE CRÉTEIL"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", size=9)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, pdf_text(kicker), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(6)
        self.set_text_color(*_ACCENT)
        self.set_font("Helvetica", "B", 17)
        self.lines(0, 8, title, align="C")
        self.set_draw_color(*_ACCENT)
        self.set_line_width(0.6)
        self.ln(2)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_line_width(0.2)
        self.set_text_color(*INK)
        self.ln(6)

    def heading(self, text: str, *, keep_with: float = 30) -> None:
        """A section title, moved to the next page rather than left alone at the bottom of one."""
        if self.get_y() + keep_with > self.page_break_trigger:
            self.add_page()
        self.set_font("Helvetica", "B", 12)
        self.set_text_color(*_ACCENT)
        self.lines(0, 7, text)
        self.set_text_color(*INK)
        self.ln(1)

    def paragraph(self, text: str, *, size: float = 10.5, style: str = "", height: float = 5.5) -> None:
        self.set_font("Helvetica", style, size)
        self.lines(0, height, text)

    def facts(self, rows: Sequence[tuple[str, str]], *, label_width: float = 52) -> None:
        """Label and value pairs, the values wrapping in their own column."""
        for label, value in rows:
            y = self.get_y()
            self.set_font("Helvetica", "B", 10.5)
            self.set_text_color(*_MUTED)
            self.lines(label_width, 6.5, label)
            label_bottom = y + 6.5
            self.set_text_color(*INK)
            self.set_font("Helvetica", size=10.5)
            self.set_xy(self.l_margin + label_width, y)
            self.lines(0, 6.5, value)
            self.set_y(max(self.get_y(), label_bottom))

    def _measure(self, width: float, height: float, text: str, style: str, size: float) -> float:
        self.set_font("Helvetica", style, size)
        return height * len(self.wrapped(width, text))

    def boxed(self, title: str, items: Sequence[str], note: str) -> None:
        """A tinted, framed block: a title, a list and a closing note; moved to the next page when it does not fit."""
        pad, bullet = 5.0, 6.0
        inner = self.epw - 2 * pad
        height = (
            2 * pad
            + self._measure(inner, 6, title, "B", 11)
            + 1
            + sum(self._measure(inner - bullet, 5.5, item, "", 10.5) for item in items)
            + 3
            + self._measure(inner, 5.5, note, "B", 10.5)
        )
        fits = height <= self.page_break_trigger - self.t_margin
        if fits and self.get_y() + height > self.page_break_trigger:
            self.add_page()
        top = self.get_y()
        if fits:
            self.set_draw_color(*_ACCENT)
            self.set_fill_color(*FILL)
            self.rect(self.l_margin, top, self.epw, height, style="DF")
        self.set_xy(self.l_margin + pad, top + pad)
        self.set_font("Helvetica", "B", 11)
        self.set_text_color(*_ACCENT)
        self.lines(inner, 6, title)
        self.ln(1)
        self.set_text_color(*INK)
        self.set_font("Helvetica", size=10.5)
        for item in items:
            self.set_x(self.l_margin + pad)
            self.cell(bullet, 5.5, "-")
            self.lines(inner - bullet, 5.5, item)
        self.ln(3)
        self.set_x(self.l_margin + pad)
        self.set_font("Helvetica", "B", 10.5)
        self.lines(inner, 5.5, note)
        if fits:
            self.set_y(top + height)


class Sheet(_Layout, FPDF):
    """An A4 page with the core Helvetica font, drawn by fpdf2 (the sheets with tables); every text is made
    printable before fpdf2 sees it."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.creation_date = _PDF_CREATED
        self.set_title(title)
        self.set_author(_AUTHOR)
        self.set_creator(_CREATOR)
        self.set_lang(_LANG)
        self.set_margins(20, 16, 20)
        self.set_auto_page_break(True, margin=18)
        self.add_page()
        self.set_text_color(*INK)

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(pdf_text(text))

    def render(self) -> bytes:
        return bytes(self.output())


class PlainSheet(_Layout, Canvas):
    """The same page drawn by ``canvas.Canvas``: for sheets of text, facts and framed lists (the convocation),
    built for every mail, at a fraction of fpdf2's cost. Text reaches ``cell`` already printable."""

    def __init__(self, title: str) -> None:
        super().__init__(
            title, author=_AUTHOR, creator=_CREATOR, lang=_LANG, creation=f"D:{_PDF_CREATED:%Y%m%d%H%M%S}Z"
        )
        self.add_page()
        self.set_text_color(*INK)
