"""The campaign a fault run plays, drawn from a seed: pupils, candidacies, slots, withdrawals, reports, wishes.

Plain data and the expected answer of each command; the runner publishes it as a portal does, the checks
compare what came out with it.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contracts import routing
from contracts.campaign import Campaign
from contracts.identifiers import uai_check_letter

START = "2013-02-12T09:00:00+01:00"
"""The services' virtual clock at start: registrations are open, interviews far enough ahead (R6, R17)."""
INTERVIEW_DAYS = ("2013-03-05", "2013-03-06", "2013-03-07")
"""Three days, six half-days: a pupil in up to three domains always finds distinct half-days (R16)."""
INTERVIEW_HOURS = (9, 14)
REMINDERS_AT = "2013-03-04T12:00:00+01:00"
"""Reminders fall due for the interviews of the next two days (R20b)."""
REPORTS_AT = "2013-03-07T19:00:00+01:00"
"""Every interview has taken place, none is overdue yet (due three days later, R22)."""
OVERDUE_AT = "2013-03-12T08:00:00+01:00"
"""The reports still missing are overdue (R22)."""
SAIO = "0941918Z"
OPINIONS = ("favorable", "assez_favorable", "reserve")
_WEIGHT = {"favorable": 2, "assez_favorable": 1, "reserve": 0}
_FINALS = ("reserve", "peu_favorable", "assez_favorable", "favorable", "tres_favorable")


def final_opinion(origin: str, reception: str) -> str:
    """R24, as the procedure states it: the two opinions' weights added name the final opinion."""
    return _FINALS[_WEIGHT[origin] + _WEIGHT[reception]]


@dataclass(frozen=True)
class Command:
    """One command as a portal publishes it, and the one answer each of ``answers`` it must get."""

    key: str
    body: dict[str, Any] | bytes
    command_id: str
    answers: tuple[str, ...]
    reason: str | None = None
    """The expected rejection reason, when ``answers`` is a ``command_rejected``."""

    @property
    def owner_rejection(self) -> str:
        owners = routing.handlers_of(self.key)
        return routing.event_key(owners[0], "command_rejected")


@dataclass
class Candidacy:
    ine: str
    formation: str
    domain: str
    origin: str
    opinion: str
    """The origin opinion the candidacy holds last (R9: an update replaces it)."""
    revision: int = 1
    withdrawn: bool = False


@dataclass
class Script:
    """Everything the run sends, and what it expects of it."""

    seed: int
    campaign: Campaign
    rng: random.Random
    candidacies: dict[tuple[str, str], Candidacy] = field(default_factory=dict)
    registrations: list[Command] = field(default_factory=list)
    refused: list[Command] = field(default_factory=list)
    updates: list[Command] = field(default_factory=list)
    slots: list[Command] = field(default_factory=list)
    withdrawals: list[Command] = field(default_factory=list)
    early_wishes: list[Command] = field(default_factory=list)
    late_wishes: list[Command] = field(default_factory=list)
    confirmed: set[tuple[str, str]] = field(default_factory=set)
    capacity: dict[str, int] = field(default_factory=dict)
    """Seats declared per domain."""

    @property
    def pupils(self) -> int:
        return len({c.ine for c in self.candidacies.values()})

    def active_formations(self, ine: str, domain: str) -> list[str]:
        return sorted(
            c.formation for c in self.candidacies.values() if c.ine == ine and c.domain == domain and not c.withdrawn
        )

    def needs(self) -> set[tuple[str, str]]:
        """(pupil, domain) pairs that must end with exactly one interview (R13): an active candidacy remains."""
        return {(c.ine, c.domain) for c in self.candidacies.values() if not c.withdrawn}

    def withdrawn_needs(self) -> set[tuple[str, str]]:
        """(pupil, domain) pairs whose every candidacy was withdrawn: their interview is cancelled (R10)."""
        return {(c.ine, c.domain) for c in self.candidacies.values()} - self.needs()


def _uai(departement: str, number: int) -> str:
    digits = f"{departement}{number:04d}"
    return digits + uai_check_letter(digits)


def _id() -> str:
    return str(uuid.uuid4())


def command(key: str, body: dict[str, Any], answers: tuple[str, ...], reason: str | None = None) -> Command:
    return Command(key, body, body["command_id"], answers, reason)


def advance_clock(to: str) -> Command:
    body = {"command_id": _id(), "campaign": "2013", "actor_uai": SAIO, "to": to}
    return command("advance_clock", body, tuple(routing.event_key(s, "clock_advanced") for s in routing.SERVICES))


def poison(number: int) -> Command:
    """A body that is not JSON: answered ``invalid`` once and parked once, with its reason."""
    message_id = _id()
    return Command(
        "register_candidacy",
        f"fault run poison #{number} {{".encode(),
        message_id,
        ("enrollment.command_rejected",),
        "invalid",
    )


def draw(campaign: Campaign, pupils: int, seed: int) -> Script:
    """About two candidacies per pupil, in one to three domains, from 300 origin schools of the académie."""
    rng = random.Random(seed)
    script = Script(seed, campaign, rng)
    origins = [_uai(d, n) for d in ("077", "093", "094") for n in rng.sample(range(1000, 9999), 100)]
    domains = [d.code for d in campaign.domains]
    run = rng.randrange(10**4)
    for number in range(pupils):
        origin = rng.choice(origins)
        level = rng.choice(["3eme", "3eme", "3eme_segpa", "classe_accueil"])
        pupil = {
            "ine": f"{run:04d}{number:06d}F",
            "last_name": "Essai",
            "first_name": f"Élève {number}",
            "birth_date": "1998-03-02",
            "class_level": level,
        }
        referent = {"name": "Mme Référente", "email": f"referent.{number}@example.org"}
        chosen = rng.sample(domains, rng.choice([1, 1, 1, 2, 2, 3]))
        formations = {rng.choice(campaign.formations_of(d)).code for d in chosen}
        pool = sorted(f.code for d in chosen for f in campaign.formations_of(d) if f.code not in formations)
        extra = max(0, rng.choice([1, 2, 2, 2, 3, 4]) - len(formations))
        formations |= set(rng.sample(pool, min(extra, len(pool))))
        for code in sorted(formations):
            opinion = rng.choice(OPINIONS)
            body = {
                "command_id": _id(),
                "campaign": "2013",
                "actor_uai": origin,
                "channel": "portal",
                "pupil": pupil,
                "origin_uai": origin,
                "referent": referent,
                "formation_code": code,
                "origin_opinion": opinion,
                "origin_comment": "Projet réfléchi, stage d'observation fait.",
            }
            script.registrations.append(command("register_candidacy", body, ("enrollment.candidacy_registered",)))
            domain = campaign.domain_of(code)
            assert domain is not None
            script.candidacies[(pupil["ine"], code)] = Candidacy(pupil["ine"], code, domain, origin, opinion)
    _refusals(script, origins, run)
    _updates(script)
    _slots(script)
    _withdrawals_and_wishes(script)
    return script


def _refusals(script: Script, origins: list[str], run: int) -> None:
    """A few commands Passpro must refuse, each with exactly one answer: 2nde GT pupils (R4), non-JSON bodies."""
    for number in range(max(2, len(script.registrations) // 200)):
        origin = script.rng.choice(origins)
        body = {
            "command_id": _id(),
            "campaign": "2013",
            "actor_uai": origin,
            "channel": "portal",
            "pupil": {
                "ine": f"{run:04d}{number:06d}G",
                "last_name": "Essai",
                "first_name": "Seconde",
                "birth_date": "1997-01-15",
                "class_level": "2nde_gt",
            },
            "origin_uai": origin,
            "referent": {"name": "M. Référent", "email": "referent@example.org"},
            "formation_code": "cap-cuisine",
            "origin_opinion": "favorable",
            "origin_comment": "Réorientation.",
        }
        script.refused.append(command("register_candidacy", body, ("enrollment.command_rejected",), "not_eligible"))
    script.refused += [poison(n) for n in range(2)]


def _updates(script: Script) -> None:
    """R9: 2 % of the candidacies get a new origin opinion before the interview (revision 2)."""
    chosen = script.rng.sample(script.registrations, max(1, len(script.registrations) // 50))
    for original in chosen:
        assert isinstance(original.body, dict)
        candidacy = script.candidacies[(original.body["pupil"]["ine"], original.body["formation_code"])]
        opinion = script.rng.choice([o for o in OPINIONS if o != candidacy.opinion])
        body = {
            **original.body,
            "command_id": _id(),
            "origin_opinion": opinion,
            "origin_comment": "Avis révisé après le conseil de classe.",
        }
        script.updates.append(command("register_candidacy", body, ("enrollment.candidacy_registered",)))
        candidacy.opinion, candidacy.revision = opinion, 2


def _slots(script: Script) -> None:
    """Each domain's reception schools offer 150 % of its need, spread over six half-days."""
    need: dict[str, set[str]] = defaultdict(set)
    for c in script.candidacies.values():
        need[c.domain].add(c.ine)
    tz = script.campaign.tz
    starts = [
        datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=tz)
        for day in INTERVIEW_DAYS
        for hour in INTERVIEW_HOURS
    ]
    for domain in script.campaign.domains:
        pupils = len(need.get(domain.code, ()))
        if not pupils:
            continue
        per_slot = max(1, -(-(pupils * 3 // 2 + 2) // (len(domain.reception_uais) * len(starts))))
        for school in domain.reception_uais:
            body = {
                "command_id": _id(),
                "campaign": "2013",
                "actor_uai": school,
                "domain_code": domain.code,
                "place": "Salle des entretiens, bâtiment B",
                "slots": [{"starts_at": s.isoformat(), "duration_minutes": 30, "capacity": per_slot} for s in starts],
            }
            script.slots.append(command("declare_interview_slots", body, ("scheduling.slots_declared",)))
            script.capacity[domain.code] = script.capacity.get(domain.code, 0) + per_slot * len(starts)


def _withdrawals_and_wishes(script: Script) -> None:
    """R10: 4 % of the candidacies withdrawn after booking; R28: 70 % of the others confirmed, some early."""
    everything = list(script.candidacies.values())
    for c in script.rng.sample(everything, max(1, len(everything) // 25)):
        c.withdrawn = True
        body = {
            "command_id": _id(),
            "campaign": "2013",
            "actor_uai": c.origin,
            "ine": c.ine,
            "formation_code": c.formation,
            "reason": "La famille a renoncé.",
        }
        script.withdrawals.append(command("withdraw_candidacy", body, ("enrollment.candidacy_withdrawn",)))
    kept = [c for c in everything if not c.withdrawn]
    script.rng.shuffle(kept)
    early, late = kept[: len(kept) // 4], kept[len(kept) // 4 : len(kept) * 7 // 10]
    for batch, out in ((early, script.early_wishes), (late, script.late_wishes)):
        for c in batch:
            out.append(command("confirm_wish", wish(c), ("affelnet_export.wish_confirmed",)))
            script.confirmed.add((c.ine, c.formation))
    late_entry = wish(late[0] if late else kept[0], wish_entered_on="2013-06-03")
    script.late_wishes.append(
        command("confirm_wish", late_entry, ("affelnet_export.command_rejected",), "wish_deadline_passed")
    )


def wish(c: Candidacy, wish_entered_on: str = "2013-05-21") -> dict[str, Any]:
    return {
        "command_id": _id(),
        "campaign": "2013",
        "actor_uai": c.origin,
        "ine": c.ine,
        "formation_code": c.formation,
        "family_confirmed": True,
        "wish_entered_on": wish_entered_on,
    }


@dataclass(frozen=True)
class Report:
    """What the reception school says of one interview: absent, or there with one opinion per formation."""

    command: Command
    interview_id: str
    ine: str
    domain: str
    attended: bool
    opinions: dict[str, str]


def reports(script: Script, interviews: list[dict[str, Any]]) -> tuple[list[Report], list[str]]:
    """R21, R22: 88 % attended with an opinion per active formation, 9 % absent, 3 % left unreported (overdue)."""
    out, unreported = [], []
    for interview in sorted(interviews, key=lambda i: i["interview_id"]):
        roll = script.rng.random()
        if roll < 0.03:
            unreported.append(interview["interview_id"])
            continue
        attended = roll >= 0.12
        formations = script.active_formations(interview["ine"], interview["domain_code"])
        opinions = {code: script.rng.choice(OPINIONS) for code in formations} if attended else {}
        body = {
            "command_id": _id(),
            "campaign": "2013",
            "actor_uai": interview["reception_uai"],
            "interview_id": interview["interview_id"],
            "attended": attended,
            "report": "Bonne connaissance du métier, projet cohérent." if attended else "",
            "opinions": [{"formation_code": k, "opinion": v} for k, v in opinions.items()],
        }
        out.append(
            Report(
                command("submit_interview_report", body, ("opinions.interview_reported",)),
                interview["interview_id"],
                interview["ine"],
                interview["domain_code"],
                attended,
                opinions,
            )
        )
    return out, unreported
