"""A small PDF writer for text sheets: A4 pages, the core Helvetica fonts, text cells, lines and boxes.

It offers the few fpdf2 calls the sheets' layout makes (``cell``, ``rect``, ``line``, the cursor and margins) with
fpdf2's geometry, and writes the content streams directly: a convocation costs a fraction of what fpdf2's
general machinery (per-character fragments, output builder) spent on it, for the same page. Sheets with tables
keep fpdf2. Text must already be printable with the core fonts (Latin-1), as ``pdf.pdf_text`` makes it.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

from fpdf.enums import XPos, YPos
from fpdf.fonts import CORE_FONTS, CORE_FONTS_CHARWIDTHS

K = 72 / 25.4
"""Points per millimetre: the sheets are laid out in millimetres, PDF speaks points."""
A4 = (595.28, 841.89)


@dataclass(frozen=True)
class CoreFont:
    fontkey: str
    cw: dict[str, int]
    """Glyph widths in thousandths of the font size, as fpdf2 knows them."""


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def _color(rgb: tuple[int, int, int], operator: str) -> str:
    return " ".join(_number(part / 255) for part in rgb) + f" {operator}"


def _text_string(text: str) -> str:
    """A PDF text string for the document's information: literal when ASCII, else UTF-16 with its mark."""
    if text.isascii():
        return "(" + text.replace("\\", "\\\\").replace(")", "\\)").replace("(", "\\(") + ")"
    return "<feff" + text.encode("utf-16-be").hex() + ">"


class Canvas:
    """Pages drawn with fpdf2's units and rules (millimetres, cell margins, automatic page breaks)."""

    def __init__(self, title: str, *, author: str, creator: str, lang: str, creation: str) -> None:
        self.w, self.h = A4[0] / K, A4[1] / K
        self.l_margin = self.r_margin = 20.0
        self.t_margin = 16.0
        self.c_margin = 28.35 / K / 10
        self.page_break_trigger = self.h - 18
        self.x, self.y, self.lasth = self.l_margin, self.t_margin, 0.0
        self._info = {"Author": author, "CreationDate": creation, "Creator": creator, "Title": title}
        self._lang = lang
        self._fonts: dict[str, int] = {}
        self._pages: list[list[str]] = []
        self._page_font: list[tuple[str, float] | None] = []
        self.page = -1
        self.current_font = CoreFont("helvetica", CORE_FONTS_CHARWIDTHS["helvetica"])
        self.font_size_pt = 12.0
        self._text_rgb = (0, 0, 0)
        self._draw_rgb = (0, 0, 0)
        self._fill_rgb = (0, 0, 0)
        self._line_width = 0.567 / K
        self._footers_drawn = False

    # -- state --

    @property
    def font_size(self) -> float:
        return self.font_size_pt / K

    @property
    def epw(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def set_font(self, family: str, style: str = "", size: float = 0) -> None:
        fontkey = family.lower() + "".join(sorted(style.upper()))
        if fontkey not in CORE_FONTS:
            raise ValueError(f"no core font {family!r} {style!r}")
        self.current_font = CoreFont(fontkey, CORE_FONTS_CHARWIDTHS[fontkey])
        if size:
            self.font_size_pt = size

    def set_text_color(self, r: int, g: int, b: int) -> None:
        self._text_rgb = (r, g, b)

    def set_draw_color(self, r: int, g: int, b: int) -> None:
        if (r, g, b) == self._draw_rgb:
            return
        self._draw_rgb = (r, g, b)
        self._out(_color(self._draw_rgb, "RG"))

    def set_fill_color(self, r: int, g: int, b: int) -> None:
        if (r, g, b) == self._fill_rgb:
            return
        self._fill_rgb = (r, g, b)
        self._out(_color(self._fill_rgb, "rg"))

    def set_line_width(self, width: float) -> None:
        self._line_width = width
        self._out(f"{width * K:.2f} w")

    def page_no(self) -> int:
        return self.page + 1

    # -- cursor --

    def get_y(self) -> float:
        return self.y

    def set_x(self, x: float) -> None:
        self.x = x if x >= 0 else self.w + x

    def set_y(self, y: float) -> None:
        self.x = self.l_margin
        self.y = y if y >= 0 else self.h + y

    def set_xy(self, x: float, y: float) -> None:
        self.set_y(y)
        self.set_x(x)

    def ln(self, h: float | None = None) -> None:
        self.x = self.l_margin
        self.y += self.lasth if h is None else h

    # -- drawing --

    def add_page(self) -> None:
        self._pages.append(["2 J", f"{self._line_width * K:.2f} w"])
        self._page_font.append(None)
        self.page += 1
        # A new page starts with the graphic state fpdf2 carries over: line width, then the colours in use.
        if self._draw_rgb != (0, 0, 0):
            self._out(_color(self._draw_rgb, "RG"))
        if self._fill_rgb != (0, 0, 0):
            self._out(_color(self._fill_rgb, "rg"))
        self.x, self.y = self.l_margin, self.t_margin

    def cell(
        self, w: float, h: float, text: str = "", align: str = "L", *, new_x: XPos = XPos.RIGHT, new_y: YPos = YPos.TOP
    ) -> None:
        """A line of text in a cell ``w`` wide (0: to the right margin), broken onto a new page when it would
        cross the bottom margin, as fpdf2 does."""
        if w == 0:
            w = self.w - self.r_margin - self.x
        if self.y + h > self.page_break_trigger and not self._footers_drawn:
            x = self.x
            self.add_page()
            self.x = x
        if text:
            self._text(w, h, text, align)
        self.lasth = h
        self.x = self.l_margin if new_x is XPos.LMARGIN else self.x + w
        if new_y is YPos.NEXT:
            self.y += h

    def _text(self, w: float, h: float, text: str, align: str) -> None:
        font, size = self.current_font, self.font_size_pt
        width = sum(font.cw.get(char, 0) for char in text) * size / 1000 / K
        dx = {"C": (w - width) / 2, "R": w - self.c_margin - width}.get(align, self.c_margin)
        if self._page_font[self.page] != (font.fontkey, size):
            index = self._fonts.setdefault(font.fontkey, len(self._fonts) + 1)
            self._out(f"BT /F{index} {size:.2f} Tf ET")
            self._page_font[self.page] = (font.fontkey, size)
        escaped = text.replace("\\", "\\\\").replace(")", "\\)").replace("(", "\\(").replace("\r", "\\r")
        self._out(
            f"q BT {(self.x + dx) * K:.2f} {(self.h - self.y - 0.5 * h - 0.3 * self.font_size) * K:.2f} Td "
            f"{_color(self._text_rgb, 'rg')} ({escaped}) Tj ET Q"
        )

    def rect(self, x: float, y: float, w: float, h: float, style: str = "") -> None:
        operator = {"D": "S", "F": "f", "DF": "B", "FD": "B"}.get(style.upper(), "S")
        self._out(f"{x * K:.2f} {(self.h - y) * K:.2f} {w * K:.2f} {-h * K:.2f} re {operator}")

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self._out(f"{x1 * K:.2f} {(self.h - y1) * K:.2f} m {x2 * K:.2f} {(self.h - y2) * K:.2f} l S")

    def footer(self) -> None:
        """Drawn on every page once the page count is known (``{nb}`` in a footer's text is that count)."""

    def _out(self, operation: str) -> None:
        if self.page >= 0:
            self._pages[self.page].append(operation)

    # -- the file --

    def render(self) -> bytes:
        """The PDF file: the pages' footers, then one object per page, content, font and the document's info."""
        self._footers_drawn = True
        total = len(self._pages)
        for page in range(total):
            self.page = page
            start = len(self._pages[page])
            self.footer()
            self._pages[page][start:] = [op.replace("{nb}", str(total)) for op in self._pages[page][start:]]
        fonts = sorted(self._fonts.items(), key=lambda item: item[1])
        first_font = 3 + 2 * total
        resources = first_font + len(fonts)
        objects = [
            "<<\n/Count {}\n/Kids [{}]\n/MediaBox [0 0 {:.2f} {:.2f}]\n/Type /Pages\n>>".format(
                total, " ".join(f"{3 + 2 * n} 0 R" for n in range(total)), *A4
            ),
            f"<<\n/Lang {_text_string(self._lang)}\n/OpenAction [3 0 R /FitH null]\n/PageLayout /OneColumn\n"
            "/Pages 1 0 R\n/Type /Catalog\n>>",
        ]
        streams: dict[int, bytes] = {}
        for n, operations in enumerate(self._pages):
            objects.append(f"<<\n/Contents {4 + 2 * n} 0 R\n/Parent 1 0 R\n/Resources {resources} 0 R\n/Type /Page\n>>")
            streams[len(objects) + 1] = zlib.compress("\n".join(operations).encode("latin-1", "replace"))
            objects.append("")
        objects += [
            f"<<\n/BaseFont /{CORE_FONTS[key]}\n/Encoding /WinAnsiEncoding\n/Subtype /Type1\n/Type /Font\n>>"
            for key, _ in fonts
        ]
        objects.append(
            "<<\n/Font <<"
            + "\n".join(f"/F{i} {first_font + i - 1} 0 R" for _, i in fonts)
            + ">>\n/ProcSet [/PDF /Text /ImageB /ImageC /ImageI]\n>>"
        )
        objects.append("<<\n" + "".join(f"/{key} {_text_string(value)}\n" for key, value in self._info.items()) + ">>")
        out = bytearray(b"%PDF-1.4\n%\xe9\xeb\xf1\xbf\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            stream = streams.get(number)
            if stream is None:
                out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
            else:
                out += f"{number} 0 obj\n<<\n/Filter /FlateDecode\n/Length {len(stream)}\n>>\nstream\n".encode()
                out += stream + b"\nendstream\nendobj\n"
        digest = hashlib.md5(out, usedforsecurity=False).hexdigest().upper()
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
        out += (
            f"trailer\n<<\n/Size {len(objects) + 1}\n/Root 2 0 R\n/Info {len(objects)} 0 R\n"
            f"/ID [<{digest}><{digest}>]\n>>\nstartxref\n{xref}\n%%EOF\n"
        ).encode()
        return bytes(out)
