"""The documents for reception schools and operators: the planning sheet's mail, PDF and CSV (R14, R19), the
shortfall mail (R15)."""

from __future__ import annotations

import csv
import email
import email.policy
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from services.notifications.documents import (
    PlanningSheet,
    SchoolName,
    SheetFormation,
    SheetLine,
    Shortfall,
    planning_csv,
    planning_mail,
    planning_pdf,
    shortfall_mail,
)

PARIS = ZoneInfo("Europe/Paris")
LYCEE = SchoolName("0940115P", "Lycée Val de Bièvre")
COLLEGE = SchoolName("0930122C", "Collège Jean Jaurès")


def line(first: str, last: str, hour: int, *formations: SheetFormation) -> SheetLine:
    start = datetime(2013, 4, 2, hour, 0, tzinfo=PARIS)  # after the change to summer time (R20c)
    return SheetLine(
        f"id-{last}",
        start,
        start + timedelta(minutes=30),
        "Hôtellerie-restauration",
        "Salle 12",
        first,
        last,
        COLLEGE,
        formations,
    )


SHEET = PlanningSheet(
    LYCEE,
    date(2013, 4, 2),
    (
        line(
            "Inès",
            "Lefèvre",
            9,
            SheetFormation("CAP Cuisine", "favorable", "Élève motivée ; stage en cuisine."),
            SheetFormation("Bac pro Cuisine", "reserve", None),
        ),
        line("Théo", "Dubreuil", 10, SheetFormation("CAP Cuisine", "assez_favorable", "Assidu")),
    ),
    updated=False,
)


def test_r19_the_csv_opens_in_a_french_spreadsheet_one_row_per_formation() -> None:
    data = planning_csv(SHEET, tz=PARIS)

    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Heure de début", "Heure de fin"]
    assert rows[1][:8] == [
        "02/04/2013",
        "09h00",
        "09h30",
        "Hôtellerie-restauration",
        "Salle 12",
        "Lefèvre",
        "Inès",
        "Collège Jean Jaurès",
    ]
    assert rows[1][8:12] == ["0930122C", "CAP Cuisine", "Favorable", "Élève motivée ; stage en cuisine."]
    assert rows[2][9:12] == ["Bac pro Cuisine", "Réservé", ""]
    assert rows[3][1] == "10h00" and rows[3][5] == "Dubreuil"
    assert len(rows) == 4


def test_r19_the_pdf_lists_each_interview_with_its_time_pupil_origin_school_and_dossier() -> None:
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(planning_pdf(SHEET, tz=PARIS))).pages
    )

    assert "Lycée Val de Bièvre (0940115P)" in text
    assert "mardi 02/04/2013" in text
    assert "09h00-09h30" in text  # the core font has no en dash: printed as a hyphen
    assert "Inès LEFÈVRE" in text
    assert "Collège Jean Jaurès (0930122C)" in text
    assert "avis du collège : Favorable" in text
    assert "Élève motivée" in text
    assert text.index("LEFÈVRE") < text.index("DUBREUIL")


def test_r19_the_mail_goes_with_both_files_and_an_updated_sheet_says_so() -> None:
    first = planning_mail(
        SHEET,
        tz=PARIS,
        sender="passpro@ac-creteil.fr",
        recipients=["ce.0940115p@ac-creteil.fr"],
        message_id="<p1@passpro>",
    )
    again = planning_mail(
        PlanningSheet(LYCEE, SHEET.day, SHEET.lines[1:], updated=True),
        tz=PARIS,
        sender="passpro@ac-creteil.fr",
        recipients=["ce.0940115p@ac-creteil.fr"],
        message_id="<p2@passpro>",
    )

    parsed = email.message_from_bytes(first.as_bytes(), policy=email.policy.default)
    assert str(parsed["Subject"]).startswith("Planning Passpro – Lycée Val de Bièvre (0940115P)")
    assert {p.get_filename() for p in parsed.iter_attachments()} == {"planning.pdf", "planning.csv"}
    assert "09h00–09h30 : Inès LEFÈVRE, Collège Jean Jaurès (0930122C)" in parsed.get_body(("plain",)).get_content()
    reparsed = email.message_from_bytes(again.as_bytes(), policy=email.policy.default)
    assert str(reparsed["Subject"]).startswith("Planning Passpro (mis à jour)")
    assert "remplace la précédente" in reparsed.get_body(("plain",)).get_content()


def test_r19_an_emptied_day_says_no_interview_remains() -> None:
    mail = planning_mail(
        PlanningSheet(LYCEE, SHEET.day, (), updated=True),
        tz=PARIS,
        sender="p@a.fr",
        recipients=["ce.0940115p@ac-creteil.fr"],
        message_id="<p3@passpro>",
    )

    assert "Plus aucun entretien" in mail.get_body(("plain",)).get_content()
    pdf = next(p for p in mail.iter_attachments() if p.get_filename() == "planning.pdf").get_content()
    assert "aucun entretien" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_r15_the_shortfall_mail_says_the_domain_how_many_wait_and_the_first_possible_day() -> None:
    mail = shortfall_mail(
        Shortfall("Hôtellerie-restauration", 7, date(2013, 3, 18), date(2013, 4, 17), (LYCEE,)),
        sender="p@a.fr",
        recipients=["ce.0940115p@ac-creteil.fr"],
        message_id="<s1@passpro>",
    )

    body = mail.get_body(("plain",)).get_content()
    assert str(mail["Subject"]).startswith("Manque de places Passpro – Hôtellerie-restauration – 7 élèves")
    assert "7 élèves attendent" in body
    assert "lundi 18/03/2013" in body
    assert "Lycée Val de Bièvre (0940115P)" in body


def test_r15_r17_with_no_day_left_the_shortfall_mail_asks_the_operators_for_a_solution() -> None:
    mail = shortfall_mail(
        Shortfall("Hôtellerie-restauration", 1, None, date(2013, 4, 17), (LYCEE,)),
        sender="p@a.fr",
        recipients=["saio@ac-creteil.fr"],
        message_id="<s2@passpro>",
    )

    body = mail.get_body(("plain",)).get_content()
    assert "1 élève attend" in body
    assert "Aucun jour de la période des entretiens (jusqu'au 17/04/2013)" in body
