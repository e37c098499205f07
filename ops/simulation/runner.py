"""Plays a scenario day by day through the public interface only: the ``portal`` account's commands and events.

The clock stops at 18:00 on each day with work, once the day's interviews are over: origin schools
register, withdraw and ask for new interviews, reception schools declare slots, then report on the
interviews whose report day it is; in May, origin schools confirm each Friday the week's wishes. Every
command's answer is awaited before the clock moves on, so each is handled on the day it belongs to.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_time
from typing import Any

from contracts import routing
from contracts.campaign import Campaign
from harness.portal import PortalClient
from ops.simulation.catchup import CatchUp, Probe
from ops.simulation.display import Display, Planned
from ops.simulation.mailbox import Mailbox
from ops.simulation.scenario import (
    Attempt,
    Pupil,
    Scenario,
    SlotDeclaration,
    registration_body,
    registration_ref,
)
from ops.simulation.tally import Interview, Tally

Command = tuple[str, str, Mapping[str, Any] | bytes]
"""(ref, routing key, body without its command_id); the same ref is the same command."""

SAIO_UAI = "0941918Z"
"""The rectorat, where the SAIO moves the virtual clock from, as the tests do."""
EVENING = day_time(18)
PUBLISHERS = 64
"""Publishes awaiting their confirm at once."""
GRACE = 20.0
"""Seconds the mail sender gets to finish before the run settles for one mail of each kind."""
REPORT_TAIL_DAYS = 15
"""Days after the interview period the runner still waits for late reports."""


class SimulationError(RuntimeError):
    """The run cannot go on; the message says why and what to do."""


@dataclass
class Result:
    scenario: Scenario
    tally: Tally
    seats_declared: dict[str, int]
    """Domain -> seats of the declarations Passpro accepted."""
    mistakes: list[tuple[str, dict[str, Any]]]
    """(label, the first event each mistaken command caused), in the order sent."""
    warnings: list[str]
    seconds: float
    first_day: date
    last_day: date
    events: list[dict[str, Any]] = field(default_factory=list)
    slot_cancellations: list[dict[str, Any]] = field(default_factory=list)
    """What each sick teacher's cancellation caused: ``slots_cancelled`` (or its refusal)."""
    reminders_on_time: int | None = None
    """R20b: interviews whose reminder had gone out when the clock passed their start (None: no mailbox)."""
    reminders_late: int | None = None
    """Interviews the clock passed before their reminder went out (goal: none)."""


class Runner:
    def __init__(
        self,
        scenario: Scenario,
        campaign: Campaign,
        portal: PortalClient,
        *,
        display: Display | None = None,
        mailbox: Mailbox | None = None,
        mail_wait: float = 120.0,
        probe: Probe | None = None,
        catch_up: float = 60.0,
    ) -> None:
        self.scenario, self.campaign, self.portal, self.display = scenario, campaign, portal, display
        self.mailbox, self.mail_wait = mailbox, mail_wait
        self.catch_up = CatchUp(probe, mailbox, catch_up)
        """Before each move of the clock: the stack caught up, within ``catch_up`` seconds."""
        self.cal, self.tz = campaign.calendar, campaign.tz
        self.tally = Tally()
        self.planned = Planned()
        self.ids: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self.declared: list[tuple[SlotDeclaration, str]] = []
        self.requests: dict[date, list[Interview]] = defaultdict(list)
        self.reported: set[str] = set()
        self.warnings: list[str] = []
        self.pupils = {p.ine: p for p in scenario.pupils}
        self.by_day: dict[date, list[Pupil]] = defaultdict(list)
        for pupil in scenario.pupils:
            self.by_day[pupil.registered_on].append(pupil)
            if pupil.registered_on > self.cal.registration_deadline:
                for candidacy in pupil.candidacies:
                    self.labels[registration_ref(pupil, candidacy)] = "Inscription après la date limite"
        for mistake in scenario.mistakes:
            self.labels[mistake.ref] = mistake.label

    # -- the calendar --

    def days(self) -> Iterator[date]:
        day = self.cal.opens_on
        end = self.cal.interviews_end_on + timedelta(days=REPORT_TAIL_DAYS)
        while day <= self.cal.interviews_end_on or (day <= end and self._unreported()):
            yield day
            day += timedelta(days=1)

    def wish_days(self) -> list[list[date]]:
        """The days wishes are entered in Affelnet, by week."""
        days = sorted({c.wish_entered_on for _, c in self.scenario.candidacies() if c.wish_entered_on})
        weeks: dict[tuple[int, int], list[date]] = defaultdict(list)
        for day in days:
            weeks[day.isocalendar()[:2]].append(day)
        return [weeks[key] for key in sorted(weeks)]

    async def play(self) -> Result:
        started = time.monotonic()
        wish_days = self.wish_days()
        late = max((a.late_delay for a in self.scenario.attempts.values()), default=0)
        self.planned.days = (self.cal.interviews_end_on - self.cal.opens_on).days + late + 2 + len(wish_days)
        self.planned.registrations = sum(len(p.candidacies) for p in self.scenario.pupils)
        self.planned.declarations = len(self.scenario.declarations)
        self.planned.confirmations = sum(1 for _ in self._confirmations(None))
        refresher = asyncio.create_task(self._refresh())
        try:
            await self._start()
            for day in self.days():
                self._today(day)
                await self._day(day)
            self.planned.step = "wishes entered in Affelnet"
            for week in wish_days:
                self._today(week[-1])
                await self._wishes(week)
            self.planned.day_index = self.planned.days
            await self._wait_bonuses()
            await self._wait_mails()
            if not await self.catch_up.drained():
                self.warnings.append(
                    f"the stack had not caught up {self.catch_up.limit:.0f} s after the campaign: "
                    "the report counts the mails still queued"
                )
        finally:
            refresher.cancel()
            self.sync()
        self.warnings += self.catch_up.warnings()
        counted = self.mailbox is not None
        return Result(
            scenario=self.scenario,
            tally=self.tally,
            seats_declared=self._seats_declared(),
            mistakes=self._mistake_outcomes(),
            warnings=self.warnings,
            seconds=time.monotonic() - started,
            first_day=self.cal.opens_on,
            last_day=(self.now or self._at(self.cal.opens_on, EVENING)).date(),
            events=self.portal.events,
            slot_cancellations=self.slot_cancellations(),
            reminders_on_time=len(self.catch_up.on_time) if counted else None,
            reminders_late=len(self.catch_up.late) if counted else None,
        )

    def _today(self, day: date) -> None:
        self.planned.today = day
        self.planned.day_index += 1

    def sync(self) -> None:
        self.tally.update(self.portal.events)
        if self.display is not None:
            self.display.refresh(self.tally, self.planned)

    async def _refresh(self) -> None:
        while True:
            self.sync()
            await asyncio.sleep(0.25)

    # -- the virtual clock --

    now: datetime | None = None

    def _at(self, day: date, moment: day_time) -> datetime:
        return datetime.combine(day, moment, self.tz)

    async def _start(self) -> None:
        """The services must be on a virtual clock that has not yet passed the campaign's first moment."""
        first_action = self._at(self.cal.opens_on, EVENING)
        answers = await self._advance(self._at(self.cal.opens_on, day_time(8)))
        refused = [e for e in answers if e["_routing_key"].endswith("command_rejected")]
        if refused:
            raise SimulationError(
                f"the services do not run on a virtual clock ({refused[0]['message']}); "
                "start a fresh campaign with `passpro simulate --fresh` or `make demo`"
            )
        shown = max(datetime.fromisoformat(e["to"]) for e in answers)
        if shown >= first_action:
            raise SimulationError(
                f"the services' clock already shows {shown.astimezone(self.tz):%d/%m/%Y %H:%M}: this stack has "
                "played the campaign and its clock never goes back. Start a fresh campaign with "
                "`passpro simulate --fresh` (it deletes the local campaign's data) or `make demo`"
            )

    async def _clock(self, day: date, moment: day_time) -> None:
        instant = self._at(day, moment)
        if self.now is None or instant > self.now:
            self.sync()
            await self.catch_up.before(self.now, instant, self.tally.interviews_in("booked"))
            await self._advance(instant)

    async def _advance(self, instant: datetime) -> list[dict[str, Any]]:
        """Moves every service's clock (``advance_clock``) and waits until all five said they moved."""
        command_id = str(uuid.uuid4())
        await self.portal.send(
            "advance_clock",
            {
                "command_id": command_id,
                "campaign": self.scenario.campaign,
                "actor_uai": SAIO_UAI,
                "to": instant.isoformat(),
            },
        )
        deadline = time.monotonic() + 120
        while True:
            caused = self.portal.caused_by(command_id)
            moved = {e["_routing_key"] for e in caused if e["_routing_key"].endswith(".clock_advanced")}
            if len(moved) == len(routing.SERVICES) or any(
                e["_routing_key"].endswith("command_rejected") for e in caused
            ):
                self.now = instant
                return caused
            if time.monotonic() > deadline:
                raise SimulationError(
                    f"the clock did not move to {instant.isoformat()} within 120 s: only "
                    f"{sorted(moved)} answered; see `passpro ops queues` and the services' logs"
                )
            await asyncio.sleep(0.02)

    # -- commands --

    async def _run(self, commands: Sequence[Command]) -> None:
        """Publishes the commands, a few dozen at once, then waits until each one is answered."""
        if not commands:
            return
        ids = [self.ids.setdefault(ref, str(uuid.uuid4())) for ref, _, _ in commands]
        pending = iter(list(zip(ids, commands, strict=True)))

        async def publisher() -> None:
            for command_id, (_, key, body) in pending:
                if isinstance(body, bytes):
                    await self.portal.send(key, body, message_id=command_id)
                else:
                    await self.portal.send(key, {**body, "command_id": command_id})

        await asyncio.gather(*(publisher() for _ in range(min(PUBLISHERS, len(ids)))))
        await self._answered(ids)

    async def _answered(self, ids: Sequence[str]) -> None:
        waiting = set(ids)
        limit = 60 + len(waiting) / 20
        deadline = time.monotonic() + limit
        while waiting:
            waiting = {i for i in waiting if not self.portal.by_cause.get(i)}
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise SimulationError(
                    f"{len(waiting)} of {len(ids)} commands got no answer within {limit:.0f} s; "
                    "see `passpro ops queues` and the services' logs"
                )
            await asyncio.sleep(0.05)

    async def _settle(self, quiet: float) -> None:
        """Waits until bookings stop: every need is booked, or scheduling says as many wait as the events tell."""
        deadline = time.monotonic() + 60
        moves, since = self.tally.scheduling_moves, time.monotonic()
        while time.monotonic() < deadline:
            self.sync()
            if self.tally.scheduling_moves != moves:
                moves, since = self.tally.scheduling_moves, time.monotonic()
            pending = self.tally.pending()
            if not pending:
                return
            if time.monotonic() - since >= quiet and all(self.tally.waiting.get(d) == n for d, n in pending.items()):
                return
            await asyncio.sleep(0.1)
        self.warnings.append(f"bookings still moving on {self.planned.today}: the run went on after 60 s")

    # -- the day's moments --

    async def _day(self, day: date) -> None:
        """The day's work, entered at 18:00 once the day's interviews are over; the clock moves only if needed."""
        name = self.scenario.campaign
        registrations = [
            (registration_ref(p, c), "register_candidacy", registration_body(name, p, c))
            for p in self.by_day.get(day, [])
            for c in p.candidacies
        ]
        declarations = [d for d in self.scenario.declarations if d.declared_on == day]
        others = self._withdrawals(day) + self._new_interview_requests(day) + self._cancellations(day)
        mistakes = [(m.ref, m.routing_key, m.body) for m in self.scenario.mistakes if m.on == day]
        due = sorted(
            (
                i
                for i in self.tally.interviews_in("booked")
                if i.interview_id not in self.reported and self._report_day(i) <= day
            ),
            key=lambda i: (i.starts_at, i.interview_id),
        )
        # R20b: reminders go out for interviews within two days of the clock, so it never jumps further.
        idle = self.now is not None and day - self.now.astimezone(self.tz).date() < timedelta(days=2)
        late_mistakes = day == self.scenario.late_mistakes_on
        if idle and not (registrations or declarations or others or mistakes or due or late_mistakes):
            return
        await self._clock(day, EVENING)
        if late_mistakes:
            mistakes += self._late_mistakes()
        self.planned.step = "schools at work"
        slots = [self._declaration(d, index) for index, d in enumerate(declarations)]
        await self._run(registrations + slots + others)
        self.declared += [(d, self.ids[ref]) for d, (ref, _, _) in zip(declarations, slots, strict=True)]
        self.planned.registrations_answered += len(registrations)
        self.planned.declarations_answered += len(declarations)
        await self._run(mistakes)
        if registrations or declarations or others:
            await self._settle(quiet=2.5 if declarations else 0.0)
        await self._reports(day, due)

    def _declaration(self, declaration: SlotDeclaration, index: int) -> Command:
        """R14: a reception school's slots for a domain."""
        return (
            f"slots:{declaration.reception_uai}:{declaration.domain_code}:{declaration.declared_on}:{index}",
            "declare_interview_slots",
            {
                "campaign": self.scenario.campaign,
                "actor_uai": declaration.reception_uai,
                "domain_code": declaration.domain_code,
                "place": declaration.place,
                "slots": [
                    {"starts_at": start.isoformat(), "duration_minutes": 30, "capacity": capacity}
                    for start, capacity in declaration.slots
                ],
            },
        )

    async def _reports(self, day: date, due: list[Interview]) -> None:
        """R21, R22: reception schools report on the interviews whose report day it is."""
        if not due:
            return
        await self._run([(f"report:{i.interview_id}", "submit_interview_report", self._report(i)) for i in due])
        self.reported.update(i.interview_id for i in due)
        self.sync()
        last_request = self.cal.interviews_end_on - timedelta(days=self.cal.convocation_notice_days + 3)
        ask_on = day + timedelta(days=1)
        for interview in due:
            if self.tally.interviews[interview.interview_id].status == "absent" and self._attempt(interview).asks_again:
                if ask_on <= last_request:
                    self.requests[ask_on].append(interview)

    async def _wishes(self, days: list[date]) -> None:
        """R27, R28: origin schools confirm on the portal, each Friday, the wishes entered in Affelnet that week."""
        commands = [c for day in days for c in self._confirmations(day)]
        if not commands:
            return
        await self._clock(days[-1], EVENING)
        await self._run(commands)
        self.planned.confirmations_answered += len(commands)

    # -- what each school does --

    def _confirmations(self, day: date | None) -> Iterator[Command]:
        """R27, R28: the origin school confirms the wishes families chose (all of them when ``day`` is None)."""
        for pupil, candidacy in self.scenario.candidacies():
            entered = candidacy.wish_entered_on
            if entered is None or (day is not None and entered != day):
                continue
            if day is not None and (pupil.ine, candidacy.formation_code) not in self.tally.registered:
                continue
            ref = f"wish:{pupil.ine}:{candidacy.formation_code}"
            if entered > self.cal.affelnet_wish_deadline:
                self.labels[ref] = "Vœu saisi dans Affelnet après la date limite"
            yield (
                ref,
                "confirm_wish",
                {
                    "campaign": self.scenario.campaign,
                    "actor_uai": pupil.origin_uai,
                    "ine": pupil.ine,
                    "formation_code": candidacy.formation_code,
                    "family_confirmed": True,
                    "wish_entered_on": entered.isoformat(),
                },
            )

    def _withdrawals(self, day: date) -> list[Command]:
        """R10: the candidacies pupils renounce that day."""
        out: list[Command] = []
        for pupil, candidacy in self.scenario.candidacies():
            wish = (pupil.ine, candidacy.formation_code)
            if candidacy.withdrawn_on == day and wish in self.tally.registered and wish not in self.tally.withdrawn:
                out.append(
                    (
                        f"withdraw:{pupil.ine}:{candidacy.formation_code}",
                        "withdraw_candidacy",
                        {
                            "campaign": self.scenario.campaign,
                            "actor_uai": pupil.origin_uai,
                            "ine": pupil.ine,
                            "formation_code": candidacy.formation_code,
                            "reason": candidacy.withdrawal_reason,
                        },
                    )
                )
        return out

    def _cancellations(self, day: date) -> list[Command]:
        """R14, R15: a reception school closes a day's slots (a sick teacher); its pupils are booked again."""
        return [
            (
                f"cancel:{c.reception_uai}:{c.domain_code}:{c.on}",
                "cancel_interview_slots",
                {
                    "campaign": self.scenario.campaign,
                    "actor_uai": c.reception_uai,
                    "domain_code": c.domain_code,
                    "starts_at": [start.isoformat() for start in c.starts_at],
                    "reason": c.reason,
                },
            )
            for c in self.scenario.cancellations
            if c.on == day
        ]

    def slot_cancellations(self) -> list[dict[str, Any]]:
        """What each cancellation the scenario sent caused: its ``slots_cancelled`` event, or its refusal."""
        out = []
        for c in self.scenario.cancellations:
            command_id = self.ids.get(f"cancel:{c.reception_uai}:{c.domain_code}:{c.on}")
            caused = self.portal.caused_by(command_id) if command_id else []
            answer = next(
                (
                    e
                    for e in caused
                    if e["_routing_key"] in ("scheduling.slots_cancelled", "scheduling.command_rejected")
                ),
                None,
            )
            if answer is not None:
                out.append(dict(answer))
        return out

    def _new_interview_requests(self, day: date) -> list[Command]:
        """R21: after an absence, the origin school asks for a new interview."""
        return [
            (
                f"request:{i.interview_id}",
                "request_new_interview",
                {
                    "campaign": self.scenario.campaign,
                    "actor_uai": self.pupils[i.ine].origin_uai,
                    "ine": i.ine,
                    "domain_code": i.domain_code,
                },
            )
            for i in self.requests.pop(day, [])
        ]

    def _attempt(self, interview: Interview) -> Attempt:
        return self.scenario.attempts[(interview.ine, interview.domain_code, min(interview.attempt, 2))]

    def _report_day(self, interview: Interview) -> date:
        delay = self._attempt(interview).report_delay(self.scenario.lateness.get(interview.reception_uai, 0.0))
        return interview.starts_at.astimezone(self.tz).date() + timedelta(days=delay)

    def _report(self, interview: Interview, actor: str | None = None) -> dict[str, Any]:
        attempt = self._attempt(interview)
        body: dict[str, Any] = {
            "campaign": self.scenario.campaign,
            "actor_uai": actor or interview.reception_uai,
            "interview_id": interview.interview_id,
            "attended": attempt.attended,
        }
        if attempt.attended:
            given = dict(attempt.opinions)
            body["report"] = attempt.report
            body["opinions"] = [
                {"formation_code": f, "opinion": given.get(f, "assez_favorable")}
                for f in sorted(self.tally.active[(interview.ine, interview.domain_code)])
            ]
        return body

    def _unreported(self) -> bool:
        return any(i.interview_id not in self.reported for i in self.tally.interviews_in("booked"))

    def _late_mistakes(self) -> list[Command]:
        """Mistakes that need interviews already held or still to come."""
        assert self.now is not None
        held = sorted(self.tally.interviews_in("attended"), key=lambda i: (i.ine, i.domain_code))
        ahead = sorted(
            (i for i in self.tally.interviews_in("booked") if i.starts_at > self.now + timedelta(days=1)),
            key=lambda i: (i.ine, i.domain_code),
        )
        out: list[Command] = []

        def add(ref: str, label: str, key: str, body: dict[str, Any]) -> None:
            self.labels[ref] = label
            out.append((ref, key, body))

        name = self.scenario.campaign
        if held:
            first = held[0]
            pupil = self.pupils[first.ine]
            active = sorted(self.tally.active[(first.ine, first.domain_code)])
            candidacy = next((c for c in pupil.candidacies if c.formation_code in active), None)
            if candidacy is not None:
                current = self.tally.registered[(pupil.ine, candidacy.formation_code)]["origin_opinion"]
                add(
                    "late:locked",
                    "Avis d'origine modifié après l'entretien",
                    "register_candidacy",
                    registration_body(
                        name,
                        pupil,
                        candidacy,
                        origin_opinion="reserve" if current != "reserve" else "favorable",
                        origin_comment="Avis revu après l'entretien.",
                    ),
                )
            add("late:twice", "Compte rendu saisi deux fois", "submit_interview_report", self._report(first))
            add(
                "late:came",
                "Nouvel entretien demandé pour un élève venu",
                "request_new_interview",
                {"campaign": name, "actor_uai": pupil.origin_uai, "ine": first.ine, "domain_code": first.domain_code},
            )
        if ahead:
            add("late:early", "Compte rendu saisi avant l'entretien", "submit_interview_report", self._report(ahead[0]))
            other = next(s.uai for s in self.campaign.reception_schools if s.uai != ahead[-1].reception_uai)
            add(
                "late:stranger",
                "Compte rendu saisi par un autre lycée",
                "submit_interview_report",
                self._report(ahead[-1], actor=other),
            )
        return out

    # -- the end --

    async def _wait_bonuses(self) -> None:
        """R30: every bonus due reaches Affelnet, retried by the service while it has to."""
        self.planned.step = "bonuses on their way to Affelnet"
        await self._until(
            lambda: len(self.tally.bonuses) >= self.tally.bonuses_due(), 60 + self.tally.bonuses_due() / 30, "bonuses"
        )

    async def _wait_mails(self) -> None:
        """Mails go out behind the clock: waits for the sender to finish, for ``mail_wait`` seconds at most.

        On a busy machine the sender is the slowest part of the stack: past a grace period, the run stops
        waiting as soon as every kind of mail it caused has reached the mailbox; the rest goes out later.
        """
        self.planned.step = "last mails"
        counts = self.tally.counts
        attended = len(self.tally.interviews_in("attended"))
        expected = {"Convocation", "Rappel avant l'entretien"}
        expected |= {"Fiche récapitulative"} if attended else set()
        expected |= {"Annulation"} if counts["scheduling.interview_cancelled"] else set()
        expected |= {"Relance des comptes rendus en retard"} if self.tally.overdue else set()
        started = time.monotonic()
        seen, since, looked = -1, started, 0.0
        while time.monotonic() - started < self.mail_wait:
            self.sync()
            mails = counts["notifications.convocation_sent"] + counts["notifications.recap_sent"]
            if mails != seen:
                seen, since = mails, time.monotonic()
            if counts["notifications.recap_sent"] >= attended and time.monotonic() - since > 3:
                return
            if self.mailbox is not None and time.monotonic() - started > GRACE and time.monotonic() - looked > 2:
                looked = time.monotonic()
                if expected <= self.mailbox.refresh().kinds():
                    return
            await asyncio.sleep(0.2)

    async def _until(self, done: Any, limit: float, what: str) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            self.sync()
            if done():
                return
            await asyncio.sleep(0.2)
        self.warnings.append(f"{what}: still incomplete after {limit:.0f} s; the report shows what had arrived")

    def _seats_declared(self) -> dict[str, int]:
        seats: dict[str, int] = defaultdict(int)
        for declaration, command_id in self.declared:
            if any(e["_routing_key"] == "scheduling.slots_declared" for e in self.portal.caused_by(command_id)):
                seats[declaration.domain_code] += declaration.seats
        return dict(seats)

    def _mistake_outcomes(self) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for ref, label in self.labels.items():
            command_id = self.ids.get(ref)
            caused = self.portal.caused_by(command_id) if command_id else []
            if caused:
                out.append((label, caused[0]))
        return out
