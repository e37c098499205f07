"""The cancellation (R10, R19): the mail saying an interview is cancelled and why, withdrawing its calendar entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from services.notifications.documents.calendar import interview_ics
from services.notifications.documents.facts import Convocation
from services.notifications.documents.formatting import render
from services.notifications.documents.interview import convocation_context, interview_subject
from services.notifications.documents.mail import attach_ics, message


@dataclass(frozen=True)
class _Reason:
    motive: str
    next_step: str


CANCELLATION_REASONS: dict[str, _Reason] = {
    "candidacies_withdrawn": _Reason(
        "les candidatures de l'élève dans ce domaine ont été retirées",
        "Aucun autre entretien n'est prévu dans ce domaine.",
    ),
    "slot_cancelled": _Reason(
        "le lycée d'accueil a annulé ce créneau d'entretien",
        "L'élève n'a rien à faire : une nouvelle convocation vous sera envoyée dès qu'un nouvel entretien sera "
        "fixé. Si aucune place n'est libre pour le moment, l'élève reste inscrit en attente d'un entretien et "
        "l'établissement d'origine en sera informé.",
    ),
    "rescheduled": _Reason(
        "l'entretien a été déplacé pour que l'élève puisse passer tous ses entretiens",
        "Une nouvelle convocation, avec la nouvelle date, vous est envoyée séparément.",
    ),
}
GENERIC_CANCELLATION = _Reason(
    "l'entretien a été annulé dans le cadre de l'organisation de la procédure Passpro",
    "Si un nouvel entretien est fixé, une nouvelle convocation vous sera envoyée.",
)


def cancellation_mail(
    c: Convocation, reason: str, *, tz: ZoneInfo, sender: str, recipients: Sequence[str], message_id: str
) -> EmailMessage:
    """R10, R19: an interview is cancelled, and why; its calendar entry is withdrawn (``c.sequence`` must have grown).

    An unknown reason code is worded generically, never shown as is.
    """
    why = CANCELLATION_REASONS.get(reason, GENERIC_CANCELLATION)
    context = convocation_context(c, tz) | {"reason": why.motive, "follow_up": why.next_step}
    msg = message(
        subject=interview_subject("Annulation Passpro", c, tz),
        body=render("cancellation.txt.j2", context),
        sender=sender,
        recipients=recipients,
        message_id=message_id,
    )
    attach_ics(msg, interview_ics(c, "CANCEL", tz), "CANCEL")
    return msg
