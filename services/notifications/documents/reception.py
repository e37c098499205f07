"""The documents for reception schools and operators (R14, R15, R19): a day's planning sheet (mail, PDF, CSV)
and the capacity-shortfall mail."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from fpdf.enums import TableCellFillMode
from fpdf.fonts import FontFace

from services.notifications.documents.formatting import (
    SIGNATURE,
    WEEKDAYS,
    format_date,
    format_time,
    local,
    one_line,
    opinion_label,
    plural,
    render,
)
from services.notifications.documents.mail import attach_csv, attach_pdf, message
from services.notifications.documents.pdf import FILL, INK, Sheet, pdf_text

CSV_COLUMNS = (
    "Date",
    "Heure de début",
    "Heure de fin",
    "Domaine",
    "Lieu",
    "Nom",
    "Prénom",
    "Collège d'origine",
    "UAI du collège d'origine",
    "Formation",
    "Avis du collège d'origine",
    "Commentaire du collège d'origine",
    "Identifiant de l'entretien",
)


@dataclass(frozen=True)
class SchoolName:
    uai: str
    name: str

    @property
    def shown(self) -> str:
        """A school as people read it: its name and its UAI; the UAI alone only when no name is known."""
        name = one_line(self.name)
        return f"{name} ({self.uai})" if name and name != self.uai else self.uai


@dataclass(frozen=True)
class SheetFormation:
    label: str
    origin_opinion: str | None
    origin_comment: str | None


@dataclass(frozen=True)
class SheetLine:
    interview_id: str
    starts_at: datetime
    ends_at: datetime
    domain_label: str
    place: str
    first_name: str
    last_name: str
    origin: SchoolName
    formations: tuple[SheetFormation, ...]


@dataclass(frozen=True)
class PlanningSheet:
    school: SchoolName
    day: date
    lines: tuple[SheetLine, ...]
    """In time order (``domain.planning_order``)."""
    updated: bool
    """It replaces a sheet of the same day that went out earlier."""


def _long_day(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {format_date(day)}"


def _pupil(line: SheetLine) -> str:
    return one_line(f"{line.first_name} {line.last_name.upper()}")


def _hours(line: SheetLine, tz: ZoneInfo) -> str:
    return f"{format_time(local(line.starts_at, tz))}–{format_time(local(line.ends_at, tz))}"


def _formation_text(f: SheetFormation) -> str:
    comment = one_line(f.origin_comment or "")
    text = f"{one_line(f.label)} – avis du collège : {opinion_label(f.origin_opinion)}"
    return f"{text} – « {comment} »" if comment else text


def planning_subject(sheet: PlanningSheet) -> str:
    kind = "Planning Passpro (mis à jour)" if sheet.updated else "Planning Passpro"
    return f"{kind} – {sheet.school.shown} – {_long_day(sheet.day)}"


def planning_csv(sheet: PlanningSheet, *, tz: ZoneInfo) -> bytes:
    """The day's interviews for a spreadsheet: ``;``, UTF-8 with a byte-order mark, dates DD/MM/YYYY.

    One row per formation of each interview, so that a column can be filtered and sorted.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in sheet.lines:
        start, end = local(line.starts_at, tz), local(line.ends_at, tz)
        for f in line.formations:
            writer.writerow(
                [
                    format_date(start.date()),
                    format_time(start),
                    format_time(end),
                    one_line(line.domain_label),
                    one_line(line.place),
                    one_line(line.last_name),
                    one_line(line.first_name),
                    one_line(line.origin.name),
                    line.origin.uai,
                    one_line(f.label),
                    opinion_label(f.origin_opinion),
                    one_line(f.origin_comment or ""),
                    line.interview_id,
                ]
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def planning_pdf(sheet: PlanningSheet, *, tz: ZoneInfo) -> bytes:
    """The printable sheet: per domain, one line per interview in time order, with the pupil's dossier."""
    pdf = Sheet("Planning Passpro")
    title = "Planning des entretiens Passpro" + (" (mis à jour)" if sheet.updated else "")
    pdf.masthead("Procédure Passpro post-3ème – établissement d'accueil", title)
    count = len(sheet.lines)
    pdf.facts(
        [
            ("Établissement d'accueil", sheet.school.shown),
            ("Journée", _long_day(sheet.day)),
            ("Entretiens", plural(count, "entretien", "entretiens") if count else "aucun entretien ce jour"),
        ],
        label_width=50,
    )
    pdf.ln(3)
    if sheet.updated:
        pdf.paragraph("Cette liste remplace celle envoyée précédemment pour cette journée.", style="B", size=10)
        pdf.ln(2)
    if not sheet.lines:
        pdf.paragraph("Plus aucun entretien n'est prévu ce jour-là dans votre établissement.")
        return pdf.render()
    pdf.paragraph(
        "Pour chaque élève : l'avis et le commentaire du collège d'origine sur chaque formation demandée, à "
        "consulter avant l'entretien. L'élève apporte une lettre de motivation par formation.",
        size=9.5,
        height=5,
    )
    headings = FontFace(emphasis="BOLD", color=INK, fill_color=FILL)
    for label, group in groupby(
        sorted(sheet.lines, key=lambda ln: (one_line(ln.domain_label), ln.starts_at)),
        key=lambda ln: one_line(ln.domain_label),
    ):
        lines = list(group)
        pdf.ln(5)
        pdf.heading(f"Domaine : {label}")
        pdf.set_font("Helvetica", size=9)
        with pdf.table(
            col_widths=(23, 30, 37, 80),
            text_align=("LEFT", "LEFT", "LEFT", "LEFT"),
            line_height=4.8,
            padding=1.2,
            headings_style=headings,
            cell_fill_mode=TableCellFillMode.NONE,
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            table.row(
                [
                    pdf_text(t)
                    for t in ("Horaire", "Élève", "Collège d'origine", "Formations, avis et commentaire du collège")
                ]
            )
            for line in lines:
                table.row(
                    [
                        pdf_text(_hours(line, tz)),
                        pdf_text(_pupil(line)),
                        pdf_text(line.origin.shown),
                        pdf_text("\n".join(_formation_text(f) for f in line.formations)),
                    ]
                )
        places = sorted({one_line(line.place) for line in lines})
        pdf.ln(2)
        pdf.paragraph("Lieu : " + " ; ".join(places), size=9, height=4.8)
    return pdf.render()


def sheet_rows(sheet: PlanningSheet, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The sheet's lines as text, in time order: for the mail's body and the operators' view."""
    return [
        {
            "hours": _hours(line, tz),
            "pupil": _pupil(line),
            "origin": line.origin.shown,
            "domain": one_line(line.domain_label),
            "place": one_line(line.place),
            "formations": [_formation_text(f) for f in line.formations],
        }
        for line in sheet.lines
    ]


def _sheet_context(sheet: PlanningSheet, tz: ZoneInfo) -> dict[str, Any]:
    lines = sheet_rows(sheet, tz)
    return {
        "school": sheet.school.shown,
        "day": _long_day(sheet.day),
        "updated": sheet.updated,
        "lines": lines,
        "count": plural(len(lines), "entretien", "entretiens"),
        "signature": SIGNATURE,
    }


def planning_mail(
    sheet: PlanningSheet, *, tz: ZoneInfo, sender: str, recipients: Sequence[str], message_id: str
) -> EmailMessage:
    """R19 for reception schools: who comes on the day, with their dossiers, as a PDF to print and a CSV."""
    msg = message(
        subject=planning_subject(sheet),
        body=render("planning.txt.j2", _sheet_context(sheet, tz)),
        sender=sender,
        recipients=recipients,
        message_id=message_id,
    )
    attach_pdf(msg, planning_pdf(sheet, tz=tz), "planning.pdf")
    attach_csv(msg, planning_csv(sheet, tz=tz), "planning.csv")
    return msg


@dataclass(frozen=True)
class Shortfall:
    domain_label: str
    waiting_pupils: int
    first_possible_on: date | None
    """R17: the first day an interview booked now could take place; None when no day of the window remains."""
    interviews_end_on: date
    reception_schools: tuple[SchoolName, ...]


def shortfall_subject(s: Shortfall) -> str:
    waiting = plural(s.waiting_pupils, "élève en attente", "élèves en attente")
    return f"Manque de places Passpro – {one_line(s.domain_label)} – {waiting}"


def shortfall_mail(s: Shortfall, *, sender: str, recipients: Sequence[str], message_id: str) -> EmailMessage:
    """R15: the reception schools of a domain (and operators) learn that pupils wait for lack of seats."""
    context = {
        "domain": one_line(s.domain_label),
        "waiting": plural(s.waiting_pupils, "élève attend", "élèves attendent"),
        "first_day": _long_day(s.first_possible_on) if s.first_possible_on else None,
        "end": format_date(s.interviews_end_on),
        "schools": [school.shown for school in s.reception_schools],
        "signature": SIGNATURE,
    }
    return message(
        subject=shortfall_subject(s),
        body=render("shortfall.txt.j2", context),
        sender=sender,
        recipients=recipients,
        message_id=message_id,
    )
