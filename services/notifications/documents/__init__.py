"""The documents the notifications service sends (R14, R15, R19-R23, R26-R28): e-mails, PDF sheets, calendar
entries, CSV files.

Pure rendering: plain values in, an ``EmailMessage``, PDF, iCalendar or CSV bytes out. The modules read their
Jinja2 templates and nothing else; they never read the clock (the sender adds the ``Date`` header) and never log,
since everything they handle is about minors. One module per document kind; ``formatting``, ``mail`` and ``pdf``
hold what they share.
"""

from services.notifications.documents.calendar import convocation_ics
from services.notifications.documents.cancellation import CANCELLATION_REASONS, cancellation_mail
from services.notifications.documents.convocation import convocation_mail, convocation_pdf
from services.notifications.documents.facts import (
    AffelnetDates,
    Convocation,
    OverdueInterview,
    Pupil,
    Recap,
    RecapDomain,
    RecapLine,
    Referent,
    School,
)
from services.notifications.documents.formatting import OPINION_LABELS, school_label
from services.notifications.documents.pdf import pdf_text
from services.notifications.documents.recap import recap_mail, recap_pdf
from services.notifications.documents.reception import (
    CSV_COLUMNS,
    PlanningSheet,
    SchoolName,
    SheetFormation,
    SheetLine,
    Shortfall,
    planning_csv,
    planning_mail,
    planning_pdf,
    planning_subject,
    sheet_rows,
    shortfall_mail,
    shortfall_subject,
)
from services.notifications.documents.reminders import interview_reminder_mail, overdue_reminder_mail

__all__ = [
    "CANCELLATION_REASONS",
    "CSV_COLUMNS",
    "OPINION_LABELS",
    "AffelnetDates",
    "Convocation",
    "OverdueInterview",
    "PlanningSheet",
    "Pupil",
    "Recap",
    "RecapDomain",
    "RecapLine",
    "Referent",
    "School",
    "SchoolName",
    "SheetFormation",
    "SheetLine",
    "Shortfall",
    "cancellation_mail",
    "convocation_ics",
    "convocation_mail",
    "convocation_pdf",
    "interview_reminder_mail",
    "overdue_reminder_mail",
    "pdf_text",
    "planning_csv",
    "planning_mail",
    "planning_pdf",
    "planning_subject",
    "recap_mail",
    "recap_pdf",
    "school_label",
    "sheet_rows",
    "shortfall_mail",
    "shortfall_subject",
]
