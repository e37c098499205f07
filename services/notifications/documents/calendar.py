"""The interview as an iCalendar entry (R19): invited on booking, updated on correction, withdrawn on cancellation,
always with the same UID and a rising SEQUENCE."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from icalendar import Timezone
from icalendar.parser import param_value

from services.notifications.documents.facts import Convocation
from services.notifications.documents.formatting import address_line, aware, letters, one_line, pupil_name
from services.notifications.documents.interview import cannot_come

ICS_DOMAIN = "passpro.ac-creteil.fr"
ICS_METHODS = frozenset({"REQUEST", "CANCEL", "PUBLISH"})
PRODID = "-//Academie de Creteil//Passpro post-3eme//FR"


def convocation_ics(c: Convocation, *, method: str = "REQUEST") -> bytes:
    """R19: the interview as an iCalendar event; ``CANCEL`` withdraws it (same UID, higher sequence).

    Times keep their own zone when it is a named one (TZID and its VTIMEZONE), otherwise they are written in UTC.
    """
    zone = c.starts_at.tzinfo if isinstance(c.starts_at.tzinfo, ZoneInfo) else None
    return interview_ics(c, method, zone)


def interview_ics(c: Convocation, method: str, tz: tzinfo | None) -> bytes:
    """The entry with its times in ``tz`` when it is a named zone (TZID and its VTIMEZONE), else in UTC."""
    method = method.upper()
    if method not in ICS_METHODS:
        raise ValueError(f"unsupported iCalendar method {method!r}")
    start, end = aware(c.starts_at), aware(c.ends_at)
    if isinstance(tz, ZoneInfo):
        start, end = start.astimezone(tz), end.astimezone(tz)
    else:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
    domain = one_line(c.domain_label)
    formations = "\n".join(f"- {one_line(label)}" for label in c.formation_labels)
    description = (
        f"Entretien d'information Passpro – élève : {pupil_name(c.pupil)} – domaine : {domain}.\n"
        f"Formations concernées :\n{formations}\n"
        f"Apporter une lettre de motivation par formation ({letters(len(c.formation_labels))}).\n"
        f"{cannot_come(c)}"
    )
    zone = f";TZID={tz.key}" if isinstance(tz, ZoneInfo) else ""
    # Outlook and Exchange process a REQUEST or CANCEL only with an organizer and the attendees it concerns.
    organizer = f"ORGANIZER;CN={_cn(one_line(c.reception.name) or one_line(c.reception.uai))}"
    attendee_name = one_line(c.referent.name)
    # No reply is expected: answers would only fill the reception school's mailbox; absences go through the
    # origin school (R21).
    attendee = (
        f"ATTENDEE{f';CN={_cn(attendee_name)}' if attendee_name else ''};CUTYPE=INDIVIDUAL;"
        "PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=FALSE"
    )
    location = ", ".join(
        part for part in (one_line(c.place), one_line(c.reception.name), address_line(c.reception.address)) if part
    )
    # Written as text in icalendar's canonical order, escaping and folding (what a parser reads is the same as
    # icalendar's own serialisation gave), at a fraction of its cost; only the zone's rules come from icalendar.
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_text(PRODID)}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        *(_vtimezone_lines(tz.key, start.year) if isinstance(tz, ZoneInfo) else ()),
        "BEGIN:VEVENT",
        f"SUMMARY:{_text(f'Entretien Passpro – {domain}')}",
        f"DTSTART{zone}:{_stamp(start)}",
        f"DTEND{zone}:{_stamp(end)}",
        # When the invitation was made (booking, correction, cancellation), as recorded: no clock read here.
        f"DTSTAMP:{_stamp(aware(c.stamped_at).astimezone(UTC))}",
        f"UID:{_text(f'{c.interview_id}@{ICS_DOMAIN}')}",
        f"SEQUENCE:{int(c.sequence)}",
        f"{attendee}:mailto:{c.referent.email.strip()}",
        f"DESCRIPTION:{_text(description)}",
        f"LOCATION:{_text(location)}",
        f"{organizer}:mailto:{c.organizer.strip()}",
        f"STATUS:{'CANCELLED' if method == 'CANCEL' else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines).encode("utf-8")


def _text(value: str) -> str:
    """RFC 5545 TEXT escaping, as icalendar does it (line breaks as ``\\n``)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _cn(name: str) -> str:
    """A CN parameter, quoted as icalendar quotes it (also when it holds a space or an apostrophe)."""
    return param_value(name, always_quote=any(char in name for char in " '"))


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}" + ("Z" if moment.tzinfo is UTC else "")


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued after CRLF and a space, never inside a character or an escape."""
    if len(line.encode("utf-8")) < 75:
        return line
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in line:
        size = len(char.encode("utf-8"))
        if current and used + size >= 75:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, used = [carried], 1
            else:
                parts.append("".join(current))
                current, used = [], 0
        current.append(char)
        used += size
    parts.append("".join(current))
    return "\r\n ".join(parts)


@functools.cache
def _vtimezone_lines(tzid: str, year: int) -> tuple[str, ...]:
    """The zone's VTIMEZONE block, serialised once per zone and year."""
    return tuple(_vtimezone(tzid, year).to_ical().decode("utf-8").split("\r\n")[:-1])


@functools.cache
def _vtimezone(tzid: str, year: int) -> Timezone:
    """A zone's VTIMEZONE around the interview's year, computed once per year.

    Its transitions from 1970 to 2038 (icalendar's default) made serialising it cost more than the PDF.
    """
    return Timezone.from_tzid(tzid, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
