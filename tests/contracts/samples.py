"""One representative instance of every public message model."""

from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from contracts.base import FinalOpinion, Message, Opinion, RejectionReason
from contracts.commands import (
    AdvanceClock,
    CancelInterviewSlots,
    ConfirmWish,
    DeclareInterviewSlots,
    FormationOpinion,
    Pupil,
    PurgeCampaign,
    Referent,
    RegisterCandidacy,
    RequestNewInterview,
    SlotDeclaration,
    SubmitInterviewReport,
    WithdrawCandidacy,
)
from contracts.events import (
    BonusExported,
    CampaignPurged,
    CandidacyRegistered,
    CandidacyWithdrawn,
    CapacityShortfall,
    ClockAdvanced,
    CommandRejected,
    ConvocationSent,
    FieldError,
    FinalOpinionComputed,
    InterviewBooked,
    InterviewCancelled,
    InterviewReported,
    InterviewRequested,
    InterviewsAtRisk,
    RecapSent,
    RegisteredPupil,
    ReportOverdue,
    SlotsCancelled,
    SlotsDeclared,
    WishConfirmed,
)

PARIS = ZoneInfo("Europe/Paris")
COMMAND_ID = UUID("0b7c6a52-4d1e-4a4b-9d55-0f5b3c1e2a01")
EVENT_ID = UUID("5f1d2c3b-8a9e-4f70-b1c2-d3e4f5a6b7c8")
INTERVIEW_ID = UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
NOW = datetime(2013, 3, 4, 10, 30, tzinfo=PARIS)
# 2 April 2013 is after the change to summer time (R20c).
INTERVIEW_AT = datetime(2013, 4, 2, 9, 0, tzinfo=PARIS)
INE = "1234567890A"
ORIGIN_UAI = "0931311V"
RECEPTION_UAI = "0940115P"

PUPIL = Pupil(
    ine=INE,
    last_name="Martin",
    first_name="Léa",
    birth_date=date(1998, 6, 14),
    class_level="3eme",
)
REFERENT = Referent(name="Mme Durand", email="durand@ac-creteil.fr")

COMMAND_ENVELOPE = {"command_id": COMMAND_ID, "campaign": "2013", "actor_uai": ORIGIN_UAI}
EVENT_ENVELOPE = {"event_id": EVENT_ID, "occurred_at": NOW, "campaign": "2013", "causation_id": COMMAND_ID}

SAMPLES: dict[type[Message], Message] = {
    RegisterCandidacy: RegisterCandidacy(
        **COMMAND_ENVELOPE,
        pupil=PUPIL,
        origin_uai=ORIGIN_UAI,
        referent=REFERENT,
        formation_code="cap-cuisine",
        origin_opinion=Opinion.FAVORABLE,
        origin_comment="Élève motivée, a fait un stage en cuisine.",
    ),
    WithdrawCandidacy: WithdrawCandidacy(
        **COMMAND_ENVELOPE, ine=INE, formation_code="cap-cuisine", reason="a choisi une autre voie"
    ),
    DeclareInterviewSlots: DeclareInterviewSlots(
        **{**COMMAND_ENVELOPE, "actor_uai": RECEPTION_UAI},
        domain_code="hotellerie-restauration",
        place="Salle B12, bâtiment B",
        slots=[SlotDeclaration(starts_at=INTERVIEW_AT, duration_minutes=30, capacity=4)],
    ),
    CancelInterviewSlots: CancelInterviewSlots(
        **{**COMMAND_ENVELOPE, "actor_uai": RECEPTION_UAI},
        domain_code="hotellerie-restauration",
        starts_at=[INTERVIEW_AT],
        reason="Salle B12 indisponible ce matin-là",
    ),
    SubmitInterviewReport: SubmitInterviewReport(
        **{**COMMAND_ENVELOPE, "actor_uai": RECEPTION_UAI},
        interview_id=INTERVIEW_ID,
        attended=True,
        report="Projet réfléchi ; visiter une cuisine professionnelle.",
        opinions=[FormationOpinion(formation_code="cap-cuisine", opinion=Opinion.ASSEZ_FAVORABLE)],
    ),
    RequestNewInterview: RequestNewInterview(**COMMAND_ENVELOPE, ine=INE, domain_code="hotellerie-restauration"),
    ConfirmWish: ConfirmWish(
        **COMMAND_ENVELOPE,
        ine=INE,
        formation_code="cap-cuisine",
        family_confirmed=True,
        wish_entered_on=date(2013, 5, 15),
        channel="saio_form",
    ),
    AdvanceClock: AdvanceClock(**COMMAND_ENVELOPE, to=NOW + timedelta(days=1)),
    PurgeCampaign: PurgeCampaign(**COMMAND_ENVELOPE),
    CandidacyRegistered: CandidacyRegistered(
        **EVENT_ENVELOPE,
        ine=INE,
        formation_code="cap-cuisine",
        domain_code="hotellerie-restauration",
        origin_uai=ORIGIN_UAI,
        origin_opinion=Opinion.FAVORABLE,
        pupil=RegisteredPupil(ine=INE, last_name=PUPIL.last_name, first_name=PUPIL.first_name),
        referent=REFERENT,
        origin_comment="Élève motivée.",
        channel="portal",
        registered_at=NOW,
        revision=1,
    ),
    CandidacyWithdrawn: CandidacyWithdrawn(
        **EVENT_ENVELOPE,
        ine=INE,
        formation_code="cap-cuisine",
        domain_code="hotellerie-restauration",
        origin_uai=ORIGIN_UAI,
        reason=None,
        remaining_in_domain=0,
    ),
    InterviewBooked: InterviewBooked(
        **EVENT_ENVELOPE,
        interview_id=INTERVIEW_ID,
        ine=INE,
        domain_code="hotellerie-restauration",
        reception_uai=RECEPTION_UAI,
        starts_at=INTERVIEW_AT,
        ends_at=INTERVIEW_AT + timedelta(minutes=30),
        place="Salle B12, bâtiment B",
        formation_codes=["cap-cuisine", "cap-patissier"],
    ),
    InterviewCancelled: InterviewCancelled(
        **EVENT_ENVELOPE,
        interview_id=INTERVIEW_ID,
        ine=INE,
        domain_code="hotellerie-restauration",
        reason="candidacies_withdrawn",
    ),
    CapacityShortfall: CapacityShortfall(**EVENT_ENVELOPE, domain_code="hotellerie-restauration", waiting_pupils=12),
    FinalOpinionComputed: FinalOpinionComputed(
        **EVENT_ENVELOPE,
        ine=INE,
        formation_code="cap-cuisine",
        origin_opinion=Opinion.FAVORABLE,
        reception_opinion=Opinion.ASSEZ_FAVORABLE,
        final_opinion=FinalOpinion.FAVORABLE,
    ),
    ReportOverdue: ReportOverdue(
        **EVENT_ENVELOPE, interview_id=INTERVIEW_ID, reception_uai=RECEPTION_UAI, due_on=date(2013, 4, 5)
    ),
    ConvocationSent: ConvocationSent(
        **EVENT_ENVELOPE,
        ine=INE,
        interview_id=INTERVIEW_ID,
        recipients=["ce.0931311v@ac-creteil.fr", "durand@ac-creteil.fr"],
    ),
    RecapSent: RecapSent(
        **EVENT_ENVELOPE,
        ine=INE,
        domain_code="hotellerie-restauration",
        recipients=["ce.0931311v@ac-creteil.fr"],
    ),
    BonusExported: BonusExported(
        **EVENT_ENVELOPE,
        ine=INE,
        formation_code="cap-cuisine",
        final_opinion=FinalOpinion.FAVORABLE,
        bonus_points=30,
    ),
    SlotsDeclared: SlotsDeclared(
        **EVENT_ENVELOPE, reception_uai=RECEPTION_UAI, domain_code="hotellerie-restauration", slots_added=1
    ),
    SlotsCancelled: SlotsCancelled(
        **EVENT_ENVELOPE,
        reception_uai=RECEPTION_UAI,
        domain_code="hotellerie-restauration",
        slots_cancelled=1,
        interviews_moved=3,
    ),
    InterviewRequested: InterviewRequested(**EVENT_ENVELOPE, ine=INE, domain_code="hotellerie-restauration"),
    InterviewsAtRisk: InterviewsAtRisk(
        **EVENT_ENVELOPE, domain_code="hotellerie-restauration", waiting_pupils=7, last_booking_day=date(2013, 4, 12)
    ),
    InterviewReported: InterviewReported(
        **EVENT_ENVELOPE,
        interview_id=INTERVIEW_ID,
        ine=INE,
        domain_code="hotellerie-restauration",
        attended=True,
        reception_uai=RECEPTION_UAI,
        report="Projet réfléchi.",
    ),
    WishConfirmed: WishConfirmed(
        **EVENT_ENVELOPE, ine=INE, formation_code="cap-cuisine", wish_entered_on=date(2013, 5, 15)
    ),
    ClockAdvanced: ClockAdvanced(**EVENT_ENVELOPE, to=NOW + timedelta(days=1)),
    CampaignPurged: CampaignPurged(**EVENT_ENVELOPE, rows_deleted=42),
    CommandRejected: CommandRejected(
        **EVENT_ENVELOPE,
        command_id=str(COMMAND_ID),
        command="register_candidacy",
        reason=RejectionReason.INVALID,
        message="The pupil's birth date is missing: add pupil.birth_date and publish again.",
        errors=[FieldError(field="pupil.birth_date", message="Field required")],
    ),
}
