"""What the portal saw: the run's events folded into the campaign's state and counts, as they arrive (pure)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Pair = tuple[str, str]
"""(INE, domain code): one interview need (R13)."""
Wish = tuple[str, str]
"""(INE, formation code): one candidacy."""


@dataclass
class Interview:
    interview_id: str
    ine: str
    domain_code: str
    reception_uai: str
    starts_at: datetime
    attempt: int
    """1 for the first interview of the pupil in the domain, 2 for the one asked for after an absence (R21)."""
    status: str = "booked"
    """booked, cancelled, attended or absent."""
    reported_at: datetime | None = None


@dataclass
class Tally:
    """Folds events in the order the portal received them; ``update`` takes only the ones not seen yet."""

    seen: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    registered: dict[Wish, dict[str, Any]] = field(default_factory=dict)
    """The latest ``candidacy_registered`` of each candidacy."""
    withdrawn: set[Wish] = field(default_factory=set)
    active: dict[Pair, set[str]] = field(default_factory=lambda: defaultdict(set))
    """The formations a pupil still applies for in a domain."""
    pairs: dict[Pair, str] = field(default_factory=dict)
    """Each need's state as scheduling keeps it: waiting, booked, held, absent or withdrawn."""
    interviews: dict[str, Interview] = field(default_factory=dict)
    absences: Counter[Pair] = field(default_factory=Counter)
    waiting: dict[str, int] = field(default_factory=dict)
    """The latest ``capacity_shortfall`` of each domain (R15)."""
    shortfalls: list[tuple[datetime, str, int]] = field(default_factory=list)
    finals: dict[Wish, str] = field(default_factory=dict)
    confirmed: set[Wish] = field(default_factory=set)
    bonuses: dict[Wish, tuple[str, int]] = field(default_factory=dict)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    overdue: list[dict[str, Any]] = field(default_factory=list)
    clock: dict[str, datetime] = field(default_factory=dict)
    scheduling_moves: int = 0
    """Bookings and shortfalls seen: the runner waits until this stops moving."""

    def update(self, events: Sequence[Mapping[str, Any]]) -> int:
        """Folds the events after the ones already seen; returns how many were new."""
        new = events[self.seen :]
        for event in new:
            self.fold(event)
        self.seen += len(new)
        return len(new)

    def fold(self, event: Mapping[str, Any]) -> None:
        key = str(event["_routing_key"])
        self.counts[key] += 1
        service, _, name = key.partition(".")
        handler = getattr(self, f"_on_{name}", None)
        if handler is not None:
            handler(event, service)

    def _on_candidacy_registered(self, event: Mapping[str, Any], _: str) -> None:
        wish, pair = (event["ine"], event["formation_code"]), (event["ine"], event["domain_code"])
        self.registered[wish] = dict(event)
        self.withdrawn.discard(wish)
        self.active[pair].add(event["formation_code"])
        if self.pairs.get(pair, "withdrawn") == "withdrawn":
            self.pairs[pair] = "waiting"

    def _on_candidacy_withdrawn(self, event: Mapping[str, Any], _: str) -> None:
        pair = (event["ine"], event["domain_code"])
        self.withdrawn.add((event["ine"], event["formation_code"]))
        self.active[pair].discard(event["formation_code"])
        if event["remaining_in_domain"] == 0:
            self.pairs[pair] = "withdrawn"

    def _on_interview_booked(self, event: Mapping[str, Any], _: str) -> None:
        pair = (event["ine"], event["domain_code"])
        self.interviews[event["interview_id"]] = Interview(
            event["interview_id"],
            event["ine"],
            event["domain_code"],
            event["reception_uai"],
            datetime.fromisoformat(event["starts_at"]),
            attempt=self.absences[pair] + 1,
        )
        self.pairs[pair] = "booked"
        self.scheduling_moves += 1

    def _on_interview_cancelled(self, event: Mapping[str, Any], _: str) -> None:
        interview = self.interviews.get(event["interview_id"])
        if interview is not None:
            interview.status = "cancelled"
        pair = (event["ine"], event["domain_code"])
        self.pairs[pair] = "waiting" if self.active[pair] else "withdrawn"

    def _on_interview_reported(self, event: Mapping[str, Any], _: str) -> None:
        interview = self.interviews.get(event["interview_id"])
        if interview is not None:
            interview.status = "attended" if event["attended"] else "absent"
            interview.reported_at = datetime.fromisoformat(event["occurred_at"])
        pair = (event["ine"], event["domain_code"])
        if not event["attended"]:
            self.absences[pair] += 1
        if self.pairs.get(pair) != "withdrawn":
            self.pairs[pair] = "held" if event["attended"] else "absent"

    def _on_interview_requested(self, event: Mapping[str, Any], _: str) -> None:
        self.pairs[(event["ine"], event["domain_code"])] = "waiting"

    def _on_capacity_shortfall(self, event: Mapping[str, Any], _: str) -> None:
        self.waiting[event["domain_code"]] = event["waiting_pupils"]
        self.shortfalls.append(
            (datetime.fromisoformat(event["occurred_at"]), event["domain_code"], event["waiting_pupils"])
        )
        self.scheduling_moves += 1

    def _on_final_opinion_computed(self, event: Mapping[str, Any], _: str) -> None:
        self.finals[(event["ine"], event["formation_code"])] = event["final_opinion"]

    def _on_wish_confirmed(self, event: Mapping[str, Any], _: str) -> None:
        self.confirmed.add((event["ine"], event["formation_code"]))

    def _on_bonus_exported(self, event: Mapping[str, Any], _: str) -> None:
        self.bonuses[(event["ine"], event["formation_code"])] = (event["final_opinion"], event["bonus_points"])

    def _on_command_rejected(self, event: Mapping[str, Any], _: str) -> None:
        self.rejections.append(dict(event))

    def _on_report_overdue(self, event: Mapping[str, Any], _: str) -> None:
        self.overdue.append(dict(event))

    def _on_clock_advanced(self, event: Mapping[str, Any], service: str) -> None:
        self.clock[service] = datetime.fromisoformat(event["to"])

    # -- what the runner and the report read --

    def pending(self) -> Counter[str]:
        """Needs waiting for an interview, per domain, as the events tell it."""
        return Counter(domain for (_, domain), state in self.pairs.items() if state == "waiting")

    def interviews_in(self, *statuses: str) -> list[Interview]:
        return [i for i in self.interviews.values() if i.status in statuses]

    def bonuses_due(self) -> int:
        """R27, R28: candidacies with a final opinion and a confirmation, still active."""
        return len((self.finals.keys() & self.confirmed) - self.withdrawn)

    @property
    def candidacies(self) -> int:
        return len(self.registered)

    @property
    def rejected(self) -> int:
        return len(self.rejections)
