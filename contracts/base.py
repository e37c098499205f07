"""Base message models, envelope fields, enumerations and bounded field types of the public contract."""

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "CampaignName",
    "Channel",
    "ChannelName",
    "Code",
    "Command",
    "CommentText",
    "Email",
    "Event",
    "FinalOpinion",
    "FormationKind",
    "Ine",
    "Instant",
    "Line",
    "Message",
    "Opinion",
    "PersonName",
    "PlaceText",
    "ReasonText",
    "RejectionReason",
    "ReportText",
    "Text",
    "Uai",
]


class Opinion(StrEnum):
    """R8, R22: an opinion given by the origin school or by the reception school on one formation."""

    FAVORABLE = "favorable"
    ASSEZ_FAVORABLE = "assez_favorable"
    RESERVE = "reserve"


class FinalOpinion(StrEnum):
    """R24: the final opinion crossing the origin and reception opinions; it becomes the Affelnet bonus."""

    TRES_FAVORABLE = "tres_favorable"
    FAVORABLE = "favorable"
    ASSEZ_FAVORABLE = "assez_favorable"
    PEU_FAVORABLE = "peu_favorable"
    RESERVE = "reserve"


class Channel(StrEnum):
    """How a command reached Passpro: a school portal, or the SAIO online form for schools without access."""

    PORTAL = "portal"
    SAIO_FORM = "saio_form"


ChannelName = Literal["portal", "saio_form"]


class FormationKind(StrEnum):
    """R1: the kinds of formation in the catalog: 1st year of CAP or CAPA, 2nde pro, 2nde techno."""

    CAP = "CAP"
    CAPA = "CAPA"
    SECONDE_PRO = "2NDE_PRO"
    SECONDE_PRO_AGRI = "2NDE_PRO_AGRI"
    SECONDE_TECHNO = "2NDE_TECHNO"


class RejectionReason(StrEnum):
    """The stable reason codes of a `command_rejected` event."""

    INVALID = "invalid"
    UNKNOWN_CAMPAIGN = "unknown_campaign"
    INVALID_INE = "invalid_ine"
    INVALID_UAI = "invalid_uai"
    NOT_ELIGIBLE = "not_eligible"
    UNKNOWN_FORMATION = "unknown_formation"
    UNKNOWN_DOMAIN = "unknown_domain"
    REGISTRATION_NOT_OPEN = "registration_not_open"
    REGISTRATION_CLOSED = "registration_closed"
    UNAUTHORIZED = "unauthorized"
    UNKNOWN_CANDIDACY = "unknown_candidacy"
    UNKNOWN_INTERVIEW = "unknown_interview"
    OPINION_LOCKED = "opinion_locked"
    OUTSIDE_INTERVIEW_WINDOW = "outside_interview_window"
    REPORT_INCOMPLETE = "report_incomplete"
    ALREADY_REPORTED = "already_reported"
    INTERVIEW_NOT_HELD = "interview_not_held"
    WISH_DEADLINE_PASSED = "wish_deadline_passed"
    CLOCK_NOT_VIRTUAL = "clock_not_virtual"
    CAMPAIGN_NOT_FINISHED = "campaign_not_finished"
    OUTSIDE_PLANNING_WINDOW = "outside_planning_window"
    NO_INTERVIEW_POSSIBLE = "no_interview_possible"
    UNKNOWN_SLOT = "unknown_slot"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only spaces")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> str:
    """A code, identifier or name never holds control characters; PostgreSQL cannot even store U+0000."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _no_control_in_text(value: str) -> str:
    """Free text may hold line breaks and tabs, nothing else below U+0020."""
    if _CONTROL_IN_TEXT.search(value):
        raise ValueError("must not contain control characters other than line breaks and tabs")
    return value


Line = AfterValidator(_no_control)
Text = AfterValidator(_no_control_in_text)

# Upper bounds everywhere so that an oversized field is rejected as `invalid` before any work is done.
# INE and UAI shapes are deliberately not checked here: services answer `invalid_ine` / `invalid_uai`.
Ine = Annotated[str, StringConstraints(max_length=32), Line]
Uai = Annotated[str, StringConstraints(max_length=16), Line]
Code = Annotated[str, StringConstraints(max_length=64), Line]
CampaignName = Annotated[str, StringConstraints(min_length=1, max_length=16), Line]
PersonName = Annotated[str, StringConstraints(max_length=100), AfterValidator(_not_blank), Line]
CommentText = Annotated[str, StringConstraints(max_length=4000), AfterValidator(_not_blank), Text]
ReportText = Annotated[str, StringConstraints(max_length=8000), Text]
PlaceText = Annotated[str, StringConstraints(max_length=300), AfterValidator(_not_blank), Text]
ReasonText = Annotated[str, StringConstraints(max_length=500), Text]
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    Line,
]


_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 31, tzinfo=UTC)


def _representable(value: datetime) -> datetime:
    """An instant a day away from the calendar's ends, so that local times and durations stay computable."""
    try:
        within = _EARLIEST <= value.astimezone(UTC) < _LATEST
    except (OverflowError, ValueError):
        within = False
    if not within:
        raise ValueError("must lie between 0001-01-02 and 9999-12-30 in UTC")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_representable)]


class Message(BaseModel):
    """A message of the public interface: immutable, strict about unknown fields."""

    # Pupils are minors: validation errors must never echo names, comments or reports into logs.
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=False,
        hide_input_in_errors=True,
    )


class Command(Message):
    """A request published by a portal on `passpro.commands`; the routing key is the command's name."""

    command_id: UUID = Field(
        description=(
            "Identifier chosen by the publisher, also the AMQP message_id. A command with an id "
            "already processed has no second effect and no second event."
        ),
    )
    campaign: CampaignName = Field(description='The campaign the command belongs to, e.g. "2013".')
    actor_uai: Uai = Field(
        description=(
            "UAI (school identifier: 7 digits and a check letter) of the school on whose behalf the "
            "portal publishes; it authorises the command (R12). A malformed UAI is answered with "
            "`invalid_uai`."
        ),
    )
    channel: ChannelName = Field(
        default="portal",
        description=(
            "`portal` for a school's own portal, `saio_form` for the SAIO online form used by schools "
            "without portal access (CFA, private schools outside contract, schools outside the académie)."
        ),
    )


class Event(Message):
    """A fact published by a service on `passpro.events` with routing key `<service>.<event>`."""

    event_id: UUID = Field(description="Unique identifier of this event, also the AMQP message_id.")
    occurred_at: AwareDatetime = Field(
        description="When the fact happened, by the service's clock (virtual or wall), with an offset.",
    )
    campaign: CampaignName = Field(description='The campaign the event belongs to, e.g. "2013".')
    causation_id: UUID | None = Field(
        description=(
            "The `command_id` of the command that led to this event, or the `event_id` of the event "
            "that led to it; null when a timer of the service's clock caused it."
        ),
    )
