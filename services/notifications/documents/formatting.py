"""The French every document shares: dates and times in the campaign's timezone, names, opinions, the templates.

Times are shown in the campaign's timezone, given as ``tz`` (R20c: the 2013 window crosses the change to
summer time); an instant without its offset is refused rather than guessed.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifications.documents.facts import Pupil, School

OPINION_LABELS: dict[str, str] = {
    "tres_favorable": "Très favorable",
    "favorable": "Favorable",
    "assez_favorable": "Assez favorable",
    "peu_favorable": "Peu favorable",
    "reserve": "Réservé",
}

PENDING_OPINION = "en attente"

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
SIGNATURE = "Le service Passpro post-3ème\nAcadémie de Créteil"

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "xml"), default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an interview time must carry its offset")
    return moment


def local(moment: datetime, tz: tzinfo) -> datetime:
    return aware(moment).astimezone(tz)


def format_date(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def format_time(moment: datetime) -> str:
    return f"{moment.hour:02d}h{moment.minute:02d}"


def one_line(text: str) -> str:
    """Whitespace and line breaks collapsed: for headers, lists and one-line fields."""
    return " ".join(text.split())


def address_line(text: str) -> str:
    """A postal address on one line, its lines separated by commas."""
    lines = [one_line(line).strip(" ,") for line in text.splitlines()]
    return ", ".join(line for line in lines if line)


def pupil_name(pupil: Pupil) -> str:
    return one_line(f"{pupil.first_name} {pupil.last_name}")


def opinion_label(code: str | None) -> str:
    if not code:
        return PENDING_OPINION
    return OPINION_LABELS.get(code, code)


def plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def letters(count: int) -> str:
    return plural(count, "lettre de motivation", "lettres de motivation")


def school_label(school: School) -> str:
    """A school as people read it: its name with the UAI, or the UAI alone when the directory lacks the name."""
    uai, name = one_line(school.uai), one_line(school.name)
    return f"{name} (UAI {uai})" if name and name != uai else f"UAI {uai}"


def render(template: str, context: dict[str, Any]) -> str:
    return _TEMPLATES.get_template(template).render(context)
