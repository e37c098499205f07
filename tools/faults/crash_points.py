"""Crashes at exact points: each service started with one ``PASSPRO_CRASH_AT`` point armed, a small campaign played
until each died there (exit 137 and its stderr line), the service started again without the switch, and what came
out counted from outside: events by event_id, mails by Message-ID and by content, Affelnet posts per Idempotency-Key.

One campaign and one infrastructure for every point (a point per service), on the fault runner's own parts:
its infrastructure, processes, campaign script, player and checks. The only faults are the crashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import statistics
import sys
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aio_pika.abc import AbstractIncomingMessage

from contracts import routing
from tools.faults.checks import Outcome, message_id
from tools.faults.figures import Figures
from tools.faults.infra import ROOT, VHOST
from tools.faults.injector import Injector
from tools.faults.outside import Mailbox, Observer
from tools.faults.plan import Plan
from tools.faults.processes import Exit, Services
from tools.faults.run import Run, _free, _lock

ARMED: dict[str, str] = {
    "enrollment": "consumer.after_commit",
    "scheduling": "outbox.after_commit_before_hand_off",
    "opinions": "relay.after_confirm",
    "notifications": "notifications.after_250@3",
    "affelnet_export": "affelnet.after_2xx",
}
"""The switch each service starts with. The third mail SMTP accepts, so that the crash catches a batch with mails
accepted and not yet marked; the other points fire the first time they are reached."""
SWITCH = "PASSPRO_CRASH_AT"
FIRED_LINE = "passpro crash point "


@dataclass
class Crash:
    """One armed service: when and how it ended, and what the outside could see at that moment."""

    service: str
    switch: str
    code: int | None = None
    at: float | None = None
    line: str = ""
    """The process's last words on stderr: the switch names the point it fired at."""
    outbox: set[str] = field(default_factory=set)
    """Ids of the events the service had committed and not yet deleted from its outbox when it died."""
    unmarked_mails: set[str] = field(default_factory=set)
    """Message-IDs SMTP had accepted whose mails were still ``sending`` (leased, not marked) when it died."""
    unmarked_bonuses: set[str] = field(default_factory=set)
    """Idempotency-Keys Affelnet had answered 201 whose bonuses were still ``sending`` when it died."""

    @property
    def point(self) -> str:
        return self.switch.partition("@")[0]

    @property
    def fired(self) -> bool:
        return self.code == 137 and f"{FIRED_LINE}{self.point} reached" in self.line


class CrashServices(Services):
    """The fault runner's supervisor, but a service that dies armed is started again without its switch."""

    def __init__(
        self,
        env: dict[str, str],
        base_port: int,
        log: Path,
        started: float,
        armed: dict[str, str],
        on_crash: Callable[[Crash], Awaitable[None]],
    ) -> None:
        super().__init__(env, base_port, log, started)
        self.crashes = {service: Crash(service, switch) for service, switch in armed.items()}
        self.on_crash = on_crash
        self._log_from: dict[str, int] = {}

    def _switch(self, service: str) -> str | None:
        crash = self.crashes.get(service)
        return crash.switch if crash is not None and crash.code is None else None

    async def start(self, service: str) -> None:
        env = {**self.env, "PASSPRO_HEALTH_PORT": str(self.port(service))}
        switch = self._switch(service)
        if switch is not None:
            env[SWITCH] = switch
        path = self.log / f"{service}.log"
        self._log_from[service] = path.stat().st_size if path.exists() else 0
        with self._log_file(service) as out:
            self.procs[service] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", f"services.{service}", env=env, cwd=ROOT, stdout=out, stderr=out
            )

    def _last_words(self, service: str) -> str:
        with (self.log / f"{service}.log").open("rb") as logged:
            logged.seek(self._log_from.get(service, 0))
            lines = logged.read().decode(errors="replace").splitlines()
        return next((line for line in reversed(lines) if line.startswith(FIRED_LINE)), "")

    async def _supervise(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            for service, proc in list(self.procs.items()):
                if proc.returncode is None or service in self._busy:
                    continue
                crash = self.crashes.get(service)
                if crash is not None and crash.code is None:
                    crash.code, crash.at = proc.returncode, round(time.monotonic() - self.started, 1)
                    crash.line = self._last_words(service)
                    await self.on_crash(crash)  # before the restart: what the dead process left behind
                else:
                    self.exits.append(Exit(service, proc.returncode, round(time.monotonic() - self.started, 1)))
                await self.start(service)


class OnlyCrashes(Injector):
    """No kill, restart or outage: the armed points are the run's only faults."""

    def start_kills(self) -> None:
        return None

    def fire(self, moment: str) -> None:
        return None


class Sink(Mailbox):
    """The SMTP server, also answering which mails it had accepted by a given moment."""

    def received_by(self, moment: float) -> set[str]:
        """Message-IDs first accepted no later than ``moment`` (``time.time()``)."""
        return {r.message_id for r in self.log_snapshot() if r.wall <= moment}


class CountingObserver(Observer):
    """The fault run's observer, also counting each event's deliveries."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.deliveries: Counter[str] = Counter()
        self.key_of: dict[str, str] = {}
        self.arrived_at: dict[str, float] = {}
        """When each event first arrived (``time.time()``, the SMTP server's clock)."""

    async def _on_event(self, message: AbstractIncomingMessage) -> None:
        event_id = str(json.loads(message.body).get("event_id"))
        self.deliveries[event_id] += 1
        self.arrived_at.setdefault(event_id, time.time())
        self.key_of[event_id] = message.routing_key or ""
        await super()._on_event(message)


@dataclass
class Row:
    """One line of the table: a point, and what the outside counted of its service."""

    point: str
    service: str
    fired: str
    lost: int
    duplicated: int
    mails_twice: int
    redelivered: int
    detail: str


@dataclass
class CrashFigures:
    figures: Figures
    crashes: dict[str, Crash]
    rows: list[Row]
    mails_twice: set[str]
    resent_identical: int
    """Of the Message-IDs received twice, those whose two copies had the very same content."""
    dropped_after: set[str]
    """Mails unmarked at the crash that were dropped when their lease ran out (their interview cancelled meanwhile):
    not sent again."""
    resent_updated: int
    """Those whose second copy differs because the pupil's candidacies changed between the two (a withdrawal):
    the copy sent again after the lease is built from what is true then."""
    shared_contents: list[list[str]]
    """Message-IDs that came with the very same content (recipients, subject, every part): two mails, one text."""
    events_twice: dict[str, int]
    """Per service: its events the observer was delivered more than once (republished after a crash)."""
    observed: set[str]
    affelnet_posts: dict[str, list[int]]
    """Per Idempotency-Key: the statuses Affelnet answered, in order."""
    redeliveries: dict[str, int]
    """Per service: deliveries its queues made again (the broker's count of redelivered messages)."""
    window_ms: list[float]
    """Per mail sent once: from SMTP's 250 to the statement that marked it sent."""
    crashed_window_s: list[float]
    """Per mail the crash left unmarked: from its first 250 to the mark after it was sent again."""

    def table(self) -> str:
        head = ("point", "service", "fired", "lost", "duplicated", "mails twice", "redelivered")
        lines = [head] + [
            (r.point, r.service, r.fired, str(r.lost), str(r.duplicated), str(r.mails_twice), str(r.redelivered))
            for r in self.rows
        ]
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines]
        out.insert(1, "  ".join("-" * w for w in widths))
        out += [f"{r.point}: {r.detail}" for r in self.rows]
        if self.window_ms:
            out.append(
                f"250 → mark-sent window over {len(self.window_ms)} mails sent once: median "
                f"{statistics.median(self.window_ms):.0f} ms, max {max(self.window_ms):.0f} ms"
            )
        if self.crashed_window_s:
            out.append(
                f"the mails the crash left unmarked: marked {min(self.crashed_window_s):.1f}–"
                f"{max(self.crashed_window_s):.1f} s after their first 250 (their lease ran out, then "
                "they were sent again under the same Message-ID)"
            )
        out.append(
            f"mails received twice under their Message-ID: {len(self.mails_twice)}, of which with the very "
            f"same content (recipients, subject, every part) {self.resent_identical}, updated in between (the "
            f"pupil's candidacies changed before the copy went again) {self.resent_updated}; contents received under "
            f"several Message-IDs: {len(self.shared_contents)}"
        )
        out += [f"same content under several Message-IDs: {' '.join(ids)}" for ids in self.shared_contents]
        return "\n".join(out)


def owner(subject: str) -> str:
    """The service a finding of the checks is about, from its subject."""
    first = subject.split(" ")
    if subject.startswith("answer to "):
        return routing.handlers_of(first[2])[0]
    if subject.startswith(("queue ", "outbox of ")):
        name = first[-1]
        return next((s for s in routing.SERVICES if name == s or name.startswith(f"{s}.")), name)
    prefixes = {
        "candidacy": "enrollment",
        "parked": "enrollment",
        "interview of": "scheduling",
        "slot": "scheduling",
        "final opinion": "opinions",
        "report_overdue": "opinions",
        "mail": "notifications",
        "convocation": "notifications",
        "cancellation": "notifications",
        "recap": "notifications",
        "bonus": "affelnet_export",
    }
    return next((svc for prefix, svc in prefixes.items() if subject.startswith(prefix)), "?")


class CrashRun:
    def __init__(self, plan: Plan, armed: dict[str, str]) -> None:
        self.plan = plan
        self.seed = plan.seed if plan.seed is not None else random.randrange(10**6)
        r = Run(plan, self.seed)
        r.mailbox = self.sink = Sink(plan.smtp_port)
        r.observer = self.observer = CountingObserver(r.infra.amqp_url("portal"))
        r.services = self.services = CrashServices(
            r.services.env, plan.health_port, r.infra.log, r.started, armed, self._on_crash
        )
        r.faults = OnlyCrashes(
            plan, r.rng, r.infra, self.services, r.mailbox, r.affelnet, r.note, r.smtp_wire, r.affelnet_wire
        )
        self.r = r

    async def _on_crash(self, crash: Crash) -> None:
        """What the dead process left: committed events not yet deleted, mails and bonuses accepted, not marked."""
        r, now = self.r, time.time()
        r.note(f"{crash.service} exited {crash.code}: {crash.line or 'no crash line on stderr'}")
        try:
            rows = await r.infra.fetch(
                f'SELECT message_id FROM "{crash.service}".outbox WHERE exchange = $1', routing.EVENTS_EXCHANGE
            )
            crash.outbox = {row["message_id"] for row in rows}
            if crash.service == "notifications":
                sending = {
                    message_id(row["key"])
                    for row in await r.infra.fetch("SELECT key FROM notifications.mails WHERE state = 'sending'")
                }
                crash.unmarked_mails = sending & self.sink.received_by(now)
                r.unsure_mails |= sending
            if crash.service == "affelnet_export":
                sending = {
                    row["idempotency_key"]
                    for row in await r.infra.fetch(
                        "SELECT idempotency_key FROM affelnet_export.bonuses WHERE state = 'sending'"
                    )
                }
                crash.unmarked_bonuses = sending & {key for key, _, status in r.affelnet.posts if status == 201}
        except Exception as error:  # noted in the table: the counts of this crash are then missing
            crash.line += f" (what it left could not be read: {type(error).__name__})"

    async def play(self) -> CrashFigures:
        r, plan = self.r, self.plan
        lock = _lock(plan.var)
        try:
            r.note("armed: " + ", ".join(f"{c.service} {c.switch}" for c in self.services.crashes.values()))
            await r.infra.down()
            _free(plan)
            await r.infra.fresh()
            await r.outside_up()
            await self.services.start_all()
            not_ready = await self.services.wait_ready(120 * plan.patience)
            if not_ready:
                raise RuntimeError(f"services not ready at start: {not_ready}; see {r.infra.log}")
            await r.observer.start()
            await r.play()
            outcome, figures = await r.checked(by_content=False)
            return await self._figures(figures, outcome)
        finally:
            r.faults.cancel()
            for closing in (r.observer.stop, r.portal.close):
                with contextlib.suppress(Exception):
                    await closing()
            await self.services.stop_all()
            await r.outside_down()
            await r.infra.down()
            lock.close()

    async def _redeliveries(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for spec in routing.QUEUES:
            name = urllib.parse.quote(spec.name, safe="")
            stats = (await self.r.infra.management(f"queues/{VHOST}/{name}")).get("message_stats") or {}
            counts[spec.service] += int(stats.get("redeliver", 0))
        return dict(counts)

    async def _figures(self, figures: Figures, outcome: Outcome) -> CrashFigures:
        r, observer, sink = self.r, self.observer, self.sink
        redeliveries = await self._redeliveries()
        twice: Counter[str] = Counter()
        for event_id, n in observer.deliveries.items():
            if n > 1:
                twice[observer.key_of[event_id].partition(".")[0]] += 1
        mails_twice = {mid for mid, n in sink.snapshot().items() if n > 1}
        posts: dict[str, list[int]] = defaultdict(list)
        for key, _, status in r.affelnet.posts:
            posts[key].append(status)
        window, crashed = [], []
        for row in await r.infra.fetch("SELECT key, sent_at FROM notifications.mails WHERE state = 'sent'"):
            times = [copy.wall for copy in sink.copies_of(message_id(row["key"]))]
            if len(times) == 1:
                window.append((row["sent_at"].timestamp() - times[0]) * 1000)
            elif times:
                crashed.append(row["sent_at"].timestamp() - times[0])
        rows = []
        found = {kind: Counter(owner(s) for s in items) for kind, items in figures.findings.items()}
        for service, crash in self.services.crashes.items():
            extra_posts = sum(len(statuses) - 1 for statuses in posts.values()) if service == "affelnet_export" else 0
            mails = len(mails_twice) if service == "notifications" else 0
            fired = f"yes, {crash.at} s" if crash.fired else f"NO (exit {crash.code})"
            detail = (
                f"exit {crash.code} at {crash.at} s, '{crash.line}'; left {len(crash.outbox)} events in its "
                f"outbox, {len(crash.outbox - observer.events.keys())} of them never observed; broker "
                f"redeliveries {redeliveries.get(service, 0)}, its events delivered twice {twice[service]}"
            )
            if service == "notifications":
                detail += (
                    f"; mails accepted and unmarked at the crash {len(crash.unmarked_mails)}, received twice "
                    f"{len(mails_twice)}"
                )
            if service == "affelnet_export":
                detail += (
                    f"; bonuses answered 201 and unmarked at the crash {len(crash.unmarked_bonuses)}, "
                    f"posts beyond the first per key {extra_posts}"
                )
            rows.append(
                Row(
                    crash.point,
                    service,
                    fired,
                    found.get("lost", Counter())[service],
                    found.get("duplicated", Counter())[service],
                    mails,
                    redeliveries.get(service, 0) + twice[service] + mails + extra_posts,
                    detail,
                )
            )
        contents_of = {mid: {copy.content for copy in sink.copies_of(mid)} for mid in mails_twice}
        ids_of: dict[str, set[str]] = defaultdict(set)
        for received in sink.log_snapshot():
            ids_of[received.content].add(received.message_id)
        return CrashFigures(
            figures,
            self.services.crashes,
            rows,
            mails_twice,
            sum(1 for mid in mails_twice if len(contents_of[mid]) == 1),
            {
                message_id(row["key"])
                for row in await r.infra.fetch(
                    "SELECT key FROM notifications.mails WHERE state = 'dropped' AND last_error = 'interview_cancelled'"
                )
            },
            sum(1 for mid in mails_twice if len(contents_of[mid]) > 1 and self._changed_between(mid)),
            [sorted(ids) for ids in ids_of.values() if len(ids) > 1],
            dict(twice),
            set(observer.events),
            dict(posts),
            redeliveries,
            window,
            crashed,
        )

    def _changed_between(self, mid: str) -> bool:
        """Whether an enrollment event about the convocation's pupil arrived between its two copies."""
        times = [copy.wall for copy in self.sink.copies_of(mid)]
        interview = mid.strip("<>").partition("@")[0].partition(".")[2]
        booked = [
            e for e in self.observer.by_key.get("scheduling.interview_booked", ()) if e["interview_id"] == interview
        ]
        if len(times) < 2 or not booked:
            return False
        ine = booked[0]["ine"]
        return any(
            times[0] <= self.observer.arrived_at.get(str(e["event_id"]), 0.0) <= times[1]
            for key in ("enrollment.candidacy_withdrawn", "enrollment.candidacy_registered")
            for e in self.observer.by_key.get(key, ())
            if e.get("ine") == ine
        )


async def run(plan: Plan, armed: dict[str, str] = ARMED) -> CrashFigures:
    """The whole run: fresh infrastructure, armed services, the campaign, the drain, the counts, all stopped."""
    return await CrashRun(plan, armed).play()
