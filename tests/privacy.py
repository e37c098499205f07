"""Looking for pupils' personal data where it must never be: every log the stack writes, metrics, mail headers,
the operators' command output."""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import typer
from click.testing import Result
from typer.testing import CliRunner

from contracts.identifiers import is_valid_ine

PERSONAL_FIELDS = (
    ("pupil", "ine"),
    ("ine",),
    ("pupil", "last_name"),
    ("pupil", "first_name"),
    ("pupil", "birth_date"),
    ("referent", "name"),
    ("referent", "email"),
    ("origin_comment",),
    ("report",),
    ("reason",),
)
"""Where a command carries a pupil's personal data: INE, names, birth date, referent, comments, reports."""
INE_FIELDS = ("pupil.ine", "ine")
MIN_LENGTH = 4
"""Shorter values (initials, "Léa") would be found by chance in any identifier; they are not looked for."""
_INE_WORD = re.compile(r"(?<![0-9a-z])([0-9]{10}[a-z]|[0-9]{9}[a-z]{2}|[0-9]{4}a[0-9]{5}[a-z])(?![0-9a-z])")
"""The three forms of an INE, folded to lower case, as a word of its own."""
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATES_IN = re.compile(r"(?=([0-9]{4}-[0-9]{2}-[0-9]{2}))")


def personal_values(bodies: Iterable[Any]) -> dict[str, str]:
    """The personal data in the commands' bodies, each value with the field it was first sent in.

    Bodies of any shape are read: what a hostile portal put in a personal field is personal data too.
    """
    values: dict[str, str] = {}
    for body in bodies:
        for path in PERSONAL_FIELDS:
            value: Any = body
            for part in path:
                value = value.get(part) if isinstance(value, Mapping) else None
            if isinstance(value, str) and len(value.strip()) >= MIN_LENGTH:
                values.setdefault(value, ".".join(path))
    return values


@dataclass(frozen=True)
class Finding:
    """A personal value found: where (source and line number), and which field it was sent in."""

    source: str
    line: int
    field: str


def _fold(text: str) -> str:
    # One spelling whatever the case or the Unicode form (NFC, NFD) the value was written in.
    return unicodedata.normalize("NFC", text).casefold()


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _readable(line: str) -> str:
    """The line as written and, for a JSON line, its strings decoded: a name escaped as \\u00e8 is found too."""
    try:
        parsed = json.loads(line)
    except ValueError:
        return line
    return "\n".join([line, *_strings(parsed)])


def find_personal_data(sources: Mapping[str, str], values: Mapping[str, str]) -> list[Finding]:
    """Every line of ``sources`` (name -> text) holding one of ``values`` (value -> field), once per line."""
    needles = {
        _fold(value): field
        for value, field in values.items()
        if len(value.strip()) >= MIN_LENGTH and field not in INE_FIELDS
    }
    # An INE is looked for as a word of its own: its 10 digits and a letter also turn up by chance inside
    # message ids (a UUID's last group) and floats ("…658e+09"). What a hostile portal sent in an INE field
    # that is no INE was refused and stored nowhere; it is not a pupil's identifier.
    ine_words = {_fold(value): field for value, field in values.items() if field in INE_FIELDS and is_valid_ine(value)}
    findings: set[Finding] = set()
    for source, text in sources.items():
        starts, parts = [], []
        offset = 0
        for part in (_fold(_readable(line)) for line in text.splitlines()):
            starts.append(offset)
            parts.append(part)
            offset += len(part) + 1
        haystack = "\n".join(parts)
        # Birth dates are most of the values: one pass collects the dates written anywhere, instead of one each.
        dates = set(_DATES_IN.findall(haystack))
        for needle, field in needles.items():
            if _DATE.fullmatch(needle) and needle not in dates:
                continue
            at = haystack.find(needle)
            while at != -1:
                findings.add(Finding(source, bisect.bisect_right(starts, at), field))
                at = haystack.find(needle, at + 1)
        for match in _INE_WORD.finditer(haystack):  # one pass over the text, whatever the number of INEs
            if match.group(1) in ine_words:
                findings.add(Finding(source, bisect.bisect_right(starts, match.start(1)), ine_words[match.group(1)]))
    return sorted(findings, key=lambda f: (f.source, f.line, f.field))


OPS_OUTPUT: dict[str, str] = {}
"""What each ``passpro …`` command run by this session's tests printed (stdout and stderr), for the scan."""


def invoke_ops(app: typer.Typer, arguments: Sequence[str], **kwargs: Any) -> Result:
    """Runs an operators' command as the tests do, and keeps its output for the personal-data scan."""
    result = CliRunner().invoke(app, list(arguments), **kwargs)
    OPS_OUTPUT[f"passpro {' '.join(arguments)} (run {len(OPS_OUTPUT) + 1})"] = result.output
    return result


def ines(values: Mapping[str, str]) -> dict[str, str]:
    """Only the INEs among ``values``: what no mail header may carry (mail relays log headers)."""
    return {value: field for value, field in values.items() if field in INE_FIELDS}
