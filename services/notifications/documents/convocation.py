"""The convocation (R19-R21, R23): the mail to the origin school and the referent, its printable PDF and its
calendar entry; a corrected one replaces it when a formation is withdrawn."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from services.notifications.documents.calendar import interview_ics
from services.notifications.documents.facts import Convocation
from services.notifications.documents.formatting import render
from services.notifications.documents.interview import CORRECTED, When, convocation_context, interview_subject
from services.notifications.documents.mail import attach_ics, attach_pdf, message
from services.notifications.documents.pdf import PlainSheet


def _convocation_kind(c: Convocation) -> str:
    """The subject still starts ``Convocation Passpro``, so mail rules that file convocations keep working."""
    return "Convocation Passpro (modifiée)" if c.corrected else "Convocation Passpro"


def convocation_mail(
    c: Convocation, *, tz: ZoneInfo, sender: str, recipients: Sequence[str], message_id: str
) -> EmailMessage:
    """R19-R21, R23: the convocation, for the origin school and the referent, with its PDF and calendar entry.

    A corrected one (``c.corrected``) replaces the previous: same calendar UID, a higher ``c.sequence``.
    """
    msg = message(
        subject=interview_subject(_convocation_kind(c), c, tz),
        body=render("convocation.txt.j2", convocation_context(c, tz)),
        sender=sender,
        recipients=recipients,
        message_id=message_id,
    )
    attach_pdf(msg, convocation_pdf(c, tz=tz), "convocation.pdf")
    attach_ics(msg, interview_ics(c, "REQUEST", tz), "REQUEST")
    return msg


def convocation_pdf(c: Convocation, *, tz: ZoneInfo) -> bytes:
    """R19-R21, R23: the one-page convocation a family can print and keep."""
    ctx = convocation_context(c, tz)
    when: When = ctx["when"]
    pdf = PlainSheet("Convocation Passpro")
    title = "Convocation à un entretien d'information Passpro"
    if c.corrected:
        title = "Convocation modifiée - entretien Passpro"  # one line, so the sheet stays on one page
    pdf.masthead("Procédure Passpro post-3ème", title)
    if c.corrected:
        pdf.paragraph(CORRECTED, size=10, style="B", height=5)
        pdf.ln(2)
    pdf.paragraph(
        f"{ctx['pupil_name']} est convoqué(e) à un entretien d'information au lycée d'accueil "
        f"pour le domaine professionnel «\u00a0{ctx['domain']}\u00a0»."
    )
    pdf.ln(4)
    pdf.facts(
        [
            ("Élève", ctx["pupil_name"]),
            ("Domaine professionnel", ctx["domain"]),
            ("Date", when.long_day),
            ("Horaire", f"de {when.start} à {when.end}"),
            ("Lieu", ctx["place"]),
            ("Lycée d'accueil", ctx["school"]),
            ("Adresse", ctx["school_address"]),
            ("Établissement d'origine", ctx["origin"]),
            ("Personne référente", ctx["referent_name"]),
        ]
    )
    pdf.ln(5)
    pdf.boxed(
        "Formations concernées",
        ctx["formations"],
        f"Apporter une lettre de motivation par formation, soit {ctx['letters']}.",
    )
    pdf.ln(4)
    pdf.heading("L'entretien")
    pdf.paragraph(
        "Cet entretien sert à informer l'élève sur les formations qu'il ou elle a demandées et à échanger "
        "sur sa motivation. Il ne porte pas sur son comportement."
    )
    pdf.ln(2)
    pdf.paragraph("Merci de se présenter quelques minutes avant l'heure indiquée, muni(e) de cette convocation.")
    pdf.ln(4)
    pdf.heading("En cas d'empêchement", keep_with=40)
    pdf.paragraph(ctx["cannot_come"], size=10, height=5)
    pdf.ln(1.5)
    pdf.paragraph(ctx["absence_means"], size=10, height=5)
    pdf.ln(4)
    pdf.paragraph("Document à conserver par la famille.", size=9.5, style="I")
    return pdf.render()
