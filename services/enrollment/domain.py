"""Enrollment's pure rules: who may apply, when, for what, on whose behalf (R2–R4, R6–R12)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from contracts.identifiers import departement_of_uai, is_valid_ine, is_valid_uai
from contracts.refusal import Refused

ELIGIBLE_CLASS_LEVELS = frozenset({"3eme", "3eme_segpa", "3eme_prepa_metiers", "classe_accueil", "mgi_niveau_v"})
"""R3: 3ème (with SEGPA and prépa-métiers / alternance), classe d'accueil, MGI level V."""


class Opinion(StrEnum):
    FAVORABLE = "favorable"
    ASSEZ_FAVORABLE = "assez_favorable"
    RESERVE = "reserve"


class Channel(StrEnum):
    PORTAL = "portal"
    SAIO_FORM = "saio_form"


class EnrollmentError(Refused):
    """A rule refused the command; ``reason`` is the public rejection code, the message is for a secretary."""


class MissingOriginMailboxError(EnrollmentError):
    reason = "invalid"


class InvalidIneError(EnrollmentError):
    reason = "invalid_ine"


class InvalidUaiError(EnrollmentError):
    reason = "invalid_uai"


class NotEligibleError(EnrollmentError):
    reason = "not_eligible"


class UnknownFormationError(EnrollmentError):
    reason = "unknown_formation"


class RegistrationNotOpenError(EnrollmentError):
    reason = "registration_not_open"


class RegistrationClosedError(EnrollmentError):
    reason = "registration_closed"


class UnauthorizedError(EnrollmentError):
    reason = "unauthorized"


class UnknownCandidacyError(EnrollmentError):
    reason = "unknown_candidacy"


class OpinionLockedError(EnrollmentError):
    reason = "opinion_locked"


@dataclass(frozen=True)
class CampaignRules:
    """What enrollment needs of the campaign file."""

    opens_on: date
    registration_deadline: date
    formation_domains: Mapping[str, str]
    academie_departements: frozenset[str]
    schools_with_mailbox: frozenset[str] = frozenset()
    """UAIs of the schools the campaign's directory gives a mailbox of their own."""


@dataclass(frozen=True)
class Registration:
    """A ``register_candidacy`` in domain terms."""

    ine: str
    origin_uai: str
    actor_uai: str
    channel: Channel
    class_level: str
    formation_code: str
    origin_opinion: Opinion
    origin_comment: str
    origin_mailbox: str | None = None


@dataclass(frozen=True)
class Candidacy:
    """What is recorded of one pupil's candidacy for one formation."""

    ine: str
    formation_code: str
    domain_code: str
    origin_uai: str
    origin_opinion: Opinion
    origin_comment: str
    active: bool
    revision: int


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REACTIVATED = "reactivated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class RegistrationDecision:
    outcome: Outcome
    domain_code: str
    revision: int


def _fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def check_identifiers(*, ine: str, uais: Mapping[str, str]) -> None:
    """Identifiers: an INE of one of the three forms; UAIs whose check letter is right."""
    for field, uai in uais.items():
        if not is_valid_uai(uai):
            raise InvalidUaiError(
                f"Le code UAI « {uai[:16]} » n'est pas valide (7 chiffres et une lettre clé) : "
                "vérifiez-le dans l'annuaire des établissements.",
                field,
            )
    if not is_valid_ine(ine):
        raise InvalidIneError(
            "L'INE de l'élève n'est pas valide : il compte 11 caractères (10 chiffres et 1 lettre, "
            "9 chiffres et 2 lettres, ou la forme apprenti 4 chiffres, A, 5 chiffres et 1 lettre).",
            "ine",
        )


def check_eligible(class_level: str) -> None:
    """R3, R4: only pupils of 3ème and the listed classes; 2nde GT pupils are not concerned."""
    if class_level in ELIGIBLE_CLASS_LEVELS:
        return
    if class_level.lower().startswith("2nde"):
        raise NotEligibleError(
            "Les élèves de 2nde générale et technologique ne sont pas concernés par Passpro post-3ème : "
            "ils ont vocation à poursuivre en classe de 1ère.",
            "pupil.class_level",
        )
    raise NotEligibleError(
        "Passpro post-3ème concerne les élèves de 3ème (y compris SEGPA et prépa-métiers), de classe "
        "d'accueil et de MGI niveau V ; cette classe n'en fait pas partie.",
        "pupil.class_level",
    )


def domain_of(formation_code: str, rules: CampaignRules) -> str:
    """R2: a candidacy names a formation of the campaign's catalog."""
    domain = rules.formation_domains.get(formation_code)
    if domain is None:
        raise UnknownFormationError(
            f"La formation « {formation_code[:64]} » ne fait pas partie du catalogue Passpro de la campagne.",
            "formation_code",
        )
    return domain


def check_acts_for_origin(*, actor_uai: str, origin_uai: str, channel: Channel, rules: CampaignRules) -> None:
    """R12: a school acts on its own pupils only; schools outside the académie use the SAIO form."""
    if actor_uai != origin_uai:
        raise UnauthorizedError("Un établissement ne peut inscrire ou modifier que ses propres élèves.", "actor_uai")
    if channel is Channel.PORTAL and departement_of_uai(origin_uai) not in rules.academie_departements:
        raise UnauthorizedError(
            "Les établissements hors académie inscrivent leurs élèves par le formulaire en ligne du SAIO.",
            "channel",
        )


def check_origin_mailbox(
    *, channel: Channel, origin_uai: str, origin_mailbox: str | None, rules: CampaignRules
) -> None:
    """R11, R12, R19: a school registering through the SAIO form says where its mails go.

    Schools without portal access (CFA, private schools, schools of another académie) have no
    académie mailbox ce.<uai>@…; unless the directory gives one, the form must carry it, or the
    convocation would reach nobody at the origin school.
    """
    if channel is Channel.SAIO_FORM and origin_mailbox is None and origin_uai not in rules.schools_with_mailbox:
        raise MissingOriginMailboxError(
            "Pour une inscription par le formulaire du SAIO, indiquez l'adresse électronique de "
            "l'établissement d'origine (champ origin_mailbox) : c'est là que partiront la convocation "
            "et la fiche récapitulative de l'élève.",
            "origin_mailbox",
        )


def decide_registration(
    reg: Registration,
    *,
    rules: CampaignRules,
    today: date,
    existing: Candidacy | None,
    pupil_origin_uai: str | None,
    interview_held: bool,
) -> RegistrationDecision:
    """R2–R4, R6–R9, R11, R12: accept a registration, or an update of it, or say why not.

    ``pupil_origin_uai`` is the school that already registered this pupil, if any;
    ``interview_held`` tells whether the pupil's interview of that domain has taken place.
    Updates of an active candidacy's opinion stay possible after the registration deadline,
    until the interview (R9); new candidacies only within the window (R6).
    """
    check_identifiers(ine=reg.ine, uais={"origin_uai": reg.origin_uai, "actor_uai": reg.actor_uai})
    check_eligible(reg.class_level)
    domain = domain_of(reg.formation_code, rules)
    check_acts_for_origin(actor_uai=reg.actor_uai, origin_uai=reg.origin_uai, channel=reg.channel, rules=rules)
    check_origin_mailbox(channel=reg.channel, origin_uai=reg.origin_uai, origin_mailbox=reg.origin_mailbox, rules=rules)
    if pupil_origin_uai is not None and pupil_origin_uai != reg.origin_uai:
        raise UnauthorizedError(
            "Cet élève est déjà inscrit dans Passpro par un autre établissement d'origine.", "pupil.ine"
        )
    if today < rules.opens_on:
        raise RegistrationNotOpenError(
            f"Les inscriptions Passpro ouvrent le {_fr(rules.opens_on)} "
            f"(jusqu'au {_fr(rules.registration_deadline)} inclus).",
            "formation_code",
        )
    is_update = existing is not None and existing.active
    if today > rules.registration_deadline and not is_update:
        raise RegistrationClosedError(
            f"Les inscriptions Passpro sont closes depuis le {_fr(rules.registration_deadline)} inclus.",
            "formation_code",
        )
    if existing is None:
        return RegistrationDecision(Outcome.CREATED, domain, 1)
    changed = (existing.origin_opinion, existing.origin_comment) != (reg.origin_opinion, reg.origin_comment)
    if changed and interview_held:
        raise OpinionLockedError(
            "L'entretien de l'élève pour ce domaine a eu lieu : l'avis et le commentaire de "
            "l'établissement d'origine ne peuvent plus être modifiés.",
            "origin_opinion",
        )
    if not existing.active:
        return RegistrationDecision(Outcome.REACTIVATED, domain, existing.revision + 1)
    if changed:
        return RegistrationDecision(Outcome.UPDATED, domain, existing.revision + 1)
    return RegistrationDecision(Outcome.UNCHANGED, domain, existing.revision)


def decide_withdrawal(
    *,
    ine: str,
    formation_code: str,
    actor_uai: str,
    rules: CampaignRules,
    existing: Candidacy | None,
) -> Candidacy:
    """R10, R12: the origin school withdraws a candidacy its pupil renounces."""
    check_identifiers(ine=ine, uais={"actor_uai": actor_uai})
    domain_of(formation_code, rules)
    if existing is None or not existing.active:
        raise UnknownCandidacyError(
            "Aucune candidature active de cet élève pour cette formation : rien à retirer.", "formation_code"
        )
    if existing.origin_uai != actor_uai:
        raise UnauthorizedError("Seul l'établissement d'origine de l'élève peut retirer sa candidature.", "actor_uai")
    return existing


INTERVIEW_STATUS_RANK = {"booked": 0, "cancelled": 1, "attended": 2, "absent": 2}
"""R9, R10, R21: what an interview's events say, from the least to the most final."""


def interview_status(current: str | None, arriving: str) -> str:
    """R9, R10, R21: an interview's status whatever the order its events arrive in (a delivery that waits to be
    tried again is overtaken): a late booking never undoes its cancellation or its report, a cancellation never
    undoes a report; a report is final (a report delivered again says the same)."""
    if current is None or INTERVIEW_STATUS_RANK[arriving] > INTERVIEW_STATUS_RANK[current]:
        return arriving
    return current
