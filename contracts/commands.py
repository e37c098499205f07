"""The commands portals publish on `passpro.commands`, one model per routing key."""

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from contracts.base import (
    Code,
    Command,
    CommentText,
    Email,
    Ine,
    Instant,
    Line,
    Message,
    Opinion,
    PersonName,
    PlaceText,
    ReasonText,
    ReportText,
    Uai,
)

__all__ = [
    "AdvanceClock",
    "CancelInterviewSlots",
    "ConfirmWish",
    "DeclareInterviewSlots",
    "FormationOpinion",
    "Pupil",
    "PurgeCampaign",
    "Referent",
    "RegisterCandidacy",
    "RequestNewInterview",
    "SlotDeclaration",
    "SubmitInterviewReport",
    "WithdrawCandidacy",
]


class Pupil(Message):
    """The pupil a candidacy is for; kept only as long as the procedure needs it (minors' data)."""

    ine: Ine = Field(
        description=(
            "INE (identifiant national élève, the national pupil identifier): 11 characters, checked by "
            "the services, which answer `invalid_ine`."
        ),
    )
    last_name: PersonName = Field(description="Family name, not empty.")
    first_name: PersonName = Field(description="Given name, not empty.")
    birth_date: date = Field(description="Date of birth, YYYY-MM-DD.")
    class_level: Annotated[str, StringConstraints(max_length=32), Line] = Field(
        description=(
            "Current class: `3eme`, `3eme_segpa`, `3eme_prepa_metiers`, `classe_accueil` (reception class "
            "for newly arrived pupils), `mgi_niveau_v` (MGI, the dropout-prevention mission, level V), "
            "or anything else such as `2nde_gt`. Eligibility is decided by the enrollment service "
            "(R3, R4), which answers `not_eligible`."
        ),
    )


class Referent(Message):
    """R11: the adult at the origin school who follows the pupil and receives the convocation."""

    name: PersonName = Field(description="Full name of the referent person (personne référente), not empty.")
    email: Email = Field(description="E-mail address of the referent person; convocations go there (R19).")


class RegisterCandidacy(Command):
    """R2-R4, R6-R9, R11, R12: the origin school registers a pupil for one formation, or updates the opinion.

    Registering the same pupil for the same formation again updates the origin opinion and comment until
    the interview takes place (R9).
    """

    pupil: Pupil = Field(description="The pupil applying.")
    origin_uai: Uai = Field(
        description="UAI of the origin school (établissement d'origine), where the pupil is enrolled now.",
    )
    referent: Referent = Field(description="The pupil's referent person at the origin school (R11).")
    formation_code: Code = Field(
        description="Code of a formation of the campaign catalog (R2), e.g. `cap-cuisine`.",
    )
    origin_opinion: Opinion = Field(description="The origin school's opinion on this formation (R8).")
    origin_comment: CommentText = Field(
        description="The origin school's comment on the pupil's involvement and motivation, mandatory (R8).",
    )
    origin_mailbox: Email | None = Field(
        default=None,
        description=(
            "The origin school's functional mailbox, where mails about this pupil for the school go (R19, "
            "R26). Optional; required when `channel` is `saio_form` and the campaign's schools directory "
            "gives the school no mailbox (rejection `invalid` naming `origin_mailbox`). The last value "
            "given for a pupil wins; a registration without one keeps it."
        ),
    )


class WithdrawCandidacy(Command):
    """R10, R12: the origin school withdraws a candidacy the pupil renounces."""

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    formation_code: Code = Field(description="Code of the formation the pupil renounces.")
    reason: ReasonText | None = Field(default=None, description="Why the pupil renounces, optional.")


class SlotDeclaration(Message):
    """R14: interview time a reception school offers, in which `capacity` pupils can be received."""

    starts_at: Instant = Field(description="Start of the slot, ISO-8601 with an offset (R20c).")
    duration_minutes: int = Field(ge=5, le=480, description="Length of one interview in minutes.")
    capacity: int = Field(ge=1, le=500, description="How many pupils can be received in this slot.")


class DeclareInterviewSlots(Command):
    """R14, R15, R12: a reception school of the domain offers interview slots at a place."""

    domain_code: Code = Field(
        description="Code of the domain the interviews are for, e.g. `hotellerie-restauration`.",
    )
    place: PlaceText = Field(description="Where the interviews take place (room, building, address).")
    slots: list[SlotDeclaration] = Field(
        min_length=1,
        max_length=200,
        description="The slots offered, 1 to 200 per command.",
    )


class CancelInterviewSlots(Command):
    """R14, R15, R18, R12: a reception school withdraws slots it declared; their pupils are booked again.

    Every interview booked in the slots that has not started is cancelled (reason `slot_cancelled`) and
    its pupil booked like a new need, in another slot, or left waiting with a capacity shortfall. Accepted
    until the campaign's `planning_ends_on` (`outside_planning_window` afterwards); an instant naming no
    slot the school declared in the domain is answered `unknown_slot` and nothing is cancelled.
    """

    domain_code: Code = Field(description="Code of the domain the slots were declared for.")
    starts_at: list[Instant] = Field(
        min_length=1,
        max_length=200,
        description=(
            "Starts of the slots to cancel, as they were declared (ISO-8601 with an offset; the same instant "
            "written with another offset names the same slot), 1 to 200 per command."
        ),
    )
    reason: ReasonText = Field(
        description="Why the slots are cancelled, in a few words (kept for the operators, not mailed).",
    )


class FormationOpinion(Message):
    """R22: the reception school's opinion on one formation the pupil applied for."""

    formation_code: Code = Field(description="Code of the formation.")
    opinion: Opinion = Field(description="The reception school's opinion on this formation.")


class SubmitInterviewReport(Command):
    """R21, R22: the reception school records attendance, the domain report and one opinion per formation.

    When the pupil attended, the report must not be empty and there must be exactly one opinion per active
    candidacy of the domain; the opinions service checks that and answers `report_incomplete`.
    """

    interview_id: UUID = Field(
        description="The interview reported on, as given by `scheduling.interview_booked`.",
    )
    attended: bool = Field(description="Whether the pupil came to the interview (R21).")
    report: ReportText = Field(
        default="",
        description="Short report on the whole domain, advice to the pupil (compte rendu); empty if absent.",
    )
    opinions: list[FormationOpinion] = Field(
        default=[],
        max_length=20,
        description="One opinion per formation of the domain the pupil applied for; empty when absent.",
    )


class RequestNewInterview(Command):
    """R21: the origin school asks for a new interview after the pupil missed one."""

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    domain_code: Code = Field(description="Code of the domain of the missed interview.")


class ConfirmWish(Command):
    """R27, R28: the family confirmed the formation and the origin school entered the wish in Affelnet."""

    ine: Ine = Field(description="INE (national pupil identifier) of the pupil.")
    formation_code: Code = Field(description="Code of the formation confirmed.")
    family_confirmed: Literal[True] = Field(
        description="Always true: the pupil and family confirmed the choice of this formation (R28).",
    )
    wish_entered_on: date = Field(
        description=(
            "Day the origin school entered the wish in Affelnet; the bonus holds only for a wish entered "
            "by the campaign's Affelnet wish deadline (R28), otherwise `wish_deadline_passed`."
        ),
    )


class AdvanceClock(Command):
    """Moves the virtual clock of every service forward; rejected under the wall clock, never backwards."""

    to: Instant = Field(description="The instant the virtual clock moves to, ISO-8601 with an offset.")


class PurgeCampaign(Command):
    """Operators only: once the campaign is over, every service deletes its data about the campaign's pupils.

    Carried out only when the broker vouches (validated ``user_id``) that the operators' account sent it.
    """
