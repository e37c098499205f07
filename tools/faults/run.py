"""Plays the scripted campaign through the portal account while injecting faults, then checks the invariants.

The run owns an isolated broker and database (it restarts them), the five services (it kills them), an
SMTP server and an Affelnet stand-in (it takes them down). Each phase waits for its answers with a
deadline, then for the system to settle (work queues and outboxes empty, no fault in progress) before
the virtual clock moves on; at the end, everything drains before the checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import random
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from contracts import routing
from contracts.campaign import load_campaign
from tools.faults import script as s
from tools.faults.checks import Evidence, Outcome, check
from tools.faults.figures import Figures, count_logs
from tools.faults.infra import Infra
from tools.faults.injector import Injector
from tools.faults.outside import Affelnet, Mailbox, Observer, Portal, until
from tools.faults.plan import Plan
from tools.faults.processes import Services
from tools.faults.wire import Wire

AFFELNET_TOKEN = "faults-affelnet-token"
WORK_QUEUES = [name for spec in routing.QUEUES for name in (spec.name, *spec.retries)]
"""Work not done yet: the work queues, and the retry queues where an outage's deliveries wait."""
CONSUMED = sorted({key for spec in routing.QUEUES if spec.exchange == routing.EVENTS_EXCHANGE for key in spec.bindings})
"""Event routing keys some service consumes: while one waits in an outbox, the next phase must wait."""


class Run:
    def __init__(self, plan: Plan, seed: int) -> None:
        self.plan = plan
        self.seed = seed
        self.rng = random.Random(seed + 1)
        self.script = s.draw(load_campaign(), plan.pupils, seed)
        self.infra = Infra(plan.var, plan.amqp_port, plan.management_port, plan.pg_port, plan.node)
        self.started = time.monotonic()
        env = {
            **self.infra.env(),
            "PASSPRO_AMQP_URL": self.infra.amqp_url(),
            "PASSPRO_CLOCK": s.START,
            "PASSPRO_DATABASE_URL": self.infra.services_database_url,
            "PASSPRO_SMTP_HOST": "127.0.0.1",
            "PASSPRO_SMTP_PORT": str(plan.smtp_wire_port),
            "PASSPRO_AFFELNET_URL": f"http://127.0.0.1:{plan.affelnet_wire_port}",
            "PASSPRO_AFFELNET_TOKEN": AFFELNET_TOKEN,
        }
        self.services = Services(env, plan.health_port, self.infra.log, self.started)
        self.portal = Portal(self.infra.amqp_url("portal"))
        self.observer = Observer(self.infra.amqp_url("portal"))
        self.mailbox = Mailbox(plan.smtp_port)
        self.affelnet = Affelnet(AFFELNET_TOKEN, plan.affelnet_port)
        # The services reach SMTP and Affelnet through the run's network, which the injector can spoil.
        self.smtp_wire = Wire(plan.smtp_wire_port, plan.smtp_port)
        self.affelnet_wire = Wire(plan.affelnet_wire_port, plan.affelnet_port)
        self.faults = Injector(
            plan,
            self.rng,
            self.infra,
            self.services,
            self.mailbox,
            self.affelnet,
            self.note,
            self.smtp_wire,
            self.affelnet_wire,
        )
        self.timeline: list[str] = []
        self.unsure_mails: set[str] = set()
        """Message-IDs of the mails still ``sending`` when notifications died (read once it was dead)."""
        self.sent: dict[str, s.Command] = {}
        self.resent = 0
        self.reports: list[s.Report] = []
        self.unreported: list[str] = []

    async def outside_up(self) -> None:
        """The SMTP server, the Affelnet stand-in, and the network relays in front of them."""
        await self.mailbox.up()
        await self.affelnet.up()
        await self.smtp_wire.up()
        await self.affelnet_wire.up()

    async def outside_down(self) -> None:
        await self.smtp_wire.down()
        await self.affelnet_wire.down()
        await self.mailbox.down()
        await self.affelnet.down()

    def note(self, text: str) -> None:
        line = f"[faults {time.monotonic() - self.started:7.1f}s] {text}"
        print(line, flush=True)
        self.timeline.append(line)

    async def _send(
        self, what: str, commands: list[s.Command], *, resend: bool = True, at: tuple[float, str] | None = None
    ) -> None:
        """Publishes ``commands`` (some twice), fires the faults of ``at`` = (share, moment), awaits the answers."""
        for cmd in commands:
            self.sent[cmd.command_id] = cmd
        batch = list(commands)
        if resend and commands:
            again = self.rng.sample(commands, int(len(commands) * self.plan.resend))
            self.resent += len(again)
            batch += again
            self.rng.shuffle(batch)

        def progress(done: int) -> None:
            if at is not None and done >= at[0] * len(batch):
                self.faults.fire(at[1])

        await self.portal.send_all(batch, progress=progress)
        await self._answered(what, commands)

    async def _answered(self, what: str, commands: list[s.Command]) -> None:
        pending = {cmd.command_id: cmd for cmd in commands}

        def settled() -> bool:
            for command_id in [c for c, cmd in pending.items() if self.observer.answered(cmd)]:
                del pending[command_id]
            return not pending

        ok = await until(settled, self.plan.deadline(len(commands)))
        self.note(
            f"{what}: {len(commands) - len(pending)}/{len(commands)} answered"
            + ("" if ok else f"; {len(pending)} unanswered at the deadline, e.g. {sorted(pending)[:3]}")
        )

    async def _clock(self, to: str) -> None:
        await self._send(f"clock to {to}", [s.advance_clock(to)], resend=False)

    def _booked_pairs(self) -> set[tuple[str, str]]:
        return {(e["ine"], e["domain_code"]) for e in self.observer.by_key.get("scheduling.interview_booked", ())}

    def _live_interviews(self) -> list[dict[str, Any]]:
        cancelled = {e["interview_id"] for e in self.observer.by_key.get("scheduling.interview_cancelled", ())}
        return [
            e for e in self.observer.by_key.get("scheduling.interview_booked", ()) if e["interview_id"] not in cancelled
        ]

    async def _pending_work(self, with_senders: bool) -> int | None:
        """Messages in the work queues and in the outboxes on their way to a service (with the senders: every
        outbox row, mail and bonus still due); None when the broker or the database cannot tell."""
        try:
            queues = await self.infra.queues()
            # Between phases, the events only portals read (``convocation_sent``…) do not hold the campaign up.
            only = "" if with_senders else " WHERE routing_key = ANY($1::text[])"
            outboxes = " + ".join(f'(SELECT count(*) FROM "{svc}".outbox{only})' for svc in routing.SERVICES)
            senders = (
                " + (SELECT count(*) FROM notifications.mails WHERE state IN ('pending', 'sending'))"
                " + (SELECT count(*) FROM affelnet_export.bonuses WHERE state IN ('pending', 'sending'))"
            )
            rows = await (
                self.infra.fetch(f"SELECT {outboxes}{senders} AS n")
                if with_senders
                else self.infra.fetch(f"SELECT {outboxes} AS n", CONSUMED)
            )
        except Exception:  # broker or database restarting: not settled yet
            return None
        return int(rows[0]["n"]) + sum(int(queues.get(q, {}).get("messages", 1)) for q in WORK_QUEUES)

    async def _settle(self, what: str, *, with_senders: bool = False, quiet_polls: int = 4) -> None:
        """Until nothing is left to do for ``quiet_polls`` polls in a row, 1.5 s apart (the broker's counts lag
        by up to 5 s), with no fault in progress."""
        quiet = 0
        deadline = time.monotonic() + self.plan.deadline(len(self.script.registrations))
        while time.monotonic() < deadline:
            work = await self._pending_work(with_senders)
            quiet = quiet + 1 if work == 0 and not self.faults.busy else 0
            if quiet >= quiet_polls:
                self.note(f"{what}: settled")
                return
            await asyncio.sleep(1.5)
        self.note(f"{what}: still busy at the deadline ({await self._pending_work(with_senders)} items)")

    async def play(self) -> None:
        sc = self.script
        self.note(f"campaign: {sc.pupils} pupils, {len(sc.registrations)} candidacies, seed {self.seed}")
        self.faults.start_kills()
        await self._send("registrations", sc.registrations + sc.refused, at=(0.4, "registrations"))
        await self._send("opinion updates (R9)", sc.updates)

        everyone = {(c.ine, c.domain) for c in sc.candidacies.values()}

        async def bookings_moment() -> None:
            if await until(lambda: len(self._booked_pairs()) >= 0.3 * len(everyone), self.plan.deadline(len(everyone))):
                self.faults.fire("bookings")

        watcher = asyncio.create_task(bookings_moment(), name="bookings-moment")
        await self._send("slot declarations", sc.slots)
        booked = await until(lambda: len(self._booked_pairs()) >= len(everyone), self.plan.deadline(len(everyone)))
        self.note(
            f"bookings: {len(self._booked_pairs())}/{len(everyone)} pupils and domains booked"
            + ("" if booked else " at the deadline")
        )
        watcher.cancel()
        self.faults.fire("bookings")
        await self._send("withdrawals and early wish confirmations", sc.withdrawals + sc.early_wishes)
        await self._settle("after the planning")

        await self._clock(s.REMINDERS_AT)
        await self._reminders_asked()
        await self._clock(s.REPORTS_AT)
        await self._settle("before the reports")

        self.faults.fire("report phase")
        self.reports, self.unreported = s.reports(sc, self._live_interviews())
        await self._send("interview reports", [r.command for r in self.reports], at=(0.5, "reports"))
        self.faults.fire("reports")
        self.faults.fire("late wishes")
        await self._send("late wish confirmations", sc.late_wishes)
        await self._clock(s.OVERDUE_AT)
        told = await until(
            lambda: self.observer.count("opinions.report_overdue") >= len(self.unreported),
            self.plan.deadline(len(self.unreported)),
        )
        self.note(
            f"overdue reports told: {self.observer.count('opinions.report_overdue')}/{len(self.unreported)}"
            + ("" if told else " at the deadline")
        )
        await self.faults.finish()
        await self._settle("drain", with_senders=True)

    async def _reminders_asked(self) -> None:
        """R20b: the reminder routine (every 5 s) asks for the reminders of the next two days before time moves on."""
        now = datetime.fromisoformat(s.REMINDERS_AT)
        sql = (
            "SELECT count(*) AS n FROM notifications.interviews "
            "WHERE reminder_due AND NOT cancelled AND starts_at > $1 AND starts_at <= $2"
        )

        async def remaining() -> int:
            try:
                return int((await self.infra.fetch(sql, now, now + timedelta(days=2)))[0]["n"])
            except Exception:  # database restarting
                return -1

        deadline = time.monotonic() + self.plan.deadline(0)
        while await remaining() != 0 and time.monotonic() < deadline:
            await asyncio.sleep(1)

    async def checked(self, *, by_content: bool = True) -> tuple[Outcome, Figures]:
        """Once the campaign is played: what the outside saw, checked, and the run's figures (every runner's).

        ``by_content``: mails compared by content too; the crash points count their resent mails themselves."""
        evidence = Evidence(
            self.script,
            list(self.sent.values()),
            self.reports,
            self.unreported,
            [c for c in self.script.refused if isinstance(c.body, bytes)],
            self.observer,
            self.mailbox.snapshot(),
            self.affelnet,
            self.infra,
            [at for service, at in self.services.kills if service == "notifications"],
            self.unsure_mails | self.faults.unsure_mails,
            self.mailbox.log_snapshot(),
            by_content,
        )
        outcome = await check(evidence)
        logs = await asyncio.to_thread(count_logs, self.infra.log)
        return outcome, self.figures(outcome, logs, await self.services.outcomes_counted())

    def figures(self, outcome: Outcome, logs: Counter[str], handled: Counter[str]) -> Figures:
        """``handled``: the services' own count of deliveries by outcome (their metrics, read before each kill
        and at the end)."""
        f = outcome.findings
        redelivered = {
            "deliveries found already handled (inbox)": handled["duplicate"],
            "handlings failed and redelivered": logs["message_failed"],
            "events delivered again to the observer": self.observer.repeated,
            "deliveries sent to wait in a retry queue (transient failures)": logs["message_retry_later"],
            "Affelnet posts retried (409, 503)": sum(outcome.affelnet_retries.values()),
        }
        trouble = {f"stuck service {n}": t for n, t in enumerate(self.faults.stuck)}
        trouble.update(
            {f"{e.service} exited on its own at {e.at} s": f"exit code {e.code}" for e in self.services.exits}
        )
        wrong = {**f.wrong, **trouble}
        return Figures(
            seed=self.seed,
            pupils=self.script.pupils,
            candidacies=len(self.script.candidacies),
            commands=len(self.sent),
            published=self.portal.published,
            resent_on_purpose=self.resent,
            republished_unconfirmed=self.portal.unconfirmed,
            events=len(self.observer.events),
            faults=dict(sorted(self.faults.injected.items())),
            scripted=dict(self.faults.scripted),
            lost=len(f.lost),
            duplicated=len(f.duplicated),
            wrong=len(wrong),
            redelivered=redelivered,
            parked=outcome.parked,
            effects={
                **dict(sorted(outcome.effects.items())),
                "observer reconnections": self.observer.reconnections,
                **{f"deliveries {k}": v for k, v in sorted(handled.items())},
                **{f"log {k}": v for k, v in sorted(logs.items())},
            },
            seconds=round(time.monotonic() - self.started, 1),
            mails_resent=outcome.mails_resent,
            findings={"lost": f.lost, "duplicated": f.duplicated, "wrong": wrong},
            timeline=self.timeline,
            fired=self.fired(outcome, logs),
        )

    def fired(self, outcome: Outcome, logs: Counter[str]) -> dict[str, str]:
        """Per fault kind injected, what shows it fired: counted by the services or by the outside, never the
        plan's own figures."""
        retries = (
            ", ".join(
                f"{k.removeprefix('message_retry_later ')} {n}"
                for k, n in sorted(logs.items())
                if k.startswith("message_retry_later ")
            )
            or "none"
        )
        database = (
            f"deliveries sent to wait {logs['message_retry_later']} ({retries}), handlings failed "
            f"{logs['message_failed']}, relay failures {logs['outbox_relay_failed']}, "
            f"periodic failures {logs['periodic_failed']}"
        )
        seen: dict[str, tuple[int, str]] = {
            "RabbitMQ restart": (
                self.observer.reconnections + self.portal.unconfirmed,
                f"observer reconnections {self.observer.reconnections}, portal publishes retried "
                f"{self.portal.unconfirmed}",
            ),
            "PostgreSQL restart": (
                logs["message_retry_later"]
                + logs["message_failed"]
                + logs["periodic_failed"]
                + logs["outbox_relay_failed"],
                database,
            ),
            "PostgreSQL outage": (logs["message_retry_later"], database),
            "SMTP outage": (logs["mail_not_sent"], f"mails refused and kept for later {logs['mail_not_sent']}"),
            "Affelnet outage": (
                logs["bonus_attempt without an answer"],
                f"bonus posts without an answer {logs['bonus_attempt without an answer']}",
            ),
            "SMTP slow": (
                self.smtp_wire.delayed,
                f"chunks held back on the link {self.smtp_wire.delayed}, mails received meanwhile "
                f"{self._received_while_slow()}",
            ),
            "Affelnet answers lost": (
                self.affelnet_wire.swallowed,
                f"answers Affelnet gave that never reached the sender {self.affelnet_wire.swallowed}, posts "
                f"answered 409 (already applied) {outcome.affelnet_retries.get('409', 0)}",
            ),
        }
        for service in routing.SERVICES:
            stopped = logs[f"service_stopped {service}"]
            # Started again after a kill: the starts its log shows, less the first and those after a clean stop.
            again = max(0, logs[f"service_started {service}"] - 1 - stopped)
            seen[f"kill -9 {service}"] = (again, f"{service} started again {again} times without stopping (its log)")
            stops = [s for s in self.faults.stops if s.service == service]
            seen[f"SIGTERM {service}"] = (
                stopped,
                f"{service} drained and stopped {stopped} times (its log: service_stopped); exit "
                f"{', '.join(str(s.code) for s in stops) or '-'} after "
                f"{', '.join(f'{s.seconds} s' for s in stops) or '-'}",
            )
        result = {}
        for kind in self.faults.injected:
            n, evidence = seen.get(kind, (0, "no evidence gathered for this kind"))
            result[kind] = evidence if n > 0 else f"NOT SEEN ({evidence})"
        return result

    def _received_while_slow(self) -> int:
        windows = self.faults.slow_smtp
        return sum(
            1
            for received in self.mailbox.log_snapshot()
            if any(began <= received.at <= ended for began, ended in windows)
        )


def _free(plan: Plan) -> None:
    """Every port of the run is free: another engineer's stack on one of them would be killed or mixed in."""
    ports = [
        plan.amqp_port,
        plan.management_port,
        plan.amqp_port + 20000,
        plan.pg_port,
        plan.smtp_port,
        plan.affelnet_port,
        plan.smtp_wire_port,
        plan.affelnet_wire_port,
        *(plan.health_port + i for i in range(len(routing.SERVICES))),
    ]
    taken = []
    for port in ports:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                taken.append(port)
    if taken:
        raise SystemExit(f"ports {taken} are in use: choose others (see --help)")


def _lock(var: Path) -> Any:
    """One run at a time on this state directory: a second one would stop the first one's broker."""
    var.mkdir(parents=True, exist_ok=True)
    handle = (var / "lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise SystemExit(f"another fault run holds {var / 'lock'}") from None
    return handle


async def run(plan: Plan, say: Callable[[str], None] = print) -> Figures:
    """The whole run: fresh infrastructure, services, campaign with faults, drain, checks, everything stopped."""
    seed = plan.seed if plan.seed is not None else random.randrange(10**6)
    lock = _lock(plan.var)
    r = Run(plan, seed)
    try:
        r.note(f"fresh RabbitMQ ({plan.node}, {plan.amqp_port}) and PostgreSQL ({plan.pg_port}) under {plan.var}")
        await r.infra.down()
        _free(plan)
        await r.infra.fresh()
        await r.outside_up()
        await r.services.start_all()
        not_ready = await r.services.wait_ready(120 * plan.patience)
        if not_ready:
            raise RuntimeError(f"services not ready at start: {not_ready}; see {r.infra.log}")
        await r.observer.start()
        await r.play()
        _, figures = await r.checked()
    finally:
        r.faults.cancel()
        for closing in (r.observer.stop, r.portal.close):
            with contextlib.suppress(Exception):  # the broker may be the thing that failed
                await closing()
        await r.services.stop_all()
        await r.outside_down()
        await r.infra.down()
        lock.close()
    report = plan.var / "report" / "faults.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        json.dumps(
            {**asdict(figures), "plan": {k: str(v) for k, v in asdict(plan).items()}}, indent=1, ensure_ascii=False
        )
    )
    say(f"report written to {report}")
    return figures
