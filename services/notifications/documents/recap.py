"""The recap sheet (R26-R28): per domain the interview and its report, per formation the two opinions and the final
one, then what turns them into Affelnet bonuses; as a mail to the origin school and its PDF."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from fpdf.enums import TableCellFillMode
from fpdf.fonts import FontFace

from services.notifications.documents.facts import AffelnetDates, Recap, RecapDomain, RecapLine
from services.notifications.documents.formatting import (
    SIGNATURE,
    WEEKDAYS,
    format_date,
    format_time,
    local,
    one_line,
    opinion_label,
    pupil_name,
    render,
    school_label,
)
from services.notifications.documents.mail import attach_pdf, message
from services.notifications.documents.pdf import FILL, INK, Sheet, pdf_text

ABSENT = "Élève absent à l'entretien"
REPORT_PENDING = "Compte rendu en attente"
WITHDRAWN = "Candidature retirée"
NO_FINAL_WITHDRAWN = "Aucun, pas de bonus"
ALL_WITHDRAWN = "Candidatures retirées : pas d'avis final ni de bonus Affelnet pour ce domaine"
ABSENT_MEANS = "Sans entretien, le lycée d'accueil ne donne pas d'avis : pas d'avis final ni de bonus Affelnet."


def _domain_status(d: RecapDomain) -> tuple[str, str | None]:
    """What the recap says of an interview: a status line and, when there is one, the report."""
    if d.attended is False:
        return f"{ABSENT}. {ABSENT_MEANS}", None
    report = (d.report or "").strip()
    if report:
        return "Élève présent à l'entretien", report
    if d.lines and all(line.withdrawn for line in d.lines):
        return ALL_WITHDRAWN, None
    return REPORT_PENDING, None


def _recap_line(line: RecapLine) -> dict[str, str]:
    """R26: a withdrawn candidacy stays listed, with no reception or final opinion and no bonus."""
    if line.withdrawn:
        return {
            "formation": f"{one_line(line.formation_label)} ({WITHDRAWN.lower()})",
            "origin": opinion_label(line.origin_opinion),
            "reception": "-",
            "final": NO_FINAL_WITHDRAWN,
        }
    return {
        "formation": one_line(line.formation_label),
        "origin": opinion_label(line.origin_opinion),
        "reception": opinion_label(line.reception_opinion),
        "final": opinion_label(line.final_opinion),
    }


def _next_steps(dates: AffelnetDates) -> list[str]:
    """R27, R28: what turns the final opinions into bonuses, with the campaign's dates."""
    return [
        "La famille confirme le choix de chaque formation qu'elle souhaite demander : sans cette confirmation, "
        "l'avis final ne donne pas de bonus.",
        f"L'établissement d'origine saisit les vœux dans Affelnet du {format_date(dates.entry_starts_on)} au "
        f"{format_date(dates.wish_deadline)} inclus ; les vœux soumis à commission doivent être saisis au plus tard "
        f"le {format_date(dates.commission_wish_deadline)}.",
        "L'avis final devient alors un bonus dans Affelnet, quel que soit le rang du vœu. Une candidature retirée "
        "ne donne ni avis final ni bonus.",
    ]


def _recap_context(r: Recap, tz: tzinfo) -> dict[str, Any]:
    domains = []
    for d in r.domains:
        status, report = _domain_status(d)
        interview = None
        if d.interview_at is not None:
            start = local(d.interview_at, tz)
            interview = f"{WEEKDAYS[start.weekday()]} {format_date(start.date())} à {format_time(start)}"
        domains.append(
            {
                "label": one_line(d.domain_label),
                "status": status,
                "report": report,
                "reception": school_label(d.reception) if d.reception else None,
                "interview": interview,
                "lines": [_recap_line(line) for line in d.lines],
            }
        )
    return {
        "pupil_name": pupil_name(r.pupil),
        "ine": one_line(r.pupil.ine),
        "origin": school_label(r.origin),
        "domains": domains,
        "next_steps": _next_steps(r.affelnet),
        "signature": SIGNATURE,
    }


def recap_mail(r: Recap, *, tz: ZoneInfo, sender: str, recipients: Sequence[str], message_id: str) -> EmailMessage:
    """R26-R28: the pupil's recap sheet, for the origin school, with its PDF; never without a domain."""
    if not r.domains:
        raise ValueError("a recap sheet needs at least one domain")
    msg = message(
        subject=f"Fiche récapitulative Passpro – {pupil_name(r.pupil)}",
        body=render("recap.txt.j2", _recap_context(r, tz)),
        sender=sender,
        recipients=recipients,
        message_id=message_id,
    )
    attach_pdf(msg, recap_pdf(r, tz=tz), "fiche-recapitulative.pdf")
    return msg


def recap_pdf(r: Recap, *, tz: ZoneInfo) -> bytes:
    """R26-R28: the recap sheet: per domain the interview and its report, per formation the two opinions and the
    final one (a withdrawn candidacy marked so), then what turns them into Affelnet bonuses."""
    if not r.domains:
        raise ValueError("a recap sheet needs at least one domain")
    ctx = _recap_context(r, tz)
    pdf = Sheet("Fiche récapitulative Passpro")
    pdf.masthead("Procédure Passpro post-3ème", "Fiche récapitulative Passpro")
    pdf.facts(
        [
            ("Élève", ctx["pupil_name"]),
            ("INE", ctx["ine"]),
            ("Établissement d'origine", ctx["origin"]),
        ],
        label_width=50,
    )
    pdf.ln(3)
    pdf.paragraph(
        "Pour chaque domaine : le compte rendu de l'entretien et, pour chaque formation, l'avis du collège "
        "d'origine, l'avis du lycée d'accueil et l'avis final qui en résulte.",
        size=9.5,
        height=5,
    )
    headings = FontFace(emphasis="BOLD", color=INK, fill_color=FILL)
    for domain in ctx["domains"]:
        pdf.ln(6)
        pdf.heading(f"Domaine : {domain['label']}")
        interview = [("Lycée d'accueil", domain["reception"])] if domain["reception"] else []
        interview += [("Entretien", domain["interview"])] if domain["interview"] else []
        if interview:
            pdf.facts(interview, label_width=40)
            pdf.ln(1)
        pdf.paragraph(domain["status"], style="B")
        if domain["report"]:
            pdf.ln(1)
            pdf.paragraph("Compte rendu de l'entretien :", size=9.5, style="I", height=5)
            pdf.paragraph(domain["report"], size=10)
        if domain["lines"]:
            pdf.ln(3)
            pdf.set_font("Helvetica", size=9.5)
            with pdf.table(
                col_widths=(40, 20, 20, 20),
                text_align=("LEFT", "CENTER", "CENTER", "CENTER"),
                line_height=5.5,
                padding=1.5,
                headings_style=headings,
                cell_fill_mode=TableCellFillMode.NONE,
                borders_layout="HORIZONTAL_LINES",
            ) as table:
                table.row(
                    [
                        pdf_text(t)
                        for t in ("Formation", "Avis du collège d'origine", "Avis du lycée d'accueil", "Avis final")
                    ]
                )
                for line in domain["lines"]:
                    row = table.row()
                    for key in ("formation", "origin", "reception"):
                        row.cell(pdf_text(line[key]))
                    row.cell(pdf_text(line["final"]), style=FontFace(emphasis="BOLD"))
    pdf.ln(6)
    pdf.heading("Et maintenant : la confirmation des vœux et Affelnet")
    for step in ctx["next_steps"]:
        pdf.set_font("Helvetica", size=10.5)
        pdf.cell(6, 5.5, "-")
        pdf.lines(0, 5.5, step)
        pdf.ln(1)
    return pdf.render()
