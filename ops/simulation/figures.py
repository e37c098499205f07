"""The report's numbers, from what the portal saw, what the runner declared and the mails the sink kept (pure)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from contracts.base import FinalOpinion
from contracts.campaign import Campaign
from ops.simulation.mailbox import KINDS
from ops.simulation.runner import Result

FINAL_LABELS = {
    "tres_favorable": "Très favorable",
    "favorable": "Favorable",
    "assez_favorable": "Assez favorable",
    "peu_favorable": "Peu favorable",
    "reserve": "Réservé",
}
OUTCOMES = {
    "command_rejected": "refusée",
    "candidacy_registered": "candidature enregistrée",
    "candidacy_withdrawn": "candidature retirée",
    "interview_reported": "compte rendu enregistré",
    "slots_declared": "créneaux enregistrés",
    "wish_confirmed": "vœu confirmé",
}


@dataclass(frozen=True)
class Figures:
    funnel: list[tuple[str, str, int]]
    """(key, French label, value): the campaign's key figures."""
    per_day: list[tuple[date, int, int, int]]
    """(day, held, absent, booked and not reported)."""
    per_school: list[tuple[str, str, int, int, int]]
    """(reception school, name, held, absent, reports overdue)."""
    seats: list[tuple[str, str, int, int]]
    """(domain, label, seats declared, seats used)."""
    finals: list[tuple[str, str, int]]
    no_shows: list[tuple[str, str, int, int]]
    """(origin school, name, interviews reported, absences)."""
    delays: list[tuple[int, int]]
    """(days from interview to report, reports)."""
    bonuses: list[tuple[str, str, int, int]]
    """(final opinion, label, bonuses delivered, points each)."""
    waiting: list[tuple[datetime, str, int]]
    rejections: list[tuple[str, int, str]]
    """(reason, commands, one French message)."""
    mistakes: list[tuple[str, int, str, str, str]]
    """(what the school did, commands, outcome, reason, message to the school)."""
    mails: list[tuple[str, int]]


def compute(result: Result, campaign: Campaign, mail_subjects: list[str], mails_pending: int | None = None) -> Figures:
    """``mails_pending``: what notifications had still to send when the report was written (None: unknown)."""
    tally, scenario, tz = result.tally, result.scenario, campaign.tz
    counts = tally.counts
    interviews = list(tally.interviews.values())
    held = [i for i in interviews if i.status == "attended"]
    absent = [i for i in interviews if i.status == "absent"]

    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    for interview in interviews:
        if interview.status != "cancelled":
            per_day[interview.starts_at.astimezone(tz).date()][interview.status] += 1

    overdue = Counter(str(e["reception_uai"]) for e in tally.overdue)
    per_school = []
    for school in campaign.reception_schools:
        mine = [i for i in interviews if i.reception_uai == school.uai]
        per_school.append(
            (
                school.uai,
                school.name,
                sum(i.status == "attended" for i in mine),
                sum(i.status == "absent" for i in mine),
                overdue[school.uai],
            )
        )

    used = Counter(i.domain_code for i in interviews if i.status != "cancelled")
    seats = [
        (d.code, d.label, result.seats_declared.get(d.code, 0), used[d.code])
        for d in campaign.domains
        if result.seats_declared.get(d.code) or used[d.code]
    ]

    finals = Counter(tally.finals.values())
    origin_of = {ine: str(e["origin_uai"]) for (ine, _), e in tally.registered.items()}
    reported_by: Counter[str] = Counter()
    absent_by: Counter[str] = Counter()
    for interview in held + absent:
        reported_by[origin_of[interview.ine]] += 1
        absent_by[origin_of[interview.ine]] += interview.status == "absent"
    names = {s.uai: s.name for s in scenario.origin_schools}
    no_shows = sorted(
        ((uai, names.get(uai, uai), n, absent_by[uai]) for uai, n in reported_by.items()),
        key=lambda row: (-row[3] / row[2], row[0]),
    )

    delays = Counter(
        (i.reported_at.astimezone(tz).date() - i.starts_at.astimezone(tz).date()).days
        for i in held + absent
        if i.reported_at is not None
    )
    bonus_counts = Counter(final for final, _ in tally.bonuses.values())
    bonuses = [
        (code, label, bonus_counts[code], campaign.bonus_points.points_for(FinalOpinion(code)))
        for code, label in FINAL_LABELS.items()
    ]

    reasons: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rejection in tally.rejections:
        reasons[str(rejection["reason"])].append(rejection)
    rejections = sorted(((r, len(es), str(es[0]["message"])) for r, es in reasons.items()), key=lambda x: -x[1])

    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for label, event in result.mistakes:
        grouped[label].append(event)
    mistakes = []
    for label, events in grouped.items():
        first = events[0]
        name = str(first["_routing_key"]).split(".", 1)[1]
        refused = name == "command_rejected"
        mistakes.append(
            (
                label,
                len(events),
                OUTCOMES.get(name, name),
                str(first["reason"]) if refused else "",
                str(first["message"]) if refused else "",
            )
        )

    mail_counts = Counter(
        kind for subject in mail_subjects for prefix, kind in KINDS.items() if subject.startswith(prefix)
    )
    mails = [(kind, mail_counts[kind]) for kind in KINDS.values()]

    wishes_late = sum(1 for r in tally.rejections if r["reason"] == "wish_deadline_passed")
    funnel = [
        ("pupils_registered", "Élèves inscrits", len({ine for ine, _ in tally.registered})),
        (
            "pupils_via_saio_form",
            "dont élèves inscrits par le formulaire du SAIO (sans accès au portail)",
            len({ine for (ine, _), e in tally.registered.items() if e.get("channel") == "saio_form"}),
        ),
        ("candidacies_registered", "Candidatures enregistrées", tally.candidacies),
        ("commands_rejected", "Commandes refusées (avec leur motif)", tally.rejected),
        ("candidacies_withdrawn", "Candidatures retirées", counts["enrollment.candidacy_withdrawn"]),
        (
            "slots_declared",
            "Créneaux déclarés",
            sum(
                int(e.get("slots_added", 0)) for e in result.events if e["_routing_key"] == "scheduling.slots_declared"
            ),
        ),
        ("interviews_booked", "Entretiens réservés", counts["scheduling.interview_booked"]),
        (
            "interviews_cancelled",
            "Entretiens annulés (candidatures retirées, créneaux fermés)",
            counts["scheduling.interview_cancelled"],
        ),
        (
            "slots_cancelled",
            "Créneaux fermés par un lycée d'accueil (enseignant absent)",
            sum(int(e.get("slots_cancelled", 0)) for e in result.slot_cancellations),
        ),
        (
            "interviews_moved",
            "dont entretiens reprogrammés ailleurs ou en attente d'un nouveau créneau",
            sum(int(e.get("interviews_moved", 0)) for e in result.slot_cancellations),
        ),
        ("interviews_held", "Entretiens tenus", len(held)),
        ("interviews_absent", "Absences", len(absent)),
        (
            "new_interviews_requested",
            "Nouveaux entretiens demandés après une absence",
            counts["scheduling.interview_requested"],
        ),
        ("pupils_waiting_at_end", "Élèves encore en attente d'un entretien", sum(tally.pending().values())),
        ("reports_overdue", "Comptes rendus en retard signalés", len(tally.overdue)),
        ("final_opinions", "Avis finals calculés", len(tally.finals)),
        ("wishes_confirmed", "Vœux confirmés dans les délais", len(tally.confirmed)),
        ("wishes_refused_late", "Vœux saisis après la date limite (refusés)", wishes_late),
        ("bonuses_delivered", "Bonus transmis à Affelnet", len(tally.bonuses)),
        ("bonus_points", "Points de bonus transmis", sum(points for _, points in tally.bonuses.values())),
        ("convocations_sent", "Convocations envoyées pendant la simulation", counts["notifications.convocation_sent"]),
        ("recaps_sent", "Fiches récapitulatives envoyées pendant la simulation", counts["notifications.recap_sent"]),
        ("mails_total", "Courriels reçus par la boîte de test", len(mail_subjects)),
    ]
    # The stack kept pace with the campaign's clock: every reminder before its interview, no mail left behind.
    if result.reminders_on_time is not None and result.reminders_late is not None:
        funnel += [
            ("reminders_before_interview", "Rappels partis avant leur entretien (R20b)", result.reminders_on_time),
            ("reminders_late", "Entretiens commencés avant que leur rappel soit parti", result.reminders_late),
        ]
    if mails_pending is not None:
        funnel.append(
            ("mails_queued_at_end", "Courriels encore en attente d'envoi à l'écriture du bilan", mails_pending)
        )
    return Figures(
        funnel=funnel,
        per_day=[(day, c["attended"], c["absent"], c["booked"]) for day, c in sorted(per_day.items())],
        per_school=per_school,
        seats=seats,
        finals=[(code, label, finals[code]) for code, label in FINAL_LABELS.items()],
        no_shows=no_shows,
        delays=[(d, delays[d]) for d in range(max(delays, default=-1) + 1)],
        bonuses=bonuses,
        waiting=sorted(tally.shortfalls),
        rejections=rejections,
        mistakes=mistakes,
        mails=mails,
    )
