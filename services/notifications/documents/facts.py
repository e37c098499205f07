"""The plain values the documents show (R19-R22, R26-R28): schools, pupils, interviews, recaps, overdue reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


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
