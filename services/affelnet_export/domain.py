"""Affelnet export's pure rules: which wishes count, when a bonus is due, what Affelnet's answer means (R27–R30)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from contracts.identifiers import is_valid_ine
from contracts.refusal import Refused

RETRY_BASE = timedelta(seconds=2)
RETRY_CAP = timedelta(minutes=10)


class ExportError(Refused):
    """A rule of this service refused the command."""


class InvalidIneError(ExportError):
    reason = "invalid_ine"


class UnknownFormationError(ExportError):
    reason = "unknown_formation"


class UnknownCandidacyError(ExportError):
    reason = "unknown_candidacy"
    maybe_not_yet = True  # learnt from another service's events


class UnauthorizedError(ExportError):
    reason = "unauthorized"


class WishDeadlinePassedError(ExportError):
    reason = "wish_deadline_passed"


@dataclass(frozen=True)
class Candidacy:
    origin_uai: str
    active: bool


def check_confirmation(
    *,
    ine: str,
    formation_known: bool,
    candidacy: Candidacy | None,
    actor_uai: str,
    wish_entered_on: date,
    wish_deadline: date,
) -> None:
    """R27, R28: the origin school confirms its own pupil's active candidacy, entered in Affelnet in time."""
    if not is_valid_ine(ine):
        raise InvalidIneError("L'INE de l'élève n'est pas valide.", "ine")
    if not formation_known:
        raise UnknownFormationError("Cette formation ne fait pas partie du catalogue Passpro.", "formation_code")
    if candidacy is None or not candidacy.active:
        raise UnknownCandidacyError(
            "Aucune candidature active de cet élève pour cette formation : rien à confirmer.", "formation_code"
        )
    if candidacy.origin_uai != actor_uai:
        raise UnauthorizedError("Seul l'établissement d'origine de l'élève confirme ses vœux.", "actor_uai")
    if wish_entered_on > wish_deadline:
        raise WishDeadlinePassedError(
            f"Le vœu a été saisi dans Affelnet après le {wish_deadline:%d/%m/%Y} : le bonus Passpro ne "
            "s'applique qu'aux vœux saisis avant cette date.",
            "wish_entered_on",
        )


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    PARK = "park"


def classify(status: int | None) -> Outcome:
    """R30: 2xx and 409 (already there) are delivered; no answer, 408, 429 and 5xx are retried; other 4xx parked."""
    if status is None or status in (408, 429) or status >= 500:
        return Outcome.RETRY
    if 200 <= status < 300 or status == 409:
        return Outcome.DELIVERED
    return Outcome.PARK


def idempotency_key(campaign: str, ine: str, formation_code: str) -> str:
    """R30: the same key for every attempt at one bonus, so Affelnet records it once."""
    return f"passpro-{campaign}-{ine}-{formation_code}"
