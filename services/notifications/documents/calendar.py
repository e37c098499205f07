"""The interview as an iCalendar entry (R19): invited on booking, updated on correction, withdrawn on cancellation,
always with the same UID and a rising SEQUENCE."""

from __future__ import annotations

import functools
from datetime import UTC, date, tzinfo
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

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

    event = Event()
    event.add("uid", f"{c.interview_id}@{ICS_DOMAIN}")
    event.add("sequence", c.sequence)
    # When the invitation was made (booking, correction, cancellation), as recorded: no clock read here.
    event.add("dtstamp", aware(c.stamped_at).astimezone(UTC))
    # Outlook and Exchange process a REQUEST or CANCEL only with an organizer and the attendees it concerns.
    organizer = vCalAddress(f"mailto:{c.organizer.strip()}")
    organizer.params["CN"] = vText(one_line(c.reception.name) or one_line(c.reception.uai))
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{c.referent.email.strip()}")
    if one_line(c.referent.name):
        attendee.params["CN"] = vText(one_line(c.referent.name))
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
        part for part in (one_line(c.place), one_line(c.reception.name), address_line(c.reception.address)) if part
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

