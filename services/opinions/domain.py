"""Opinions' pure rules: what a report must hold, the final-opinion matrix, when a report is overdue (R21–R25)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo

from contracts.refusal import Refused


class Opinion(IntEnum):
    """R24: an opinion and its weight in the matrix."""

    RESERVE = 0
    ASSEZ_FAVORABLE = 1
    FAVORABLE = 2

    @classmethod
    def of(cls, code: str) -> Opinion:
        return cls[code.upper()]

    @property
    def code(self) -> str:
        return self.name.lower()


class FinalOpinion(StrEnum):
    RESERVE = "reserve"
    PEU_FAVORABLE = "peu_favorable"
    ASSEZ_FAVORABLE = "assez_favorable"
    FAVORABLE = "favorable"
    TRES_FAVORABLE = "tres_favorable"


_BY_SUM = (
    FinalOpinion.RESERVE,
    FinalOpinion.PEU_FAVORABLE,
    FinalOpinion.ASSEZ_FAVORABLE,
    FinalOpinion.FAVORABLE,
    FinalOpinion.TRES_FAVORABLE,
)


def final_opinion(origin: Opinion, reception: Opinion) -> FinalOpinion:
    """R24: cross the two opinions (favorable 2, assez favorable 1, réservé 0; the sum 0..4 names the result)."""
    return _BY_SUM[int(origin) + int(reception)]


def rank(final: FinalOpinion) -> int:
    """A final opinion's place from réservé (0) to très favorable (4)."""
    return _BY_SUM.index(final)


class OpinionsError(Refused):
    """A rule of this service refused the command."""


class UnknownInterviewError(OpinionsError):
    reason = "unknown_interview"
    maybe_not_yet = True  # learnt from another service's events


class UnauthorizedError(OpinionsError):
    reason = "unauthorized"


class InterviewNotHeldError(OpinionsError):
    reason = "interview_not_held"


class AlreadyReportedError(OpinionsError):
    reason = "already_reported"


class ReportIncompleteError(OpinionsError):
    reason = "report_incomplete"


@dataclass(frozen=True)
class Interview:
    interview_id: str
    reception_uai: str
    starts_at: datetime
    cancelled: bool
    reported: bool


def check_report(
    *,
    interview: Interview | None,
    actor_uai: str,
    now: datetime,
    attended: bool,
    report: str,
    opinions: Sequence[tuple[str, str]],
    active_formations: frozenset[str],
) -> Mapping[str, Opinion]:
    """R21, R22: a report on a held interview, by the school that held it, once, complete.

    Returns the reception opinion per formation (none when the pupil was absent).
    """
    if interview is None or interview.cancelled:
        raise UnknownInterviewError(
            "Cet entretien n'existe pas ou a été annulé : vérifiez l'identifiant de la convocation.", "interview_id"
        )
    if interview.reception_uai != actor_uai:
        raise UnauthorizedError(
            "Seul l'établissement d'accueil qui a reçu l'élève peut saisir ce compte rendu.", "actor_uai"
        )
    if now < interview.starts_at:
        raise InterviewNotHeldError(
            "L'entretien n'a pas encore eu lieu : le compte rendu se saisit après l'entretien.", "interview_id"
        )
    if interview.reported:
        raise AlreadyReportedError("Le compte rendu de cet entretien a déjà été saisi.", "interview_id")
    if not attended:
        if opinions:
            raise ReportIncompleteError(
                "L'élève est déclaré absent : aucun avis ne peut être donné sans entretien.", "opinions"
            )
        return {}
    if not report.strip():
        raise ReportIncompleteError(
            "Le compte rendu du domaine est obligatoire quand l'élève s'est présenté.", "report"
        )
    given = [code for code, _ in opinions]
    if len(given) != len(set(given)):
        raise ReportIncompleteError("Une formation a reçu deux avis : un seul avis par formation.", "opinions")
    unknown = sorted(set(given) - active_formations)
    if unknown:
        raise ReportIncompleteError(
            f"L'élève n'est pas candidat à « {unknown[0][:64]} » : donnez un avis pour ses seules formations.",
            "opinions",
        )
    missing = sorted(active_formations - set(given))
    if missing:
        raise ReportIncompleteError(
            f"Il manque l'avis pour la formation « {missing[0][:64]} » : un avis par formation demandée.",
            "opinions",
        )
    return {code: Opinion.of(value) for code, value in opinions}


def report_due_on(starts_at: datetime, delay_days: int, tz: ZoneInfo) -> date:
    """R22: the report is due ``delay_days`` days after the interview's day (campaign's timezone)."""
    return starts_at.astimezone(tz).date() + timedelta(days=delay_days)


def is_overdue(starts_at: datetime, now: datetime, delay_days: int, tz: ZoneInfo) -> bool:
    """R22: overdue once the day it was due has passed."""
    return now.astimezone(tz).date() > report_due_on(starts_at, delay_days, tz)
