"""Reading a campaign file: TOML syntax and validation errors become one error naming file, line and key."""

import re
import tomllib
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from contracts.campaign.model import Campaign, CrossReferenceError, Loc, key_path

BUNDLED_CAMPAIGN: Path = Path(__file__).resolve().parent.parent / "campaigns" / "2013.toml"
"""The default campaign file: the 2013 procedure of the académie de Créteil."""


class CampaignProblem(BaseModel):
    """One thing wrong in a campaign file."""

    model_config = ConfigDict(frozen=True)

    key: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = [part for part in (f"line {self.line}" if self.line else None, self.key) if part]
        return f"{', '.join(where)}: {self.message}" if where else self.message


class CampaignFileError(Exception):
    """A campaign file that cannot be read or is not valid; its message names the file, key and fault."""

    def __init__(self, path: Path, problems: list[CampaignProblem]) -> None:
        self.path = path
        self.problems = problems
        if len(problems) == 1:
            super().__init__(f"campaign file {path}: {problems[0]}")
        else:
            lines = "\n".join(f"  - {problem}" for problem in problems)
            super().__init__(f"campaign file {path} has {len(problems)} problems:\n{lines}")


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_campaign(path: Path | None = None) -> Campaign:
    """Read and validate a campaign file; None reads the bundled 2013 campaign."""
    path = BUNDLED_CAMPAIGN if path is None else path
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        message = f"cannot be read: {error.strerror or error}"
        raise CampaignFileError(path, [CampaignProblem(key=None, line=None, message=message)]) from None
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text (byte {error.start})"
        raise CampaignFileError(path, [CampaignProblem(key=None, line=None, message=message)]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CampaignFileError(path, [_syntax_problem(error)]) from None
    try:
        return Campaign.model_validate(data)
    except ValidationError as error:
        raise CampaignFileError(path, _validation_problems(error, text)) from None


def _syntax_problem(error: tomllib.TOMLDecodeError) -> CampaignProblem:
    text = str(error)
    position = _TOML_POSITION.search(text)
    line = int(position.group(1)) if position else None
    reason = _TOML_POSITION.sub("", text).strip()
    return CampaignProblem(key=None, line=line, message=f"TOML syntax error: {reason}")


def _validation_problems(error: ValidationError, text: str) -> list[CampaignProblem]:
    problems: list[CampaignProblem] = []
    for detail in error.errors(include_url=False):
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, CrossReferenceError):
            for loc, message in cause.problems:
                full = (*detail["loc"], *loc)
                line = _line_of(text, full)
                problems.append(CampaignProblem(key=key_path(full), line=line, message=message))
            continue
        loc = detail["loc"]
        problems.append(CampaignProblem(key=key_path(loc), line=_line_of(text, loc), message=_plain(detail)))
    return problems


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_-]+)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _line_of(text: str, loc: Loc) -> int | None:
    """Best-effort line of a key path, for keys at top level, in a [table] or in an [[array]] entry."""
    if not loc:
        return None
    target: tuple[str, int]
    key: str | None
    if len(loc) == 1:
        target, key = ("", 0), str(loc[0])
    else:
        rest = loc[1:]
        names = [part for part in rest if isinstance(part, str)]
        target = (str(loc[0]), rest[0] if isinstance(rest[0], int) else 0)
        key = names[0] if names else None
    here = ("", 0)
    seen: Counter[str] = Counter()
    header_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            name = str(header.group(1))
            here = (name, seen[name])
            seen[name] += 1
            if here == target:
                header_line = number
            continue
        found = _KEY.match(line)
        if here == target and found is not None and found.group(1) == key:
            return number
    return header_line


def _plain(detail: ErrorDetails) -> str:
    kind = detail["type"]
    if kind == "missing":
        return "is missing; this key is required"
    if kind == "extra_forbidden":
        return "is not a key of the campaign file format (misspelt?)"
    message = str(detail["msg"])
    return message.removeprefix("Value error, ")
