"""Starting the five services as real processes against the test vhost and database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from contracts import routing
from deploy.local.fresh import empty_campaign
from deploy.local.settings import settings
from tests.conftest import ADMIN_URL, AMQP_HOST, TEST_DATABASE_URL, TEST_SERVICES_DATABASE_URL, TEST_VHOST

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "log" / "tests"
HEALTH_BASE_PORT = 18081


def infrastructure_logs() -> dict[str, Path]:
    """What the broker and the database log (under PASSPRO_VAR, where ``deploy.local infra-up`` started them)."""
    return {"rabbitmq.log": settings().log / "rabbitmq.log", "postgres.log": settings().pg / "postgres.log"}


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


async def reset_state() -> None:
    """Empty service schemas (each owned by its service's role) and empty queues: the run starts a fresh campaign."""
    await empty_campaign(TEST_DATABASE_URL, ADMIN_URL)


class ServiceStack:
    def __init__(self, clock: str, extra_env: dict[str, str] | None = None) -> None:
        self.clock = clock
        self.extra_env = extra_env or {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.log_starts: dict[str, int] = {}
        """Size of each process's log file when this stack first started it: this run's lines come after."""
        self.infrastructure_log_starts = {name: log_size(path) for name, path in infrastructure_logs().items()}
        """The same for the broker's and the database's logs."""

    def port(self, service: str) -> int:
        replica = service.partition("#")[2]
        base = HEALTH_BASE_PORT + routing.SERVICES.index(service.partition("#")[0])
        return base + 100 * int(replica or 0)

    def env(self, service: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PASSPRO_AMQP_URL=f"{AMQP_HOST}/{TEST_VHOST}",
            PASSPRO_DATABASE_URL=TEST_SERVICES_DATABASE_URL,
            PASSPRO_CLOCK=self.clock,
            PASSPRO_HEALTH_PORT=str(self.port(service)),
            PYTHONPATH=str(ROOT),
        )
        env.update(self.extra_env)
        return env

    def start(self, service: str) -> None:
        """Starts ``service``, or another replica of it when named ``service#N``."""
        LOGS.mkdir(parents=True, exist_ok=True)
        log = open(LOGS / f"{service}.log", "ab")
        self.log_starts.setdefault(service, log.tell())
        self.procs[service] = subprocess.Popen(
            [sys.executable, "-m", f"services.{service.partition('#')[0]}"],
            env=self.env(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )

    def counted(self, service: str, *, queue: str, routing_key: str, outcome: str) -> float:
        """``passpro_messages_total`` of one queue, key and outcome, read from the service's own metrics page."""
        url = f"http://127.0.0.1:{self.port(service)}/metrics"
        with urllib.request.urlopen(url, timeout=2) as response:
            families = text_string_to_metric_families(response.read().decode())
        return sum(
            sample.value
            for family in families
            if family.name == "passpro_messages"
            for sample in family.samples
            if sample.name == "passpro_messages_total"
            and sample.labels.get("queue") == queue
            and sample.labels.get("routing_key") == routing_key
            and sample.labels.get("outcome") == outcome
        )

    async def wait_counted(
        self, service: str, *, queue: str, routing_key: str, outcome: str, at_least: float, timeout: float = 30
    ) -> float:
        """The positive signal a negative check waits for: the service has handled so many such deliveries."""
        deadline = time.monotonic() + timeout
        while True:
            seen = await asyncio.to_thread(self.counted, service, queue=queue, routing_key=routing_key, outcome=outcome)
            if seen >= at_least:
                return seen
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service} counted {seen} {outcome} {routing_key} on {queue}, not {at_least}")
            await asyncio.sleep(0.2)

    def ready(self, service: str) -> bool:
        try:
            url = f"http://127.0.0.1:{self.port(service)}/health/ready"
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for service in self.procs:
            while not self.ready(service):
                proc = self.procs[service]
                if proc.poll() is not None:
                    raise RuntimeError(f"{service} exited ({proc.returncode}); see {LOGS / service}.log")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{service} not ready; see {LOGS / service}.log")
                await asyncio.sleep(0.2)

    async def start_all(self) -> None:
        for service in routing.SERVICES:
            self.start(service)
        await self.wait_ready()

    def stop(self, service: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(service, None)
        if proc is None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for service in list(self.procs):
            self.stop(service)
