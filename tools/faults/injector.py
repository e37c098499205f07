"""The faults of a run: kill -9 of services, services stopped by SIGTERM under load, RabbitMQ and PostgreSQL
restarts, a PostgreSQL outage, SMTP and Affelnet outages, a slow link to SMTP, and Affelnet's answers lost on
the network after it applied the bonus (the sender's time-out).

Affelnet's 503 answers after its outage are scripted at the stand-in: they exercise how the sender reads an
answer and are reported apart (``scripted``), never as faults.

Faults are serialised, one at a time, so that none masks another (a database restart during an SMTP
outage would keep the sender from trying) and a killed service is never started again while the broker
or the database is down. After each, every service must be ready again within two minutes; one that is
not is stuck: noted with its health answer, then restarted so that the run can go on.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from contracts import routing
from harness.affelnet_receiver import Scripted
from tools.faults.checks import message_id
from tools.faults.infra import Infra
from tools.faults.outside import Affelnet, Mailbox, until
from tools.faults.plan import Plan
from tools.faults.processes import Services, Stop
from tools.faults.wire import Wire

Fault = Callable[[], Coroutine[Any, Any, None]]


class Injector:
    def __init__(
        self,
        plan: Plan,
        rng: random.Random,
        infra: Infra,
        services: Services,
        mailbox: Mailbox,
        affelnet: Affelnet,
        note: Callable[[str], None],
        smtp_wire: Wire,
        affelnet_wire: Wire,
    ) -> None:
        self.plan = plan
        self.rng = rng
        self.infra = infra
        self.services = services
        self.mailbox = mailbox
        self.affelnet = affelnet
        self.note = note
        self.smtp_wire = smtp_wire
        self.affelnet_wire = affelnet_wire
        self.injected: Counter[str] = Counter()
        self.scripted: Counter[str] = Counter()
        """Answers scripted at a stand-in: exercised, not faults."""
        self.stuck: list[str] = []
        self.stops: list[Stop] = []
        self.unsure_mails: set[str] = set()
        """Message-IDs of the mails a killed notifications held (``sending``) when it died."""
        self.slow_smtp: list[tuple[float, float]] = []
        """When the link to SMTP was slow (``time.monotonic()``)."""
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._moments: dict[str, list[Fault]] = {}
        for moment in plan.broker_moments[: plan.broker_restarts]:
            self._moments.setdefault(moment, []).append(self._broker_restart)
        for moment in plan.database_moments[: plan.database_restarts]:
            self._moments.setdefault(moment, []).append(self._database_restart)
        if plan.db_outage_seconds > 0:
            self._moments.setdefault(plan.db_outage_moment, []).append(self._database_outage)
        # While convocations are being sent, so that the outage refuses some.
        self._moments.setdefault("bookings", []).append(self._smtp_outage)
        # Once the outage is over, while convocations are still being sent.
        self._moments.setdefault("bookings", []).append(self._smtp_slow)
        # The first bonuses, made due by the first reports' final opinions, have their answers lost; then, half the
        # reports in, Affelnet goes down while bonuses flow.
        self._moments.setdefault("report phase", []).append(self._affelnet_answers_lost)
        self._moments.setdefault("reports", []).append(self._affelnet_outage)

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def start_kills(self) -> None:
        self._tasks.append(asyncio.create_task(self._kills(), name="kills"))
        self._tasks.append(asyncio.create_task(self._terms(), name="terms"))

    def fire(self, moment: str) -> None:
        """Starts the faults planned for ``moment`` (once: a moment fires only the first time)."""
        for fault in self._moments.pop(moment, []):
            self._tasks.append(asyncio.create_task(fault(), name=f"{fault.__name__}@{moment}"))

    async def finish(self) -> None:
        """Fires what is left, waits for every fault to be over, and for every service to be ready."""
        for moment in list(self._moments):
            self.fire(moment)
        await asyncio.gather(*self._tasks)
        self._tasks.clear()
        await self._back_ready("at the end of the faults")

    def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def _back_ready(self, when: str, services: tuple[str, ...] = routing.SERVICES) -> None:
        for service in await self.services.wait_ready(120 * self.plan.patience, services):
            evidence = json.dumps(await self.services.readiness(service))
            self.stuck.append(f"{service} not ready 120 s {when}: {evidence}")
            self.note(f"STUCK: {service} not ready 120 s {when}: {evidence}; restarting it")
            await self.services.restart(service)
            await self.services.wait_ready(120 * self.plan.patience, (service,))

    async def _broker_restart(self) -> None:
        await self._restart("RabbitMQ", self.infra.broker, self.plan.broker_down)

    async def _database_restart(self) -> None:
        await self._restart("PostgreSQL", self.infra.database, self.plan.database_down)

    async def _database_outage(self) -> None:
        """PostgreSQL stopped for minutes: what a service handles meanwhile waits in the retry queues."""
        async with self._lock:
            self.note(f"fault: PostgreSQL stopped for {self.plan.db_outage_seconds:.0f} s")
            await self.infra.database("down")
            await asyncio.sleep(self.plan.db_outage_seconds)
            await self.infra.database("up")
            self.injected["PostgreSQL outage"] += 1
            self.note("fault: PostgreSQL back after its outage")
            await self._back_ready("after the PostgreSQL outage")

    async def _restart(self, name: str, part: Callable[[str], Awaitable[None]], down_seconds: float) -> None:
        """Stops ``part`` for ``down_seconds``, starts it again, then waits for every service to be ready."""
        async with self._lock:
            self.note(f"fault: {name} stopping")
            await part("down")
            await asyncio.sleep(down_seconds)
            await part("up")
            self.injected[f"{name} restart"] += 1
            self.note(f"fault: {name} back")
            await self._back_ready(f"after the {name} restart")

    async def _kills(self) -> None:
        for _ in range(self.plan.kills):
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.plan.kill_every)
            async with self._lock:
                service = self.rng.choice(routing.SERVICES)
                pid = await self.services.kill(service, self.rng.uniform(0.2, 2.0), self._left_by)
                self.injected[f"kill -9 {service}"] += 1
                self.note(f"fault: kill -9 {service} (pid {pid}), started again")
                await self._back_ready(f"after kill -9 of {service}", (service,))

    async def _left_by(self, service: str) -> None:
        """The mails a killed notifications held (``sending``): whether SMTP took them died with it."""
        if service != "notifications":
            return
        try:
            rows = await self.infra.fetch("SELECT key FROM notifications.mails WHERE state = 'sending'")
        except Exception as error:  # the database may be the thing that failed: say so in the timeline
            self.note(f"the mails notifications held when killed could not be read: {type(error).__name__}")
            return
        self.unsure_mails |= {message_id(row["key"]) for row in rows}

    async def _terms(self) -> None:
        """A service asked to stop while messages flow: it drains within its grace, exits 0 and is started again;
        what it had done is not done again (the run's duplicate checks)."""
        for _ in range(self.plan.terms):
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.plan.kill_every)
            async with self._lock:
                service = self.rng.choice(routing.SERVICES)
                stop = await self.services.term(service, self.plan.term_grace)
                self.stops.append(stop)
                self.injected[f"SIGTERM {service}"] += 1
                self.note(f"fault: SIGTERM {service} (pid {stop.pid}): exit {stop.code} after {stop.seconds} s")
                if stop.killed or stop.code != 0:
                    self.stuck.append(
                        f"{service} asked to stop (SIGTERM): exit {stop.code} after {stop.seconds} s"
                        + (f", killed after the {self.plan.term_grace:.0f} s grace" if stop.killed else "")
                    )
                await self._back_ready(f"after SIGTERM to {service}", (service,))

    async def _smtp_outage(self) -> None:
        if self.plan.smtp_outage <= 0:
            return
        async with self._lock:
            # The server stops; the network stays (the relay finds no server behind it and closes what comes).
            await self.mailbox.down()
            self.note(f"fault: SMTP server down for {self.plan.smtp_outage:.0f} s")
            await asyncio.sleep(self.plan.smtp_outage)
            await self.mailbox.up()
            self.injected["SMTP outage"] += 1
            self.note("fault: SMTP server back")

    async def _affelnet_outage(self) -> None:
        if self.plan.affelnet_outage <= 0 and self.plan.affelnet_503 <= 0:
            return
        async with self._lock:
            await self.affelnet.down()
            self.note(f"fault: Affelnet down for {self.plan.affelnet_outage:.0f} s")
            await asyncio.sleep(self.plan.affelnet_outage)
            await self.affelnet.up()
            self.affelnet.answer("*", *[Scripted(503)] * self.plan.affelnet_503)
            self.injected["Affelnet outage"] += 1
            self.scripted["Affelnet answers 503 after its outage"] += self.plan.affelnet_503
            self.note(f"fault: Affelnet back (its next {self.plan.affelnet_503} posts answered 503, scripted)")

    async def _smtp_slow(self) -> None:
        """The link to SMTP holds every chunk back: sending goes on, slowly; nothing is sent twice."""
        if self.plan.smtp_slow <= 0:
            return
        async with self._lock:
            self.smtp_wire.delay = self.plan.smtp_delay
            began = time.monotonic()
            self.note(f"fault: SMTP link slow ({self.plan.smtp_delay:.1f} s per chunk) for {self.plan.smtp_slow:.0f} s")
            await asyncio.sleep(self.plan.smtp_slow)
            self.smtp_wire.delay = 0.0
            self.slow_smtp.append((began, time.monotonic()))
            self.injected["SMTP slow"] += 1
            self.note(f"fault: SMTP link normal again ({self.smtp_wire.delayed} chunks held back)")

    async def _affelnet_answers_lost(self) -> None:
        """Affelnet applies the next posts, but their answers are lost on the network: each sender times out and
        posts again under the same Idempotency-Key; Affelnet's 409 then counts as delivered, once."""
        if self.plan.affelnet_swallowed <= 0:
            return
        async with self._lock:
            self.affelnet_wire.swallow_next = self.plan.affelnet_swallowed
            self.injected["Affelnet answers lost"] += 1
            self.note(f"fault: the answers to the next {self.plan.affelnet_swallowed} Affelnet posts get lost")
        # Not under the lock: the posts come as final opinions and confirmations do, while other faults go on.
        await until(lambda: self.affelnet_wire.swallow_next == 0, 300 * self.plan.patience)
        self.affelnet_wire.swallow_next = 0
        self.note(f"fault: Affelnet answers lost: {self.affelnet_wire.swallowed}")
