"""The events services publish on `passpro.events`, one model per event name."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BeforeValidator, Field, StringConstraints, model_validator

from contracts.base import (
    ChannelName,
    Code,
    CommentText,
    Email,
    Event,
    FinalOpinion,
    Ine,
    Line,
    Message,
    Opinion,
    PersonName,
    PlaceText,
    ReasonText,
    RejectionReason,
    ReportText,
    Uai,
)
from contracts.commands import Referent

__all__ = [
    "BonusExported",
    "CampaignPurged",
    "CandidacyRegistered",
    "CandidacyWithdrawn",
    "CapacityShortfall",
    "ClockAdvanced",
    "CommandRejected",
    "ConvocationSent",
    "FieldError",
    "FinalOpinionComputed",
    "InterviewBooked",
    "InterviewCancelled",
    "InterviewReported",
    "InterviewRequested",
    "InterviewsAtRisk",
    "RecapSent",
    "ReportOverdue",
    "SlotsCancelled",
    "SlotsDeclared",
    "WishConfirmed",
]


class RegisteredPupil(Message):
    """The pupil as the consumers of a registration need them: the INE and the names the mails carry.

    Data minimisation: the birth date and class level are collected (R3, eligibility) and kept by
    enrollment only; no consumer uses them, so they are not broadcast. Events published before say
    them: they are still accepted, and never written out again.
    """

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    last_name: PersonName = Field(description="Family name, for the convocation and the recap sheet (R19, R26).")
    first_name: PersonName = Field(description="Given name, for the convocation and the recap sheet (R19, R26).")
    birth_date: date | None = Field(
        default=None,
        exclude=True,
        description="No longer sent (data minimisation): accepted from older events, never published.",
    )
    class_level: Annotated[str, StringConstraints(max_length=32), Line] | None = Field(
        default=None,
        exclude=True,
        description="No longer sent (data minimisation): accepted from older events, never published.",
    )


class CandidacyRegistered(Event):
    """R2-R9: a candidacy was created, or its origin opinion and comment were updated (R9).

    Besides the contract's fields it carries the pupil, referent, comment and channel, so that the
    scheduling, opinions and notifications services need not ask enrollment for them.
    """

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    formation_code: Code = Field(description="Code of the formation applied for.")
    domain_code: Code = Field(description="Code of the formation's domain (R1).")
    origin_uai: Uai = Field(description="UAI of the origin school (établissement d'origine).")
    origin_opinion: Opinion = Field(description="The origin school's opinion on this formation (R8).")
    pupil: RegisteredPupil = Field(
        description="Extension: the pupil's INE and names (not the birth date or class level: minimisation).",
    )
    referent: Referent = Field(
        description="Extension: the referent person, who receives the convocation (R11).",
    )
    origin_comment: CommentText = Field(
        description="Extension: the origin school's comment on involvement and motivation (R8).",
    )
    channel: ChannelName = Field(description="Extension: the channel the registration came through.")
    registered_at: AwareDatetime = Field(
        description=(
            "Extension: instant of the first registration of this candidacy, unchanged by updates; "
            "interviews are booked oldest first."
        ),
    )
    revision: int = Field(
        ge=1,
        description="Extension: 1 when the candidacy is created, +1 at each update of opinion/comment (R9).",
    )
    origin_mailbox: Email | None = Field(
        default=None,
        description=(
            "Extension: the origin school's mailbox for this pupil's mails, as last given by a registration "
            "of the pupil; absent when none was given (then the directory's or ce.<uai>@<domain>)."
        ),
    )


class CandidacyWithdrawn(Event):
    """R10: the origin school withdrew a candidacy; with none left in a domain, its interview is cancelled."""

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    formation_code: Code = Field(description="Code of the formation withdrawn.")
    domain_code: Code = Field(description="Code of the formation's domain.")
    origin_uai: Uai = Field(description="Extension: UAI of the origin school.")
    reason: ReasonText | None = Field(description="Extension: why the pupil renounced, when the school said.")
    remaining_in_domain: int = Field(
        ge=0,
        description=(
            "Extension: active candidacies of the pupil left in this domain; at 0 the domain's interview "
            "is cancelled (R10)."
        ),
    )


class InterviewBooked(Event):
    """R13-R19: an interview was booked for a pupil in a domain; a convocation follows."""

    interview_id: UUID = Field(description="Identifier of the interview, used to report on it.")
    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    domain_code: Code = Field(description="Code of the domain (one interview per pupil per domain, R13).")
    reception_uai: Uai = Field(
        description="UAI of the reception school (établissement d'accueil-référent) holding the interview.",
    )
    starts_at: AwareDatetime = Field(description="Start of the interview, in the campaign's timezone (R20c).")
    ends_at: AwareDatetime = Field(description="End of the interview, after `starts_at`.")
    place: PlaceText = Field(description="Where the interview takes place, as the reception school said.")
    formation_codes: list[Code] = Field(
        min_length=1,
        max_length=50,
        description="The formations of the domain the pupil applied for; one motivation letter each (R20).",
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> "InterviewBooked":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class InterviewCancelled(Event):
    """R10, R19: an interview was cancelled and its slot freed; the cancellation is notified."""

    interview_id: UUID = Field(description="The interview cancelled.")
    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    domain_code: Code = Field(description="Code of the interview's domain.")
    reason: ReasonText = Field(
        description=(
            "Why the interview was cancelled, a short snake_case code such as `candidacies_withdrawn` "
            "(R10); the notifications service words it in French for the cancellation e-mail."
        ),
    )


class CapacityShortfall(Event):
    """R15: a domain lacks interview capacity; waiting pupils are booked as soon as slots are added."""

    domain_code: Code = Field(description="Code of the domain lacking slots.")
    waiting_pupils: int = Field(ge=0, description="How many pupils of the domain wait for an interview.")
    first_possible_on: date | None = Field(
        default=None,
        description=(
            "Extension: the first day an interview booked now could take place (R17: the convocation's notice), "
            "or null when no day of the interview window remains far enough ahead."
        ),
    )


class InterviewsAtRisk(Event):
    """R15, R17 (extension): pupils of a domain registered by the deadline still wait while the window closes.

    Published at most once per domain and campaign day while it holds: from `alarm_days` (campaign file,
    `[scheduling]`, default 3) days before the last day an interview can still be booked, and every day
    after it, when the pupils can no longer be received. For operators and portals; no service consumes it.
    """

    domain_code: Code = Field(description="Code of the domain whose pupils are at risk.")
    waiting_pupils: int = Field(
        ge=1,
        description="How many pupils of the domain, registered by the registration deadline, still wait.",
    )
    last_booking_day: date | None = Field(
        description=(
            "The last day an interview can still be booked (R17: the last interview day minus the convocation's "
            "notice), or null when no day remains: the waiting pupils can no longer be received."
        ),
    )


class FinalOpinionComputed(Event):
    """R24, R25: the two opinions on a candidacy were crossed into its final opinion."""

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    formation_code: Code = Field(description="Code of the formation.")
    origin_opinion: Opinion = Field(description="The origin school's opinion (R8).")
    reception_opinion: Opinion = Field(description="The reception school's opinion (R22).")
    final_opinion: FinalOpinion = Field(description="The crossing of the two opinions (R24).")


class ReportOverdue(Event):
    """R22: a reception school has not reported on a held interview within the report delay."""

    interview_id: UUID = Field(description="The interview whose report is late.")
    reception_uai: Uai = Field(description="UAI of the reception school that owes the report.")
    due_on: date = Field(description="Day the report was due (interview day + report delay).")


class ConvocationSent(Event):
    """R19: the convocation to an interview was e-mailed."""

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil convoked.")
    interview_id: UUID = Field(description="The interview the convocation is for.")
    recipients: list[Email] = Field(
        min_length=1,
        max_length=20,
        description="Addresses the mail went to: the origin school's functional mailbox and the referent.",
    )


class RecapSent(Event):
    """R26: the pupil's recap sheet (fiche récapitulative) was e-mailed to the origin school."""

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    domain_code: Code = Field(description="Code of the domain whose results triggered this recap sheet.")
    recipients: list[Email] = Field(
        min_length=1,
        max_length=20,
        description="Addresses the mail went to: the origin school's functional mailbox.",
    )


class BonusExported(Event):
    """R27-R30: a bonus was delivered to Affelnet (2xx or 409)."""

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    formation_code: Code = Field(description="Code of the formation the bonus applies to.")
    final_opinion: FinalOpinion = Field(description="The final opinion translated into points (R24).")
    bonus_points: int = Field(ge=0, description="The campaign's points for that final opinion (R29).")


class SlotsDeclared(Event):
    """R14: a reception school's interview slots were added for a domain."""

    reception_uai: Uai = Field(description="UAI of the reception school that declared the slots.")
    domain_code: Code = Field(description="Code of the domain.")
    slots_added: int = Field(ge=0, description="How many slots the declaration added.")


class SlotsCancelled(Event):
    """R14, R15: a reception school cancelled slots; the interviews booked in them were moved.

    Each moved interview has its own `interview_cancelled` (reason `slot_cancelled`), then an
    `interview_booked` in another slot or, when none fits, a `capacity_shortfall` counting its pupil.
    """

    reception_uai: Uai = Field(description="UAI of the reception school that cancelled the slots.")
    domain_code: Code = Field(description="Code of the domain.")
    slots_cancelled: int = Field(
        ge=0,
        description="How many of the named slots this command closed (one already cancelled counts 0).",
    )
    interviews_moved: int = Field(
        ge=0,
        description=(
            "How many interviews not yet started were cancelled in those slots; each pupil was booked again "
            "or waits for a seat."
        ),
    )


class InterviewRequested(Event):
    """R21: a new interview was asked for after a missed one; a booking or a capacity shortfall follows."""

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    domain_code: Code = Field(description="Code of the domain.")


class InterviewReported(Event):
    """R21, R22: the reception school recorded attendance and, when the pupil came, its report and opinions.

    Besides the contract's fields it carries the reception school and the report, which the recap sheet
    shows per domain (R26).
    """

    interview_id: UUID = Field(description="The interview reported on.")
    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    domain_code: Code = Field(description="Code of the interview's domain.")
    attended: bool = Field(description="Whether the pupil came (R21); an absent pupil gets no opinion.")
    reception_uai: Uai = Field(description="Extension: UAI of the reception school that held the interview.")
    report: ReportText = Field(
        description="Extension: the reception school's report on the domain (compte rendu); empty if absent.",
    )


class WishConfirmed(Event):
    """R28: the family confirmed the formation and the wish was entered in Affelnet in time."""

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    formation_code: Code = Field(description="Code of the formation confirmed.")
    wish_entered_on: date = Field(description="Day the origin school entered the wish in Affelnet.")


class CampaignPurged(Event):
    """A service deleted a finished campaign's personal data; each of the five publishes it once."""

    rows_deleted: int = Field(ge=0, description="How many rows about the campaign's pupils the service deleted.")


class ClockAdvanced(Event):
    """A service moved its virtual clock; each of the five services publishes it once per `advance_clock`."""

    to: AwareDatetime = Field(description="The instant the service's virtual clock moved to.")


def _cut(limit: int) -> BeforeValidator:
    def cut(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            return value[: limit - 1] + "…"
        if isinstance(value, list) and len(value) > limit:
            return value[:limit]
        return value

    return BeforeValidator(cut)


# A rejection must always be publishable, even when it echoes an oversized or garbled message:
# long values are cut rather than refused.
_CutCommandId = Annotated[str, _cut(128), StringConstraints(max_length=128)]
_CutRoutingKey = Annotated[str, _cut(255), StringConstraints(max_length=255)]
_CutField = Annotated[str, _cut(200), StringConstraints(max_length=200)]
_CutMessage = Annotated[str, _cut(2000), StringConstraints(max_length=2000)]


class FieldError(Message):
    """One problem found in a rejected command's fields."""

    field: _CutField = Field(
        description="Dotted path of the field, e.g. `pupil.birth_date`; cut at 200 chars.",
    )
    message: _CutMessage = Field(description="What is wrong with it, in plain English; cut at 2000 chars.")


class CommandRejected(Event):
    """A command was not carried out and changed nothing; exactly one such event per rejected command."""

    command_id: _CutCommandId | None = Field(
        description=(
            "The rejected command's `command_id`; when the body had no readable UUID, the AMQP message_id, "
            "or null when there was none either."
        ),
    )
    command: _CutRoutingKey = Field(description="The routing key the command was published with.")
    reason: RejectionReason = Field(description="Stable code of the reason for the rejection.")
    message: _CutMessage = Field(description="What was wrong and what to do, in plain words.")
    errors: Annotated[list[FieldError], _cut(100)] = Field(
        default=[],
        max_length=100,
        description="For `invalid`: the fields at fault, at most 100.",
    )
