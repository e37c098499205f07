"""What every document about one interview says (R19-R21, R23): when and where, the formations, the letters to
bring, what to do when the pupil cannot come; shared by the convocation, its correction, its cancellation, the
reminder and the calendar entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from services.notifications.documents.facts import Convocation
from services.notifications.documents.formatting import (
    SIGNATURE,
    WEEKDAYS,
    address_line,
    format_date,
    format_time,
    letters,
    local,
    one_line,
    pupil_name,
    school_label,
)

CORRECTED = (
    "Cette convocation remplace la précédente : la liste des formations a changé (une candidature a été "
    "retirée). La date, l'heure et le lieu de l'entretien ne changent pas."
)

# R21: the 2012 no-shows are the procedure's weak point; said plainly, for a family.
ABSENCE_MEANS = (
    "Venir à l'entretien compte : sans entretien, le lycée d'accueil ne peut pas donner son avis, et l'élève "
    "n'aura alors ni avis final ni bonus Passpro dans Affelnet pour ces formations. En 2012, plus de 30 % des "
    "élèves convoqués ne sont pas venus, et ces places ont manqué à d'autres élèves : prévenir à temps permet de "
    "proposer un autre rendez-vous."
)


@dataclass(frozen=True)
class When:
    weekday: str
    day: str
    start: str
    end: str

    @property
    def long_day(self) -> str:
        return f"{self.weekday} {self.day}"


def when(c: Convocation, tz: tzinfo) -> When:
    start, end = local(c.starts_at, tz), local(c.ends_at, tz)
    return When(
        weekday=WEEKDAYS[start.weekday()], day=format_date(start.date()), start=format_time(start), end=format_time(end)
    )


def cannot_come(c: Convocation) -> str:
    """R21: what to do when the pupil cannot come."""
    return (
        f"Si l'élève ne peut pas venir, merci de prévenir au plus tôt son établissement d'origine, "
        f"{school_label(c.origin)}, qui peut demander un nouvel entretien tant que la période des entretiens "
        f"n'est pas terminée (jusqu'au {format_date(c.interviews_end_on)})."
    )


def convocation_context(c: Convocation, tz: tzinfo) -> dict[str, Any]:
    """The facts of an interview as the mail templates and the PDF show them."""
    formations = [one_line(label) for label in c.formation_labels]
    return {
        "pupil_name": pupil_name(c.pupil),
        "domain": one_line(c.domain_label),
        "when": when(c, tz),
        "place": one_line(c.place),
        "school_name": one_line(c.reception.name),
        "school": school_label(c.reception),
        "school_address": address_line(c.reception.address),
        "origin": school_label(c.origin),
        "referent_name": one_line(c.referent.name) or one_line(c.referent.email),
        "formations": formations,
        "letters": letters(len(formations)),
        "corrected": CORRECTED if c.corrected else None,
        "cannot_come": cannot_come(c),
        "absence_means": ABSENCE_MEANS,
        "signature": SIGNATURE,
    }


def interview_subject(kind: str, c: Convocation, tz: tzinfo) -> str:
    """``<kind> – <domain> – <pupil> – <dd/mm/yyyy> <HHhMM>``: the same shape for every mail about an interview."""
    moment = when(c, tz)
    return f"{kind} – {one_line(c.domain_label)} – {pupil_name(c.pupil)} – {moment.day} {moment.start}"
