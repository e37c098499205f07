"""A seeded, pure campaign: who registers for what and when, the slots, and what schools and families decide.

The same campaign file, seed and sizes give the same scenario: no clock, no I/O, no shared random state.
What the services decide while it plays (which slot, which reception school) is not here: the runner
applies the decisions below to what they answer.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from contracts.campaign import Campaign
from contracts.identifiers import uai_check_letter
from ops.simulation import samples

OPINIONS = ("favorable", "assez_favorable", "reserve")
CLASS_LEVELS = ("3eme",) * 12 + ("3eme_segpa",) * 3 + ("3eme_prepa_metiers",) * 3 + ("classe_accueil", "mgi_niveau_v")
ASK_AGAIN_RATE = 0.5
"""Share of absences after which the origin school asks for a new interview (R21)."""
CONFIRM_RATE = 0.8
"""Share of active candidacies whose family confirms the wish in Affelnet (R28)."""
LATE_WISH_RATE = 0.04
"""Share of those confirmations entered in Affelnet after the deadline (R28: no bonus)."""
WITHDRAWAL_RATE = 0.05
SEATS_MARGIN = 1.2
"""Seats declared per pupil expected, new interviews after absences included."""
SHORT_SHARE = 0.5
"""A short domain's reception schools first declare seats for this share of its pupils (R15)."""
SLOT_MINUTES = 30
SICK_NOTICE_DAYS = 2
"""A sick teacher's interviews are cancelled this many days before they were to take place."""
SICK_REASON = "Enseignant absent (arrêt maladie) : les entretiens de la journée sont annulés."


def _times(first: time, count: int) -> tuple[time, ...]:
    start = datetime.combine(date(2000, 1, 3), first)
    return tuple((start + timedelta(minutes=30 * i)).time() for i in range(count))


MORNING_TIMES = _times(time(9, 0), 6)
AFTERNOON_TIMES = _times(time(14, 0), 6)


@dataclass(frozen=True)
class OriginSchool:
    uai: str
    name: str
    no_show_rate: float
    """Share of this school's pupils who miss their interview: the 2012 figure on average, varying per school."""
    channel: str = "portal"
    """``saio_form`` for the schools without portal access (R12)."""
    form_mailbox: str | None = None
    """The mailbox the school gives on the SAIO form, when the campaign's directory gives it none."""


@dataclass(frozen=True)
class Candidacy:
    formation_code: str
    domain_code: str
    origin_opinion: str
    origin_comment: str
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None
    wish_entered_on: date | None = None
    """Day the origin school enters the confirmed wish in Affelnet; None when the family does not confirm."""


@dataclass(frozen=True)
class Pupil:
    ine: str
    last_name: str
    first_name: str
    birth_date: date
    class_level: str
    origin_uai: str
    referent_name: str
    referent_email: str
    registered_on: date
    channel: str
    candidacies: tuple[Candidacy, ...]
    origin_mailbox: str | None = None

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.domain_code for c in self.candidacies))


@dataclass(frozen=True)
class Attempt:
    """What happens at one interview of a pupil in a domain: the first one, or the one after an absence."""

    attended: bool
    opinions: tuple[tuple[str, str], ...]
    """(formation, reception opinion) for each of the pupil's candidacies in the domain."""
    report: str
    on_time_delay: int
    late_delay: int
    lateness_draw: float
    asks_again: bool
    """After an absence, whether the origin school asks for a new interview (R21)."""

    def report_delay(self, lateness: float) -> int:
        """R22: days from the interview to its report; a school late on ``lateness`` of its reports may be late here."""
        return self.late_delay if self.lateness_draw < lateness else self.on_time_delay


@dataclass(frozen=True)
class SlotDeclaration:
    reception_uai: str
    domain_code: str
    declared_on: date
    place: str
    slots: tuple[tuple[datetime, int], ...]
    """(start, capacity) of each slot, at most 200, as one ``declare_interview_slots`` carries."""

    @property
    def seats(self) -> int:
        return sum(capacity for _, capacity in self.slots)


@dataclass(frozen=True)
class SlotCancellation:
    """A teacher falls ill: a reception school closes its slots of one day in a domain (R14, R15, R18)."""

    reception_uai: str
    domain_code: str
    on: date
    """The day the school cancels, a few days before the interviews."""
    starts_at: tuple[datetime, ...]
    reason: str


@dataclass(frozen=True)
class Mistake:
    """A command carrying a mistake real portals send; the same ``ref`` is the same command (same command_id)."""

    ref: str
    label: str
    routing_key: str
    body: Mapping[str, Any] | bytes
    on: date


@dataclass(frozen=True)
class Scenario:
    seed: int
    campaign: str
    no_show_rate: float
    origin_schools: tuple[OriginSchool, ...]
    pupils: tuple[Pupil, ...]
    declarations: tuple[SlotDeclaration, ...]
    mistakes: tuple[Mistake, ...]
    attempts: Mapping[tuple[str, str, int], Attempt]
    """(INE, domain, 1 or 2) -> what happens at that interview."""
    lateness: Mapping[str, float]
    """Reception school -> share of its reports it enters late (R22)."""
    short_domains: tuple[str, ...]
    recovery_on: date | None
    """Day the short domains' reception schools declare the seats they lacked."""
    late_mistakes_on: date
    """Day the runner sends the mistakes that need interviews already held."""
    cancellations: tuple[SlotCancellation, ...] = ()
    """Slots reception schools close after declaring them (a teacher falls ill)."""

    def candidacies(self) -> Iterator[tuple[Pupil, Candidacy]]:
        for pupil in self.pupils:
            for candidacy in pupil.candidacies:
                yield pupil, candidacy

    def school(self, uai: str) -> OriginSchool | None:
        return next((s for s in self.origin_schools if s.uai == uai), None)


def uai(departement: str, number: int) -> str:
    digits = f"{departement}{number:04d}"
    return digits + uai_check_letter(digits)


def weekdays(first: date, last: date) -> list[date]:
    return [
        first + timedelta(days=i) for i in range((last - first).days + 1) if (first + timedelta(days=i)).weekday() < 5
    ]


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, by largest remainder."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [math.floor(r) for r in raw]
    for index in sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])[: total - sum(parts)]:
        parts[index] += 1
    return parts


class _Generator:
    def __init__(self, campaign: Campaign, seed: int, no_show_rate: float) -> None:
        self.campaign = campaign
        self.cal = campaign.calendar
        self.rng = random.Random(seed)
        self.no_show_rate = no_show_rate
        self.ines: set[str] = set()
        # Sample popularity: domains with more reception schools draw more pupils, with some spread.
        self.formations = [f.code for f in campaign.formations]
        self.popularity = []
        for formation in campaign.formations:
            domain = campaign.domain(formation.domain)
            assert domain is not None
            siblings = len(campaign.formations_of(domain.code))
            self.popularity.append(len(domain.reception_uais) ** 2 * self.rng.uniform(0.5, 1.5) / siblings**0.5)

    def ine(self) -> str:
        while True:
            value = f"{self.rng.randrange(10**10):010d}{self.rng.choice('ABCDEFGHJK')}"
            if value not in self.ines:
                self.ines.add(value)
                return value

    def origin_schools(self, count: int) -> list[OriginSchool]:
        taken = {s.uai for s in self.campaign.schools}
        departements = self.campaign.academie_departements
        schools: list[OriginSchool] = []
        numbers: set[str] = set()
        for index in range(count):
            departement = departements[index % len(departements)]
            while True:
                code = uai(departement, self.rng.randrange(1000, 9999))
                if code not in numbers and code not in taken:
                    numbers.add(code)
                    break
            towns = samples.TOWNS.get(departement, ("Créteil",))
            name = f"Collège {self.rng.choice(samples.COLLEGE_PATRONS)}, {self.rng.choice(towns)}"
            rate = min(0.75, max(0.03, self.rng.gauss(self.no_show_rate, 0.08)))
            schools.append(OriginSchool(code, name, round(rate, 3)))
        return schools

    def form_schools(self, no_show_rate: float) -> list[OriginSchool]:
        """R12: the directory's origin schools (CFA, private schools, other académies) and a Paris collège.

        They have no portal access and register through the SAIO form, giving their mailbox when the
        directory has none for them.
        """
        schools = [(s.uai, s.name, s.mailbox) for s in self.campaign.origin_schools]
        paris = uai("075", 654)
        if self.campaign.school(paris) is None:
            schools.append((paris, "Collège de Paris (formulaire SAIO)", None))
        return [
            OriginSchool(
                code,
                name,
                round(no_show_rate, 3),
                "saio_form",
                None if mailbox else f"secretariat.{code.lower()}@example.org",
            )
            for code, name, mailbox in schools
        ]

    def pupil(
        self,
        school: OriginSchool,
        referents: Sequence[tuple[str, str]],
        registered_on: date,
        channel: str = "portal",
        with_decisions: bool = True,
    ) -> Pupil:
        rng = self.rng
        referent = rng.choice(referents)
        formations = self.choose_formations(rng.choices((1, 2, 3, 4), weights=(50, 35, 12, 3))[0])
        candidacies = tuple(self.candidacy(code, registered_on, with_decisions) for code in formations)
        year = rng.choice((1997, 1998, 1998, 1998, 1999))
        return Pupil(
            ine=self.ine(),
            last_name=rng.choice(samples.LAST_NAMES),
            first_name=rng.choice(samples.FIRST_NAMES),
            birth_date=date(year, rng.randint(1, 12), rng.randint(1, 28)),
            class_level=rng.choice(CLASS_LEVELS),
            origin_uai=school.uai,
            referent_name=referent[0],
            referent_email=referent[1],
            registered_on=registered_on,
            channel=channel,
            candidacies=candidacies,
            origin_mailbox=school.form_mailbox if channel == "saio_form" else None,
        )

    def choose_formations(self, count: int) -> list[str]:
        rng = self.rng
        chosen = rng.choices(self.formations, weights=self.popularity)
        while len(chosen) < count:
            domain = self.campaign.domain_of(chosen[0])
            same = [f.code for f in self.campaign.formations if f.domain == domain and f.code not in chosen]
            if same and rng.random() < 0.5:
                chosen.append(rng.choice(same))
                continue
            others = [(f, w) for f, w in zip(self.formations, self.popularity, strict=True) if f not in chosen]
            chosen += rng.choices([f for f, _ in others], weights=[w for _, w in others])
        return chosen

    def candidacy(self, formation_code: str, registered_on: date, with_decisions: bool) -> Candidacy:
        rng, cal = self.rng, self.cal
        domain = self.campaign.domain_of(formation_code)
        assert domain is not None
        opinion = rng.choices(OPINIONS, weights=(50, 32, 18))[0]
        comment = rng.choice(samples.ORIGIN_COMMENTS)
        withdrawn_on = reason = entered_on = None
        if with_decisions and rng.random() < WITHDRAWAL_RATE:
            day = _next_weekday(registered_on + timedelta(days=rng.randint(3, 40)))
            if day <= cal.interviews_end_on - timedelta(days=5):
                withdrawn_on, reason = day, rng.choice(samples.WITHDRAWAL_REASONS)
        if with_decisions and withdrawn_on is None and rng.random() < CONFIRM_RATE:
            if rng.random() < LATE_WISH_RATE:
                entered_on = rng.choice(
                    weekdays(
                        cal.affelnet_wish_deadline + timedelta(days=1), cal.affelnet_wish_deadline + timedelta(days=5)
                    )
                )
            else:
                days = weekdays(cal.affelnet_entry_starts_on, cal.affelnet_wish_deadline)
                entered_on = rng.choices(days, weights=[1 / (i + 2) for i in range(len(days))])[0]
        return Candidacy(formation_code, domain, opinion, comment, withdrawn_on, reason, entered_on)

    def attempt(self, pupil: Pupil, domain: str, number: int, no_show_rate: float) -> Attempt:
        rng = self.rng
        rate = no_show_rate if number == 1 else no_show_rate / 2
        opinions = []
        for candidacy in pupil.candidacies:
            if candidacy.domain_code == domain:
                weights = {"favorable": (60, 30, 10), "assez_favorable": (35, 45, 20), "reserve": (20, 40, 40)}
                opinions.append(
                    (candidacy.formation_code, rng.choices(OPINIONS, weights=weights[candidacy.origin_opinion])[0])
                )
        best = min((OPINIONS.index(o) for _, o in opinions), default=0)
        return Attempt(
            attended=rng.random() >= rate,
            opinions=tuple(opinions),
            report=rng.choice(samples.REPORTS[OPINIONS[best]]),
            on_time_delay=rng.choices((0, 1, 2, 3), weights=(50, 28, 14, 8))[0],
            late_delay=rng.randint(self.cal.report_delay_days + 3, self.cal.report_delay_days + 6),
            lateness_draw=rng.random(),
            asks_again=number == 1 and rng.random() < ASK_AGAIN_RATE,
        )

    def slots(
        self, first: date, last: date, seats: int, shift_minutes: int, phase: float
    ) -> list[tuple[datetime, int]]:
        """``seats`` spread evenly over the half-days from ``first`` to ``last`` (no Wednesday afternoon).

        At least a few distinct moments, so that a pupil's other interviews (R16) never block all of them;
        ``phase`` (0 to 1) keeps the schools of one domain on different moments.
        """
        tz = self.campaign.tz
        starts = [
            datetime.combine(day, t, tz) + timedelta(minutes=shift_minutes)
            for day in weekdays(first, last)
            for t in (MORNING_TIMES + (AFTERNOON_TIMES if day.weekday() != 2 else ()))
        ]
        if not starts or seats <= 0:
            return []
        count = min(len(starts), max(math.ceil(seats / max(2, math.ceil(seats / len(starts)))), min(seats, 6)))
        chosen = [starts[math.floor((i + phase) * len(starts) / count)] for i in range(count)]
        return list(zip(chosen, _split(seats, [1.0] * count), strict=True))

    def declarations(
        self, pupils: Sequence[Pupil], short: set[str], recovery_on: date | None, ask_rate: float
    ) -> list[SlotDeclaration]:
        cal, rng = self.cal, self.rng
        needs: Counter[str] = Counter()
        by_departement: dict[str, Counter[str]] = {}
        for pupil in pupils:
            for code in pupil.domains:
                needs[code] += 1
                by_departement.setdefault(code, Counter())[pupil.origin_uai[:3]] += 1
        out: list[SlotDeclaration] = []
        for domain in self.campaign.domains:
            need = needs[domain.code]
            if need == 0:
                continue
            target = math.ceil(need * (1 + self.no_show_rate * ask_rate) * SEATS_MARGIN) + 2
            waves = [(cal.opens_on, cal.interviews_start_on, target, 0)]
            if domain.code in short and recovery_on is not None:
                initial = max(1, round(need * SHORT_SHARE))
                first_extra = recovery_on + timedelta(days=cal.convocation_notice_days + 1)
                waves = [
                    (cal.opens_on, cal.interviews_start_on, initial, 0),
                    (recovery_on, first_extra, target - initial, 15),
                ]
            schools = list(domain.reception_uais)
            weights = [1 + 3 * by_departement[domain.code][s[:3]] / need for s in schools]
            place = {s: rng.choice(samples.PLACES) for s in schools}
            for declared_on, first, seats, shift in waves:
                for index, (school, share) in enumerate(zip(schools, _split(seats, weights), strict=True)):
                    phase = (index + 0.5) / len(schools)
                    slots = self.slots(first, cal.interviews_end_on, share, shift, phase)
                    where = place[school] if shift == 0 else samples.EXTRA_PLACE
                    for chunk in range(0, len(slots), 200):
                        out.append(
                            SlotDeclaration(school, domain.code, declared_on, where, tuple(slots[chunk : chunk + 200]))
                        )
        return out


def generate(
    campaign: Campaign, *, seed: int, pupils: int = 3000, origin_schools: int = 120, no_show_rate: float = 0.30
) -> Scenario:
    """The whole campaign for ``pupils`` pupils (a few of them too late to register) of ``origin_schools`` collèges."""
    if pupils < 20 or origin_schools < 3:
        raise ValueError("a campaign needs at least 20 pupils and 3 origin schools")
    gen = _Generator(campaign, seed, no_show_rate)
    rng, cal = gen.rng, campaign.calendar
    schools = gen.origin_schools(origin_schools)
    referents = {
        s.uai: [
            (
                f"{rng.choice(('M.', 'Mme'))} {rng.choice(samples.LAST_NAMES)}",
                f"referent.{i + 1}.{s.uai.lower()}@example.org",
            )
            for i in range(4)
        ]
        for s in schools
    }
    sizes = [rng.uniform(0.5, 1.5) for _ in schools]
    days = weekdays(cal.opens_on + timedelta(days=1), cal.registration_deadline)
    day_weights = [math.exp(-i / 6) for i in range(len(days))]
    day_weights[0] *= 5
    day_weights[-1] += 0.3
    late_day = _next_weekday(cal.registration_deadline + timedelta(days=4))
    late = max(2, pupils // 400)
    form_schools = gen.form_schools(no_show_rate)
    # One pupil per school using the SAIO form, and one more per 300 pupils: they come on the first days.
    by_form = [form_schools[i % len(form_schools)] for i in range(len(form_schools) + pupils // 300)]
    by_portal = pupils - len(by_form)
    cast: list[Pupil] = []
    for index in range(by_portal):
        school = rng.choices(schools, weights=sizes)[0]
        on_time = index < by_portal - late
        day = rng.choices(days, weights=day_weights)[0] if on_time else late_day
        cast.append(gen.pupil(school, referents[school.uai], day, with_decisions=on_time))
    for index, form_school in enumerate(by_form):
        referent = (
            f"{rng.choice(('M.', 'Mme'))} {rng.choice(samples.LAST_NAMES)}",
            f"referent.{form_school.uai.lower()}@example.org",
        )
        cast.append(gen.pupil(form_school, [referent], days[index % 3], channel="saio_form"))
    cast.sort(key=lambda p: (p.registered_on, p.ine))
    schools += form_schools

    entitled = [p for p in cast if p.registered_on <= cal.registration_deadline]
    rates = {s.uai: s.no_show_rate for s in schools}
    attempts = {
        (p.ine, d, n): gen.attempt(p, d, n, rates[p.origin_uai]) for p in entitled for d in p.domains for n in (1, 2)
    }
    lateness = {s.uai: 0.04 for s in campaign.reception_schools}
    for code in rng.sample(sorted(lateness), max(1, len(lateness) // 8)):
        lateness[code] = 0.4
    demand = Counter(d for p in entitled for d in p.domains)
    eligible = sorted(d for d, n in demand.items() if n >= 10) or sorted(demand)
    short = set(rng.sample(eligible, min(3, max(1, len(eligible) // 5))))
    recovery = _next_weekday(cal.opens_on + timedelta(days=28))
    recovery_on = recovery if recovery <= cal.planning_ends_on else None
    declarations = gen.declarations(entitled, short, recovery_on, ASK_AGAIN_RATE)
    mistakes = _mistakes(gen, campaign, entitled, schools, referents, days[0])
    cancellations = _sick_teacher(rng, campaign, declarations, short)
    return Scenario(
        seed=seed,
        campaign=campaign.campaign,
        no_show_rate=no_show_rate,
        origin_schools=tuple(schools),
        pupils=tuple(cast),
        declarations=tuple(declarations),
        mistakes=tuple(mistakes),
        attempts=attempts,
        lateness=lateness,
        short_domains=tuple(sorted(short)),
        recovery_on=recovery_on,
        late_mistakes_on=_next_weekday(cal.registration_deadline + timedelta(days=3)),
        cancellations=cancellations,
    )


def _sick_teacher(
    rng: random.Random, campaign: Campaign, declarations: Sequence[SlotDeclaration], short: set[str]
) -> tuple[SlotCancellation, ...]:
    """One reception school, in a domain with seats to spare, closes one day's slots: its teacher is ill.

    The day is in the busy middle of the window, late enough that its interviews are booked, and the
    cancellation comes ``SICK_NOTICE_DAYS`` before it, inside the planning window (R14).
    """
    cal, tz = campaign.calendar, campaign.tz
    first = cal.interviews_start_on + timedelta(days=21)
    last = cal.planning_ends_on + timedelta(days=SICK_NOTICE_DAYS)
    days: dict[tuple[str, str, date], list[datetime]] = {}
    for declaration in declarations:
        if declaration.domain_code in short:
            continue
        for start, _ in declaration.slots:
            day = start.astimezone(tz).date()
            if first <= day <= last:
                days.setdefault((declaration.reception_uai, declaration.domain_code, day), []).append(start)
    if not days:
        return ()
    school, domain, day = rng.choice(sorted(days))
    return (
        SlotCancellation(
            school,
            domain,
            day - timedelta(days=SICK_NOTICE_DAYS),
            tuple(sorted(days[(school, domain, day)])),
            SICK_REASON,
        ),
    )


def registration_body(campaign: str, pupil: Pupil, candidacy: Candidacy, /, **overrides: Any) -> dict[str, Any]:
    """The ``register_candidacy`` an origin school's portal publishes, without its command_id."""
    body: dict[str, Any] = {
        "campaign": campaign,
        "actor_uai": pupil.origin_uai,
        "channel": pupil.channel,
        "pupil": {
            "ine": pupil.ine,
            "last_name": pupil.last_name,
            "first_name": pupil.first_name,
            "birth_date": pupil.birth_date.isoformat(),
            "class_level": pupil.class_level,
        },
        "origin_uai": pupil.origin_uai,
        "referent": {"name": pupil.referent_name, "email": pupil.referent_email},
        "formation_code": candidacy.formation_code,
        "origin_opinion": candidacy.origin_opinion,
        "origin_comment": candidacy.origin_comment,
    }
    if pupil.origin_mailbox is not None:
        body["origin_mailbox"] = pupil.origin_mailbox
    body.update(overrides)
    return body


def registration_ref(pupil: Pupil, candidacy: Candidacy) -> str:
    return f"register:{pupil.ine}:{candidacy.formation_code}"


def _mistakes(
    gen: _Generator,
    campaign: Campaign,
    pupils: Sequence[Pupil],
    schools: Sequence[OriginSchool],
    referents: Mapping[str, Sequence[tuple[str, str]]],
    day: date,
) -> list[Mistake]:
    """The mistakes real secretaries make, among the first day's registrations, and two in slot declarations."""
    rng, name = gen.rng, campaign.campaign
    first_day = [p for p in pupils if p.registered_on == day and p.channel == "portal"]
    some = rng.sample(first_day, min(6, len(first_day)))
    while len(some) < 6:
        some.append(first_day[len(some) % len(first_day)])
    school = schools[0]

    def stranger() -> tuple[Pupil, Candidacy]:
        other = gen.pupil(school, referents[school.uai], day, with_decisions=False)
        return other, other.candidacies[0]

    def body(pair: tuple[Pupil, Candidacy], **overrides: Any) -> dict[str, Any]:
        return registration_body(name, pair[0], pair[1], **overrides)

    grade, typo, check, catalog, empty, wrong = (stranger() for _ in range(6))
    paris_portal = stranger()
    owner = some[0]
    other_school = next(s.uai for s in schools if s.uai != owner.origin_uai)
    twice, updated = some[1], some[2]
    unknown = some[3]
    paris = uai("075", 654)
    mistakes = [
        Mistake(
            "mistake:grade",
            "Élève de 2nde GT",
            "register_candidacy",
            body(grade, pupil={**body(grade)["pupil"], "class_level": "2nde_gt"}),
            day,
        ),
        Mistake(
            "mistake:ine",
            "INE mal saisi",
            "register_candidacy",
            body(typo, pupil={**body(typo)["pupil"], "ine": "12345678"}),
            day,
        ),
        Mistake(
            "mistake:uai",
            "Lettre clé de l'UAI erronée",
            "register_candidacy",
            body(
                check,
                actor_uai=school.uai[:7] + ("Q" if school.uai[7] != "Q" else "R"),
                origin_uai=school.uai[:7] + ("Q" if school.uai[7] != "Q" else "R"),
            ),
            day,
        ),
        Mistake(
            "mistake:catalog",
            "Formation hors catalogue",
            "register_candidacy",
            body(catalog, formation_code="bts-tourisme"),
            day,
        ),
        Mistake(
            "mistake:other-school",
            "Élève d'un autre établissement",
            "register_candidacy",
            registration_body(name, owner, owner.candidacies[0], actor_uai=other_school, origin_uai=other_school),
            day,
        ),
        Mistake(
            "mistake:paris-portal",
            "Collège parisien sur le portail",
            "register_candidacy",
            body(paris_portal, actor_uai=paris, origin_uai=paris),
            day,
        ),
        Mistake(
            "mistake:empty-comment",
            "Commentaire laissé vide",
            "register_candidacy",
            body(empty, origin_comment=""),
            day,
        ),
        Mistake("mistake:campaign", "Mauvaise campagne", "register_candidacy", body(wrong, campaign="2012"), day),
        Mistake(
            "mistake:not-json",
            "Message illisible (pas du JSON)",
            "register_candidacy",
            "<candidature>mal formée</candidature>".encode(),
            day,
        ),
        Mistake(
            registration_ref(twice, twice.candidacies[0]),
            "Même commande envoyée deux fois (un seul effet)",
            "register_candidacy",
            registration_body(name, twice, twice.candidacies[0]),
            day,
        ),
        Mistake(
            "mistake:update",
            "Avis modifié avant l'entretien",
            "register_candidacy",
            registration_body(
                name,
                updated,
                updated.candidacies[0],
                origin_opinion=_other_opinion(updated.candidacies[0].origin_opinion),
                origin_comment="Projet revu avec la famille.",
            ),
            day,
        ),
        Mistake(
            "mistake:withdraw-nothing",
            "Retrait d'une candidature inexistante",
            "withdraw_candidacy",
            {
                "campaign": name,
                "actor_uai": unknown.origin_uai,
                "ine": unknown.ine,
                "formation_code": next(
                    f.code for f in campaign.formations if f.code not in {c.formation_code for c in unknown.candidacies}
                ),
            },
            day,
        ),
    ]
    domain = campaign.domains[0]
    outsider = next(s.uai for s in campaign.reception_schools if s.uai not in domain.reception_uais)
    too_late = datetime.combine(campaign.calendar.interviews_end_on + timedelta(days=3), time(10, 0), campaign.tz)
    inside = datetime.combine(campaign.calendar.interviews_end_on - timedelta(days=7), time(10, 0), campaign.tz)
    declare_on = campaign.calendar.opens_on
    mistakes += [
        Mistake(
            "mistake:slot-late",
            "Créneau après la fin des entretiens",
            "declare_interview_slots",
            {
                "campaign": name,
                "actor_uai": domain.reception_uais[0],
                "domain_code": domain.code,
                "place": samples.PLACES[0],
                "slots": [{"starts_at": too_late.isoformat(), "duration_minutes": SLOT_MINUTES, "capacity": 2}],
            },
            declare_on,
        ),
        Mistake(
            "mistake:slot-school",
            "Créneaux d'un lycée qui n'accueille pas ce domaine",
            "declare_interview_slots",
            {
                "campaign": name,
                "actor_uai": outsider,
                "domain_code": domain.code,
                "place": samples.PLACES[0],
                "slots": [{"starts_at": inside.isoformat(), "duration_minutes": SLOT_MINUTES, "capacity": 2}],
            },
            declare_on,
        ),
    ]
    return mistakes


def _other_opinion(opinion: str) -> str:
    return "reserve" if opinion != "reserve" else "assez_favorable"
