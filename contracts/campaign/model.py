"""The campaign-file model: calendar, bonus points, schools directory and catalog, checked across sections."""

import re
from collections import Counter
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contracts.base import FinalOpinion, FormationKind
from contracts.identifiers import is_valid_uai, uai_check_letter
from contracts.routing import SERVICES

Loc = tuple[str | int, ...]


class CrossReferenceError(ValueError):
    """Problems found across sections of the file, each with the key path it concerns."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key_path(loc)}: {text}" for loc, text in problems))


def key_path(loc: Loc) -> str:
    """The key path as a reader of the file spells it: `formations[3].domain`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "(top level)"


def _school_uai(value: str) -> str:
    if not re.fullmatch(r"[0-9]{7}[A-Z]", value):
        raise ValueError(f"{value!r} is not a UAI: expected 7 digits and an upper-case letter, e.g. 0750654D")
    if not is_valid_uai(value):
        expected = uai_check_letter(value[:7])
        raise ValueError(f"{value!r} has a wrong check letter: {value[:7]} must be followed by {expected}")
    return value


Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
]


def _mailbox(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) or len(value) > 254:
        raise ValueError(f"{value!r} is not an e-mail address, e.g. secretariat@cfa-exemple.fr")
    return value


Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
SchoolUai = Annotated[str, AfterValidator(_school_uai)]
Mailbox = Annotated[str, AfterValidator(_mailbox)]


class _Section(BaseModel):
    # A typo in a key name must stop the services, not silently fall back to a default.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Calendar(_Section):
    """R6, R14, R17, R20b, R22, R28: the campaign's dates (inclusive, in its timezone) and delays."""

    opens_on: date = Field(description="Passpro opens: first day of registration and planning (R6).")
    registration_deadline: date = Field(
        description="Last day of registration; every pupil registered by then is received (R6, R15).",
    )
    planning_ends_on: date = Field(description="Last day reception schools plan interviews (R14).")
    interviews_start_on: date = Field(description="First day of interviews (R14).")
    interviews_end_on: date = Field(description="Last day of interviews (R14, R21).")
    report_delay_days: int = Field(ge=0, le=60, description="Days after an interview to report on it (R22).")
    convocation_notice_days: int = Field(
        ge=0,
        le=60,
        description="Minimum days between booking and interview, for the convocation to arrive (R17).",
    )
    interview_reminder_days: int = Field(
        default=2,
        ge=0,
        le=60,
        description="Days before an interview the reminder mail goes out (R20b).",
    )
    planning_notice_days: int = Field(
        default=1,
        ge=0,
        le=30,
        description=(
            "Days before an interview day a reception school gets its planning sheet for that day, at 16:00 "
            "campaign time (R14, R19)."
        ),
    )
    affelnet_entry_starts_on: date = Field(description="First day wishes can be entered in Affelnet (R28).")
    commission_wish_deadline: date = Field(
        description="Last day to enter wishes subject to a commission in Affelnet (R28).",
    )
    affelnet_wish_deadline: date = Field(
        description="Last day to enter a wish in Affelnet for the bonus to hold (R28).",
    )

    @property
    def last_day(self) -> date:
        """The campaign's last day: wishes entered (R28) and the last interview's report due (R22)."""
        return max(self.affelnet_wish_deadline, self.interviews_end_on + timedelta(days=self.report_delay_days))

    # Each date must not come before the dates listed for it; checked field by field so that an error
    # names the date that is out of order.
    _NOT_BEFORE: ClassVar[dict[str, tuple[str, ...]]] = {
        "registration_deadline": ("opens_on",),
        "planning_ends_on": ("registration_deadline",),
        "interviews_start_on": ("opens_on",),
        "interviews_end_on": ("interviews_start_on", "planning_ends_on"),
        "commission_wish_deadline": ("affelnet_entry_starts_on",),
        "affelnet_wish_deadline": ("commission_wish_deadline",),
    }

    @field_validator(*_NOT_BEFORE, mode="after")
    @classmethod
    def _in_order(cls, value: date, info: ValidationInfo) -> date:
        assert info.field_name is not None
        for earlier in cls._NOT_BEFORE[info.field_name]:
            bound = info.data.get(earlier)
            if isinstance(bound, date) and value < bound:
                raise ValueError(f"{value.isoformat()} is before {earlier} ({bound.isoformat()})")
        return value


class BonusPoints(_Section):
    """R29: Affelnet bonus points per final opinion, a campaign policy the procedure leaves open."""

    tres_favorable: int = Field(ge=0, description="Points for a final opinion très favorable.")
    favorable: int = Field(ge=0, description="Points for a final opinion favorable.")
    assez_favorable: int = Field(ge=0, description="Points for a final opinion assez favorable.")
    peu_favorable: int = Field(ge=0, description="Points for a final opinion peu favorable.")
    reserve: int = Field(ge=0, description="Points for a final opinion réservé.")

    def points_for(self, final_opinion: FinalOpinion) -> int:
        """R29: the points a final opinion is worth in this campaign."""
        points: int = getattr(self, final_opinion.value)
        return points


class SchedulingPolicy(_Section):
    """R15–R17: how far apart a pupil's interviews must be, how long their candidacies gather before planning, and
    when waiting pupils raise the alarm."""

    min_gap_hours: int = Field(
        default=0,
        ge=0,
        le=24 * 14,
        description="Minimum hours between the end of one interview of a pupil and the start of the next.",
    )
    one_interview_per_half_day: bool = Field(
        default=True,
        description="Never book a pupil twice on the same half-day (morning, afternoon) (R16 default).",
    )
    planning_round_seconds: float = Field(
        default=2.0,
        ge=0,
        le=600,
        description=(
            "Seconds of the service's clock a pupil's new candidacy waits for the pupil's other candidacies, "
            "so that all their domains are planned together (R15)."
        ),
    )
    alarm_days: int = Field(
        default=3,
        ge=0,
        le=60,
        description=(
            "Days before the last day an interview can still be booked (R17) from which pupils registered in "
            "time and still waiting raise the alarm `interviews_at_risk` (R15); 0: on that last day only."
        ),
    )


class SchoolKind(StrEnum):
    """Reception schools hold interviews (établissements d'accueil); origin schools register pupils."""

    RECEPTION = "reception"
    ORIGIN = "origin"


class School(_Section):
    """A school of the campaign's directory: a reception school, or an origin school mails must reach."""

    uai: SchoolUai = Field(
        description="UAI: 7 digits and the check letter; the first 3 digits are the département.",
    )
    name: Label = Field(description="The school's name, as printed on convocations, recap sheets and tables.")
    address: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = Field(
        default=None,
        description="Postal address, as printed on convocations; required for reception schools.",
    )
    mailbox: Mailbox | None = Field(
        default=None,
        description="Optional: the school's functional mailbox when it is not ce.<uai>@<mail domain>.",
    )
    kind: SchoolKind | None = Field(
        default=None,
        description='Optional: "reception" (the default for a school serving a domain) or "origin".',
    )


class Domain(_Section):
    """R1, R13: a group of formations sharing one interview, and the reception schools serving it."""

    code: Slug = Field(
        description="Stable code, lower-case words joined by hyphens, e.g. hotellerie-restauration.",
    )
    label: Label = Field(description="French label, as shown in mails.")
    reception_uais: list[SchoolUai] = Field(
        min_length=1,
        description="UAIs of the reception schools holding the domain's interviews, declared in [[schools]].",
    )


class Formation(_Section):
    """R1, R2: a formation of the catalog pupils apply for."""

    code: Slug = Field(description="Stable code, lower-case words joined by hyphens, e.g. cap-cuisine.")
    label: Label = Field(description="French label, as shown in mails.")
    kind: FormationKind = Field(description="CAP, CAPA, 2NDE_PRO, 2NDE_PRO_AGRI or 2NDE_TECHNO.")
    domain: Slug = Field(description="Code of the formation's domain, declared in [[domains]].")


class Portal(_Section):
    """R12: an upstream portal's broker account, allowed by the broker to act and read for its schools only."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")] = Field(
        description="The broker account, lower-case words joined by hyphens, e.g. portal-93; its password comes "
        "from PASSPRO_<NAME>_PASSWORD (dashes as underscores), on the local stack the name itself.",
    )
    schools: list[SchoolUai] = Field(
        min_length=1,
        description="UAIs of the schools the portal publishes for and reads events about.",
    )


RESERVED_ACCOUNTS = frozenset({"portal", "passpro-admin", "guest"})
"""Broker accounts a [[portals]] entry cannot take: the académie's own portal, the operators', the default one."""


class Campaign(_Section):
    """R1, R29: one campaign of the procedure, as operators write it in the campaign file."""

    campaign: Annotated[str, StringConstraints(min_length=1, max_length=16)] = Field(
        description='Name of the campaign, carried by every message, e.g. "2013".',
    )
    timezone: str = Field(description="IANA timezone of dates and times, e.g. Europe/Paris (R20c).")
    academie_departements: list[Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")]] = Field(
        default=["077", "093", "094"],
        min_length=1,
        description="Départements of the académie, as 3 digits (the first 3 of a UAI).",
    )
    calendar: Calendar = Field(description="Dates and delays.")
    scheduling: SchedulingPolicy = Field(
        default=SchedulingPolicy(), description="Interview spacing (R16), planning round and alarm (R15, R17)."
    )
    bonus_points: BonusPoints = Field(description="Affelnet points per final opinion (R29).")
    schools: list[School] = Field(
        min_length=1,
        description="The directory: reception schools, and origin schools whose name or mailbox mails need.",
    )
    domains: list[Domain] = Field(min_length=1, description="Domains of the catalog.")
    formations: list[Formation] = Field(min_length=1, description="Formations of the catalog.")
    portals: list[Portal] = Field(
        default=[],
        description="Optional: one broker account per upstream portal, scoped to its schools.",
    )

    _schools: dict[str, School] = PrivateAttr(default_factory=dict)
    _domains: dict[str, Domain] = PrivateAttr(default_factory=dict)
    _formations: dict[str, Formation] = PrivateAttr(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known IANA timezone name, e.g. Europe/Paris") from None
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> "Campaign":
        problems: list[tuple[Loc, str]] = []
        problems += _duplicates("schools", "uai", [school.uai for school in self.schools])
        problems += _duplicates("domains", "code", [domain.code for domain in self.domains])
        problems += _duplicates("formations", "code", [formation.code for formation in self.formations])
        kinds = {school.uai: school.kind for school in self.schools}
        for index, domain in enumerate(self.domains):
            for position, uai in enumerate(domain.reception_uais):
                where: Loc = ("domains", index, "reception_uais", position)
                if uai not in kinds:
                    problems.append((where, f"{uai} is not declared in [[schools]]"))
                elif kinds[uai] is SchoolKind.ORIGIN:
                    message = f'{uai} is declared kind = "origin" in [[schools]]: an origin school holds no interview'
                    problems.append((where, message))
            problems += _duplicates(("domains", index, "reception_uais"), None, domain.reception_uais)
        serving = {uai for domain in self.domains for uai in domain.reception_uais}
        for index, school in enumerate(self.schools):
            receives = school.kind is SchoolKind.RECEPTION or school.uai in serving
            if receives and school.address is None:
                message = "is missing; a reception school needs its address, printed on convocations"
                problems.append((("schools", index, "address"), message))
        codes = {domain.code for domain in self.domains}
        for index, formation in enumerate(self.formations):
            if formation.domain not in codes:
                message = f"unknown domain {formation.domain!r}: it is not declared in [[domains]]"
                problems.append((("formations", index, "domain"), message))
        served = {formation.domain for formation in self.formations}
        for index, domain in enumerate(self.domains):
            if domain.code not in served:
                problems.append((("domains", index, "code"), f"domain {domain.code!r} has no formation"))
        problems += _duplicates("portals", "name", [portal.name for portal in self.portals])
        for index, portal in enumerate(self.portals):
            if portal.name in RESERVED_ACCOUNTS or portal.name.replace("-", "_") in SERVICES:
                problems.append((("portals", index, "name"), f"{portal.name!r} is already a Passpro account"))
            problems += _duplicates(("portals", index, "schools"), None, portal.schools)
        if problems:
            raise CrossReferenceError(problems)
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._schools.update((school.uai, school) for school in self.schools)
        self._domains.update((domain.code, domain) for domain in self.domains)
        self._formations.update((formation.code, formation) for formation in self.formations)

    @property
    def tz(self) -> ZoneInfo:
        """R20c: the campaign's timezone."""
        return ZoneInfo(self.timezone)

    def school(self, uai: str) -> School | None:
        """The school of the directory with this UAI, if declared."""
        return self._schools.get(uai)

    def kind_of(self, school: School) -> SchoolKind:
        """A school's kind: as declared, else reception when a domain names it, else origin."""
        if school.kind is not None:
            return school.kind
        serving = any(school.uai in domain.reception_uais for domain in self.domains)
        return SchoolKind.RECEPTION if serving else SchoolKind.ORIGIN

    @property
    def reception_schools(self) -> tuple[School, ...]:
        """The directory's reception schools (établissements d'accueil), in file order."""
        return tuple(school for school in self.schools if self.kind_of(school) is SchoolKind.RECEPTION)

    @property
    def origin_schools(self) -> tuple[School, ...]:
        """The directory's origin schools, in file order: those mails must reach by name or own mailbox."""
        return tuple(school for school in self.schools if self.kind_of(school) is SchoolKind.ORIGIN)

    def school_label(self, uai: str) -> str:
        """How people read a school: its name and UAI when the directory knows it, else the UAI."""
        school = self._schools.get(uai)
        return f"{school.name} ({uai})" if school else uai

    def domain(self, code: str) -> Domain | None:
        """The domain with this code, if any."""
        return self._domains.get(code)

    def formation(self, code: str) -> Formation | None:
        """R2: the catalog formation with this code, if any."""
        return self._formations.get(code)

    def domain_of(self, formation_code: str) -> str | None:
        """R1: the domain code of a formation, or None for a formation outside the catalog."""
        formation = self._formations.get(formation_code)
        return formation.domain if formation else None

    def formations_of(self, domain_code: str) -> tuple[Formation, ...]:
        """R1, R13: the formations of a domain, in file order."""
        return tuple(formation for formation in self.formations if formation.domain == domain_code)

    def reception_schools_of(self, domain_code: str) -> tuple[School, ...]:
        """R18: the reception schools serving a domain, in file order."""
        domain = self._domains.get(domain_code)
        if domain is None:
            return ()
        return tuple(self._schools[uai] for uai in domain.reception_uais)


def _duplicates(section: str | Loc, key: str | None, values: list[str]) -> list[tuple[Loc, str]]:
    base: Loc = (section,) if isinstance(section, str) else section
    counts = Counter(values)
    seen: set[str] = set()
    problems: list[tuple[Loc, str]] = []
    for index, value in enumerate(values):
        if counts[value] > 1 and value in seen:
            loc = (*base, index, key) if key else (*base, index)
            problems.append((loc, f"{value!r} is declared more than once"))
        seen.add(value)
    return problems
