"""Reminders: the interview reminder to the family's side (R20, R20b) and the overdue reports reminder to a
reception school (R22)."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from itertools import groupby
from zoneinfo import ZoneInfo

from services.notifications.documents.facts import Convocation, OverdueInterview, School
from services.notifications.documents.formatting import (
    SIGNATURE,
    aware,
    format_date,
    format_time,
    local,
    one_line,
    plural,
    pupil_name,
    render,
)
from services.notifications.documents.interview import convocation_context, interview_subject
from services.notifications.documents.mail import message


def interview_reminder_mail(
    c: Convocation, *, tz: ZoneInfo, sender: str, recipients: Sequence[str], message_id: str
) -> EmailMessage:
    """R20: a reminder shortly before the interview, with its motivation letters."""
    return message(
        subject=interview_subject("Rappel Passpro", c, tz),
        body=render("reminder.txt.j2", convocation_context(c, tz)),
        sender=sender,
        recipients=recipients,
        message_id=message_id,
    )


def overdue_reminder_mail(
    school: School,
    overdue: Sequence[OverdueInterview],
    *,
    tz: ZoneInfo,
    sender: str,
    recipients: Sequence[str],
    message_id: str,
) -> EmailMessage:
    """A reception school is asked to enter the reports of its past interviews, grouped by domain."""
    if not overdue:
        raise ValueError("an overdue reminder needs at least one overdue interview")
    ordered = sorted(
        overdue,
        key=lambda o: (one_line(o.domain_label), aware(o.starts_at), one_line(o.pupil.last_name), o.interview_id),
    )
    groups = []
    for label, items in groupby(ordered, key=lambda o: one_line(o.domain_label)):
        rows = []
        for o in items:
            start = local(o.starts_at, tz)
            rows.append(
                {
                    "day": format_date(start.date()),
                    "start": format_time(start),
                    "pupil_name": pupil_name(o.pupil),
                    "due_on": format_date(o.due_on),
                }
            )
        groups.append({"label": label, "interviews": rows})
    count = len(ordered)
    context = {
        "school_name": one_line(school.name),
        "school_uai": one_line(school.uai),
        "count": count,
        "reports": plural(count, "compte rendu d'entretien", "comptes rendus d'entretien"),
        "groups": groups,
        "signature": SIGNATURE,
    }
    return message(
        subject=f"Relance Passpro – {context['reports']} à saisir – {one_line(school.name)}",
        body=render("overdue.txt.j2", context),
        sender=sender,
        recipients=recipients,
        message_id=message_id,
    )
