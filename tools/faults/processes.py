"""The five services as processes on the fault run's infrastructure, started again whenever they die.

As a process supervisor would: a service the run kills is started again at once; one that exits on its
own is noted with its exit code (that is a finding, not a fault the run injected) and started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from contracts import routing
from tools.faults.infra import ROOT


@dataclass(frozen=True)
class Exit:
    service: str
    code: int | None
    at: float
    """Seconds since the run started."""


@dataclass(frozen=True)
class Stop:
    """A service asked to stop (SIGTERM): how long it took and how it ended."""

    service: str
    pid: int
    code: int | None
    seconds: float
    killed: bool
    """It did not stop within the grace and was killed."""


class Services:
    def __init__(self, env: dict[str, str], base_port: int, log: Path, started: float) -> None:
        self.env = env
        self.base_port = base_port
        self.log = log
        self.started = started
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.exits: list[Exit] = []
        self._busy: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self.kills: list[tuple[str, float]] = []
        """Each ``kill -9``: the service and when (``time.monotonic()``)."""
        self._outcomes: Counter[str] = Counter()
        """Deliveries by outcome, counted by the processes stopped or killed so far (their counters go with them)."""

    def port(self, service: str) -> int:
        return self.base_port + routing.SERVICES.index(service)

    def _log_file(self, service: str) -> Any:
        self.log.mkdir(parents=True, exist_ok=True)
        return (self.log / f"{service}.log").open("ab")

    async def start(self, service: str) -> None:
        env = {**self.env, "PASSPRO_HEALTH_PORT": str(self.port(service))}
        with self._log_file(service) as out:
            self.procs[service] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", f"services.{service}", env=env, cwd=ROOT, stdout=out, stderr=out
            )

    async def start_all(self) -> None:
        for service in routing.SERVICES:
            await self.start(service)
        self._task = asyncio.create_task(self._supervise(), name="supervisor")

    async def readiness(self, service: str) -> dict[str, Any] | str:
        """The service's ``/health/ready`` answer, or why there is none."""
        try:
            # Its own checks may take 7 s (broker 2, database 2, consumers 3) on a loaded machine.
            async with httpx.AsyncClient(timeout=15) as client:
                response = await client.get(f"http://127.0.0.1:{self.port(service)}/health/ready")
            return dict(response.json())
        except (httpx.HTTPError, ValueError) as error:
            return f"no answer: {type(error).__name__}"

    async def ready(self, service: str) -> bool:
        answer = await self.readiness(service)
        return isinstance(answer, dict) and bool(answer.get("ready"))

    async def wait_ready(self, timeout: float, services: tuple[str, ...] = routing.SERVICES) -> list[str]:
        """Waits until each service is ready; returns those that are not after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        waiting = list(services)
        while waiting and time.monotonic() < deadline:
            waiting = [s for s in waiting if not await self.ready(s)]
            if waiting:
                await asyncio.sleep(0.5)
        return waiting

    async def message_outcomes(self, service: str) -> Counter[str]:
        """The process's own count of the deliveries it consumed, by outcome (``passpro_messages_total`` on its
        health port's /metrics); empty when it does not answer."""
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                text = (await client.get(f"http://127.0.0.1:{self.port(service)}/metrics")).text
        except httpx.HTTPError:
            return Counter()
        return messages_by_outcome(text)

    async def outcomes_counted(self) -> Counter[str]:
        """Deliveries by outcome over the run: what the stopped processes counted, and the running ones now."""
        total = Counter(self._outcomes)
        for service in routing.SERVICES:
            total += await self.message_outcomes(service)
        return total

    async def kill(self, service: str, down_for: float, dead: Callable[[str], Awaitable[None]] | None = None) -> int:
        """``kill -9`` the service, then start it again after ``down_for`` seconds; returns the killed PID.
        ``dead`` is awaited once it is dead, before it starts again: to read what it left."""
        self._busy.add(service)
        try:
            proc = self.procs[service]
            # Its counters die with it: read them just before (what it counts in the last instant is missed).
            self._outcomes += await self.message_outcomes(service)
            self.kills.append((service, time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            await proc.wait()
            if dead is not None:
                await dead(service)
            await asyncio.sleep(down_for)
            await self.start(service)
            return proc.pid
        finally:
            self._busy.discard(service)

    async def term(self, service: str, grace: float) -> Stop:
        """SIGTERM to the service, as an orchestrator stopping it: it drains and exits; ``kill -9`` only if it
        is still running after ``grace`` seconds. Started again at once."""
        self._busy.add(service)
        try:
            proc = self.procs[service]
            self._outcomes += await self.message_outcomes(service)
            asked = time.monotonic()
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            killed = False
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                killed = True
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
            seconds = round(time.monotonic() - asked, 1)
            await self.start(service)
            return Stop(service, proc.pid, proc.returncode, seconds, killed)
        finally:
            self._busy.discard(service)

    async def restart(self, service: str) -> None:
        """Stops a service that is stuck (it does not come back by itself) and starts it again."""
        self._busy.add(service)
        try:
            self._outcomes += await self.message_outcomes(service)
            await self._terminate(self.procs[service])
            await self.start(service)
        finally:
            self._busy.discard(service)

    async def _supervise(self) -> None:
        while True:
            await asyncio.sleep(1)
            for service, proc in list(self.procs.items()):
                if proc.returncode is not None and service not in self._busy:
                    self.exits.append(Exit(service, proc.returncode, round(time.monotonic() - self.started, 1)))
                    await self.start(service)

    @staticmethod
    async def _terminate(proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 45)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    async def stop_all(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.gather(*(self._terminate(p) for p in self.procs.values()))


def messages_by_outcome(metrics: str) -> Counter[str]:
    """``passpro_messages_total`` of a Prometheus text page, summed by its ``outcome`` label."""
    counts: Counter[str] = Counter()
    for line in metrics.splitlines():
        if not line.startswith("passpro_messages_total{"):
            continue
        labels, _, value = line.rpartition("} ")
        outcome = labels.partition('outcome="')[2].partition('"')[0]
        counts[outcome] += int(float(value))
    return counts
