"""The documents the notifications service sends (R19-R21, R23, R26-R28): e-mails, PDF sheets, calendar entries.

Pure rendering: the functions below turn plain values into an ``EmailMessage``, PDF bytes or iCalendar bytes.
They read their Jinja2 templates and nothing else; they never read the clock (the sender adds the ``Date``
header) and never log, since everything they handle is about minors.

Times are shown in the campaign's timezone, given as ``tz`` (R20c: the 2013 window crosses the change to
summer time). PDFs use the core Helvetica font, which only covers Latin-1: every text goes through
``pdf_text`` first, so a name in another script prints with ``?`` instead of failing.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from email.header import Header
from email.message import EmailMessage
from itertools import groupby
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace
from icalendar import Calendar, Event, Timezone, vCalAddress, vText
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

__all__ = [
    "OPINION_LABELS",
    "AffelnetDates",
    "Convocation",
    "OverdueInterview",
    "Pupil",
    "Recap",
    "RecapDomain",
    "RecapLine",
    "Referent",
    "School",
    "cancellation_mail",
    "convocation_ics",
    "convocation_mail",
    "convocation_pdf",
    "interview_reminder_mail",
    "overdue_reminder_mail",
    "pdf_text",
    "recap_mail",
    "recap_pdf",
]


@dataclass(frozen=True)
class School:
    uai: str
    name: str
    address: str


@dataclass(frozen=True)
class Pupil:
    ine: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class Referent:
    name: str
    email: str


@dataclass(frozen=True)
class Convocation:
    """An interview as its convocation, correction, cancellation or reminder shows it.

    ``organizer`` is the reception school's mailbox (the calendar ORGANIZER), ``stamped_at`` when this invitation
    was made (the calendar DTSTAMP: booking, correction or cancellation), ``interviews_end_on`` the last day a new
    interview can take place (R21); ``corrected`` marks a convocation that replaces an earlier one.
    """

    interview_id: str
    pupil: Pupil
    domain_label: str
    starts_at: datetime
    ends_at: datetime
    place: str
    reception: School
    formation_labels: tuple[str, ...]
    origin: School
    referent: Referent
    organizer: str
    stamped_at: datetime
    interviews_end_on: date
    sequence: int = 0
    corrected: bool = False


@dataclass(frozen=True)
class RecapLine:
    formation_label: str
    origin_opinion: str | None
    reception_opinion: str | None
    final_opinion: str | None
    withdrawn: bool = False


@dataclass(frozen=True)
class RecapDomain:
    """A domain of the recap: its interview (reception school and start, when one was booked) and its formations."""

    domain_label: str
    attended: bool | None
    report: str | None
    lines: tuple[RecapLine, ...]
    reception: School | None = None
    interview_at: datetime | None = None


@dataclass(frozen=True)
class AffelnetDates:
    """R28: when wishes are entered in Affelnet; commission wishes have an earlier deadline."""

    entry_starts_on: date
    commission_wish_deadline: date
    wish_deadline: date


@dataclass(frozen=True)
class Recap:
    pupil: Pupil
    origin: School
    domains: tuple[RecapDomain, ...]
    affelnet: AffelnetDates


@dataclass(frozen=True)
class OverdueInterview:
    interview_id: str
    pupil: Pupil
    domain_label: str
    starts_at: datetime
    due_on: date


OPINION_LABELS: dict[str, str] = {
    "tres_favorable": "Très favorable",
    "favorable": "Favorable",
    "assez_favorable": "Assez favorable",
    "peu_favorable": "Peu favorable",
    "reserve": "Réservé",
}

PENDING_OPINION = "en attente"
ABSENT = "Élève absent à l'entretien"
REPORT_PENDING = "Compte rendu en attente"

WITHDRAWN = "Candidature retirée"
NO_FINAL_WITHDRAWN = "Aucun, pas de bonus"
ALL_WITHDRAWN = "Candidatures retirées : pas d'avis final ni de bonus Affelnet pour ce domaine"
CORRECTED = (
    "Cette convocation remplace la précédente : la liste des formations a changé (une candidature a été "
    "retirée). La date, l'heure et le lieu de l'entretien ne changent pas."
)
ABSENT_MEANS = "Sans entretien, le lycée d'accueil ne donne pas d'avis : pas d'avis final ni de bonus Affelnet."


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

ICS_DOMAIN = "passpro.ac-creteil.fr"
ICS_METHODS = frozenset({"REQUEST", "CANCEL", "PUBLISH"})
PRODID = "-//Academie de Creteil//Passpro post-3eme//FR"

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_SIGNATURE = "Le service Passpro post-3ème\nAcadémie de Créteil"

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "xml"), default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


# --- formatting -------------------------------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an interview time must carry its offset")
    return moment


def _local(moment: datetime, tz: tzinfo) -> datetime:
    return _aware(moment).astimezone(tz)


def _date(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _time(moment: datetime) -> str:
    return f"{moment.hour:02d}h{moment.minute:02d}"


def _one_line(text: str) -> str:
    """Whitespace and line breaks collapsed: for headers, lists and one-line fields."""
    return " ".join(text.split())


def _address(text: str) -> str:
    """A postal address on one line, its lines separated by commas."""
    lines = [_one_line(line).strip(" ,") for line in text.splitlines()]
    return ", ".join(line for line in lines if line)


def _name(pupil: Pupil) -> str:
    return _one_line(f"{pupil.first_name} {pupil.last_name}")


def _opinion(code: str | None) -> str:
    if not code:
        return PENDING_OPINION
    return OPINION_LABELS.get(code, code)


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _letters(count: int) -> str:
    return _plural(count, "lettre de motivation", "lettres de motivation")


@dataclass(frozen=True)
class _When:
    weekday: str
    day: str
    start: str
    end: str

    @property
    def long_day(self) -> str:
        return f"{self.weekday} {self.day}"


def _when(c: Convocation, tz: tzinfo) -> _When:
    start, end = _local(c.starts_at, tz), _local(c.ends_at, tz)
    return _When(weekday=_WEEKDAYS[start.weekday()], day=_date(start.date()), start=_time(start), end=_time(end))


def school_label(school: School) -> str:
    """A school as people read it: its name with the UAI, or the UAI alone when the directory lacks the name."""
    uai, name = _one_line(school.uai), _one_line(school.name)
    return f"{name} (UAI {uai})" if name and name != uai else f"UAI {uai}"


def _cannot_come(c: Convocation) -> str:
    """R21: what to do when the pupil cannot come."""
    return (
        f"Si l'élève ne peut pas venir, merci de prévenir au plus tôt son établissement d'origine, "
        f"{school_label(c.origin)}, qui peut demander un nouvel entretien tant que la période des entretiens "
        f"n'est pas terminée (jusqu'au {_date(c.interviews_end_on)})."
    )


# R21: the 2012 no-shows are the procedure's weak point; said plainly, for a family.
ABSENCE_MEANS = (
    "Venir à l'entretien compte : sans entretien, le lycée d'accueil ne peut pas donner son avis, et l'élève "
    "n'aura alors ni avis final ni bonus Passpro dans Affelnet pour ces formations. En 2012, plus de 30 % des "
    "élèves convoqués ne sont pas venus, et ces places ont manqué à d'autres élèves : prévenir à temps permet de "
    "proposer un autre rendez-vous."
)


def _convocation_context(c: Convocation, tz: tzinfo) -> dict[str, Any]:
    formations = [_one_line(label) for label in c.formation_labels]
    return {
        "pupil_name": _name(c.pupil),
        "domain": _one_line(c.domain_label),
        "when": _when(c, tz),
        "place": _one_line(c.place),
        "school_name": _one_line(c.reception.name),
        "school": school_label(c.reception),
        "school_address": _address(c.reception.address),
        "origin": school_label(c.origin),
        "referent_name": _one_line(c.referent.name) or _one_line(c.referent.email),
        "formations": formations,
        "letters": _letters(len(formations)),
        "corrected": CORRECTED if c.corrected else None,
        "cannot_come": _cannot_come(c),
        "absence_means": ABSENCE_MEANS,
        "signature": _SIGNATURE,
    }


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
        return {"formation": f"{_one_line(line.formation_label)} ({WITHDRAWN.lower()})",
                "origin": _opinion(line.origin_opinion), "reception": "-", "final": NO_FINAL_WITHDRAWN}
    return {
        "formation": _one_line(line.formation_label),
        "origin": _opinion(line.origin_opinion),
        "reception": _opinion(line.reception_opinion),
        "final": _opinion(line.final_opinion),
    }


def _next_steps(dates: AffelnetDates) -> list[str]:
    """R27, R28: what turns the final opinions into bonuses, with the campaign's dates."""
    return [
        "La famille confirme le choix de chaque formation qu'elle souhaite demander : sans cette confirmation, "
        "l'avis final ne donne pas de bonus.",
        f"L'établissement d'origine saisit les vœux dans Affelnet du {_date(dates.entry_starts_on)} au "
        f"{_date(dates.wish_deadline)} inclus ; les vœux soumis à commission doivent être saisis au plus tard "
        f"le {_date(dates.commission_wish_deadline)}.",
        "L'avis final devient alors un bonus dans Affelnet, quel que soit le rang du vœu. Une candidature retirée "
        "ne donne ni avis final ni bonus.",
    ]


def _recap_context(r: Recap, tz: tzinfo) -> dict[str, Any]:
    domains = []
    for d in r.domains:
        status, report = _domain_status(d)
        interview = None
        if d.interview_at is not None:
            start = _local(d.interview_at, tz)
            interview = f"{_WEEKDAYS[start.weekday()]} {_date(start.date())} à {_time(start)}"
        domains.append({
            "label": _one_line(d.domain_label), "status": status, "report": report,
            "reception": school_label(d.reception) if d.reception else None, "interview": interview,
            "lines": [_recap_line(line) for line in d.lines],
        })
    return {
        "pupil_name": _name(r.pupil),
        "ine": _one_line(r.pupil.ine),
        "origin": school_label(r.origin),
        "domains": domains,
        "next_steps": _next_steps(r.affelnet),
        "signature": _SIGNATURE,
    }


def _render(template: str, context: dict[str, Any]) -> str:
    return _TEMPLATES.get_template(template).render(context)


# --- e-mails ----------------------------------------------------------------------------------------------------


def _message(*, subject: str, body: str, sender: str, recipients: Sequence[str], message_id: str) -> EmailMessage:
    if isinstance(recipients, str):
        recipients = [recipients]
    to = [address.strip() for address in recipients if address.strip()]
    if not to:
        raise ValueError("an e-mail needs at least one recipient")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    _set_subject(msg, _one_line(subject))
    msg["Message-ID"] = message_id
    msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return msg


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """The subject, encoded here when it is not ASCII.

    Python 3.11's folding of a long non-ASCII header can put a fold between two encoded words at a space, which
    readers then drop ("restauration– Inès"); a subject encoded as one run of encoded words keeps its spaces.
    """
    if subject.isascii():
        msg["Subject"] = subject
    else:
        msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


def _attach_pdf(msg: EmailMessage, data: bytes, filename: str) -> None:
    msg.add_attachment(data, maintype="application", subtype="pdf", filename=filename)


def _attach_ics(msg: EmailMessage, data: bytes, method: str) -> None:
    msg.add_attachment(
        data, maintype="text", subtype="calendar", filename="convocation.ics",
        params={"method": method, "charset": "utf-8"},
    )


def _subject(kind: str, c: Convocation, tz: tzinfo) -> str:
    when = _when(c, tz)
    return f"{kind} – {_one_line(c.domain_label)} – {_name(c.pupil)} – {when.day} {when.start}"


def _convocation_kind(c: Convocation) -> str:
    """The subject still starts ``Convocation Passpro``, so mail rules that file convocations keep working."""
    return "Convocation Passpro (modifiée)" if c.corrected else "Convocation Passpro"


def convocation_mail(
    c: Convocation, *, tz: ZoneInfo, sender: str, recipients: Sequence[str], message_id: str
) -> EmailMessage:
    """R19-R21, R23: the convocation, for the origin school and the referent, with its PDF and calendar entry.

    A corrected one (``c.corrected``) replaces the previous: same calendar UID, a higher ``c.sequence``.
    """
    msg = _message(
        subject=_subject(_convocation_kind(c), c, tz),
        body=_render("convocation.txt.j2", _convocation_context(c, tz)),
        sender=sender, recipients=recipients, message_id=message_id,
    )
    _attach_pdf(msg, convocation_pdf(c, tz=tz), "convocation.pdf")
    _attach_ics(msg, _ics(c, "REQUEST", tz), "REQUEST")
    return msg


def cancellation_mail(
    c: Convocation, reason: str, *, tz: ZoneInfo, sender: str, recipients: Sequence[str], message_id: str
) -> EmailMessage:
    """R10, R19: an interview is cancelled, and why; its calendar entry is withdrawn (``c.sequence`` must have grown).

    An unknown reason code is worded generically, never shown as is.
    """
    why = CANCELLATION_REASONS.get(reason, GENERIC_CANCELLATION)
    context = _convocation_context(c, tz) | {"reason": why.motive, "follow_up": why.next_step}
    msg = _message(
        subject=_subject("Annulation Passpro", c, tz),
        body=_render("cancellation.txt.j2", context),
        sender=sender, recipients=recipients, message_id=message_id,
    )
    _attach_ics(msg, _ics(c, "CANCEL", tz), "CANCEL")
    return msg


def interview_reminder_mail(
    c: Convocation, *, tz: ZoneInfo, sender: str, recipients: Sequence[str], message_id: str
) -> EmailMessage:
    """R20: a reminder shortly before the interview, with its motivation letters."""
    return _message(
        subject=_subject("Rappel Passpro", c, tz),
        body=_render("reminder.txt.j2", _convocation_context(c, tz)),
        sender=sender, recipients=recipients, message_id=message_id,
    )


def recap_mail(r: Recap, *, tz: ZoneInfo, sender: str, recipients: Sequence[str], message_id: str) -> EmailMessage:
    """R26-R28: the pupil's recap sheet, for the origin school, with its PDF; never without a domain."""
    if not r.domains:
        raise ValueError("a recap sheet needs at least one domain")
    msg = _message(
        subject=f"Fiche récapitulative Passpro – {_name(r.pupil)}",
        body=_render("recap.txt.j2", _recap_context(r, tz)),
        sender=sender, recipients=recipients, message_id=message_id,
    )
    _attach_pdf(msg, recap_pdf(r, tz=tz), "fiche-recapitulative.pdf")
    return msg


def overdue_reminder_mail(
    school: School, overdue: Sequence[OverdueInterview], *, tz: ZoneInfo, sender: str, recipients: Sequence[str],
    message_id: str,
) -> EmailMessage:
    """A reception school is asked to enter the reports of its past interviews, grouped by domain."""
    if not overdue:
        raise ValueError("an overdue reminder needs at least one overdue interview")
    ordered = sorted(
        overdue,
        key=lambda o: (_one_line(o.domain_label), _aware(o.starts_at), _one_line(o.pupil.last_name), o.interview_id),
    )
    groups = []
    for label, items in groupby(ordered, key=lambda o: _one_line(o.domain_label)):
        rows = []
        for o in items:
            start = _local(o.starts_at, tz)
            rows.append({"day": _date(start.date()), "start": _time(start), "pupil_name": _name(o.pupil),
                         "due_on": _date(o.due_on)})
        groups.append({"label": label, "interviews": rows})
    count = len(ordered)
    context = {
        "school_name": _one_line(school.name),
        "school_uai": _one_line(school.uai),
        "count": count,
        "reports": _plural(count, "compte rendu d'entretien", "comptes rendus d'entretien"),
        "groups": groups,
        "signature": _SIGNATURE,
    }
    return _message(
        subject=f"Relance Passpro – {context['reports']} à saisir – {_one_line(school.name)}",
        body=_render("overdue.txt.j2", context),
        sender=sender, recipients=recipients, message_id=message_id,
    )


# --- calendar ---------------------------------------------------------------------------------------------------


def convocation_ics(c: Convocation, *, method: str = "REQUEST") -> bytes:
    """R19: the interview as an iCalendar event; ``CANCEL`` withdraws it (same UID, higher sequence).

    Times keep their own zone when it is a named one (TZID and its VTIMEZONE), otherwise they are written in UTC.
    """
    zone = c.starts_at.tzinfo if isinstance(c.starts_at.tzinfo, ZoneInfo) else None
    return _ics(c, method, zone)


def _ics(c: Convocation, method: str, tz: tzinfo | None) -> bytes:
    method = method.upper()
    if method not in ICS_METHODS:
        raise ValueError(f"unsupported iCalendar method {method!r}")
    start, end = _aware(c.starts_at), _aware(c.ends_at)
    if isinstance(tz, ZoneInfo):
        start, end = start.astimezone(tz), end.astimezone(tz)
    else:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
    domain = _one_line(c.domain_label)
    formations = "\n".join(f"- {_one_line(label)}" for label in c.formation_labels)
    description = (
        f"Entretien d'information Passpro – élève : {_name(c.pupil)} – domaine : {domain}.\n"
        f"Formations concernées :\n{formations}\n"
        f"Apporter une lettre de motivation par formation ({_letters(len(c.formation_labels))}).\n"
        f"{_cannot_come(c)}"
    )

    event = Event()
    event.add("uid", f"{c.interview_id}@{ICS_DOMAIN}")
    event.add("sequence", c.sequence)
    # When the invitation was made (booking, correction, cancellation), as recorded: no clock read here.
    event.add("dtstamp", _aware(c.stamped_at).astimezone(UTC))
    # Outlook and Exchange process a REQUEST or CANCEL only with an organizer and the attendees it concerns.
    organizer = vCalAddress(f"mailto:{c.organizer.strip()}")
    organizer.params["CN"] = vText(_one_line(c.reception.name) or _one_line(c.reception.uai))
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{c.referent.email.strip()}")
    if _one_line(c.referent.name):
        attendee.params["CN"] = vText(_one_line(c.referent.name))
    attendee.params["CUTYPE"] = vText("INDIVIDUAL")
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
    # No reply is expected: answers would only fill the reception school's mailbox; absences go through the
    # origin school (R21).
    attendee.params["RSVP"] = vText("FALSE")
    event.add("attendee", attendee)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"Entretien Passpro – {domain}")
    event.add("location", ", ".join(
        part for part in (_one_line(c.place), _one_line(c.reception.name), _address(c.reception.address)) if part
    ))
    event.add("description", description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    for tzid in sorted(calendar.get_missing_tzids()):
        calendar.subcomponents.insert(0, _vtimezone(tzid, start.year))
    return bytes(calendar.to_ical())


@functools.cache
def _vtimezone(tzid: str, year: int) -> Timezone:
    """A zone's VTIMEZONE around the interview's year, computed once per year.

    Its transitions from 1970 to 2038 (icalendar's default) made serialising it cost more than the PDF.
    """
    return Timezone.from_tzid(tzid, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))


# --- PDF --------------------------------------------------------------------------------------------------------

_PDF_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u2039": "<", "\u203a": ">",
    "\u0153": "oe", "\u0152": "OE", "\u20ac": "EUR",
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0126": "H", "\u0127": "h", "\u0131": "i",
    "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u2007": " ", "\u2008": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    "\t": " ", "\r\n": "\n", "\r": "\n",
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
_INK = (33, 37, 41)
_MUTED = (100, 106, 115)
_ACCENT = (0, 74, 153)
_FILL = (234, 241, 250)


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


class _Sheet(FPDF):
    """An A4 page with the core Helvetica font; every text is made printable before fpdf2 sees it."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.creation_date = _PDF_CREATED
        self.set_title(title)
        self.set_author("Académie de Créteil")
        self.set_creator("Passpro")
        self.set_lang("fr-FR")
        self.set_margins(20, 16, 20)
        self.set_auto_page_break(True, margin=18)
        self.add_page()
        self.set_text_color(*_INK)

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(pdf_text(text))

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
        self.set_text_color(*_INK)

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
        self.set_text_color(*_INK)
        self.ln(6)

    def heading(self, text: str, *, keep_with: float = 30) -> None:
        """A section title, moved to the next page rather than left alone at the bottom of one."""
        if self.get_y() + keep_with > self.page_break_trigger:
            self.add_page()
        self.set_font("Helvetica", "B", 12)
        self.set_text_color(*_ACCENT)
        self.lines(0, 7, text)
        self.set_text_color(*_INK)
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
            self.set_text_color(*_INK)
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
            + self._measure(inner, 6, title, "B", 11) + 1
            + sum(self._measure(inner - bullet, 5.5, item, "", 10.5) for item in items)
            + 3 + self._measure(inner, 5.5, note, "B", 10.5)
        )
        fits = height <= self.page_break_trigger - self.t_margin
        if fits and self.get_y() + height > self.page_break_trigger:
            self.add_page()
        top = self.get_y()
        if fits:
            self.set_draw_color(*_ACCENT)
            self.set_fill_color(*_FILL)
            self.rect(self.l_margin, top, self.epw, height, style="DF")
        self.set_xy(self.l_margin + pad, top + pad)
        self.set_font("Helvetica", "B", 11)
        self.set_text_color(*_ACCENT)
        self.lines(inner, 6, title)
        self.ln(1)
        self.set_text_color(*_INK)
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

    def render(self) -> bytes:
        return bytes(self.output())


def convocation_pdf(c: Convocation, *, tz: ZoneInfo) -> bytes:
    """R19-R21, R23: the one-page convocation a family can print and keep."""
    ctx = _convocation_context(c, tz)
    when: _When = ctx["when"]
    pdf = _Sheet("Convocation Passpro")
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
    pdf.facts([
        ("Élève", ctx["pupil_name"]),
        ("Domaine professionnel", ctx["domain"]),
        ("Date", when.long_day),
        ("Horaire", f"de {when.start} à {when.end}"),
        ("Lieu", ctx["place"]),
        ("Lycée d'accueil", ctx["school"]),
        ("Adresse", ctx["school_address"]),
        ("Établissement d'origine", ctx["origin"]),
        ("Personne référente", ctx["referent_name"]),
    ])
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


def recap_pdf(r: Recap, *, tz: ZoneInfo) -> bytes:
    """R26-R28: the recap sheet: per domain the interview and its report, per formation the two opinions and the
    final one (a withdrawn candidacy marked so), then what turns them into Affelnet bonuses."""
    if not r.domains:
        raise ValueError("a recap sheet needs at least one domain")
    ctx = _recap_context(r, tz)
    pdf = _Sheet("Fiche récapitulative Passpro")
    pdf.masthead("Procédure Passpro post-3ème", "Fiche récapitulative Passpro")
    pdf.facts([
        ("Élève", ctx["pupil_name"]),
        ("INE", ctx["ine"]),
        ("Établissement d'origine", ctx["origin"]),
    ], label_width=50)
    pdf.ln(3)
    pdf.paragraph(
        "Pour chaque domaine : le compte rendu de l'entretien et, pour chaque formation, l'avis du collège "
        "d'origine, l'avis du lycée d'accueil et l'avis final qui en résulte.",
        size=9.5, height=5,
    )
    headings = FontFace(emphasis="BOLD", color=_INK, fill_color=_FILL)
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
                col_widths=(40, 20, 20, 20), text_align=("LEFT", "CENTER", "CENTER", "CENTER"),
                line_height=5.5, padding=1.5, headings_style=headings, cell_fill_mode=TableCellFillMode.NONE,
                borders_layout="HORIZONTAL_LINES",
            ) as table:
                table.row([pdf_text(t) for t in (
                    "Formation", "Avis du collège d'origine", "Avis du lycée d'accueil", "Avis final")])
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
