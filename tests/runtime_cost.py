"""The runtime's cost per message, measured on the test stack: registrations/s and CPU ms per part.

Two runs on a fresh campaign of the test vhost and database (the services as real processes, from the
tree this file sits in):
- ``enrollment``: N ``register_candidacy`` as a portal → enrollment → ``candidacy_registered`` back;
- ``path``: slots for everyone, then N registrations → booked → convocation mailed (``convocation_sent``).
CPU seconds are read from /proc for the services this script started, RabbitMQ and PostgreSQL (their whole
process trees, under ``PASSPRO_VAR``), and shown per registration. Run under the suite's lock:

    flock /tmp/passpro-e2e.lock sh -c 'PASSPRO_VAR=/work/main/var .venv/bin/python -m tests.runtime_cost 2000'
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import aio_pika

from bench import cpu
from bench.pipeline import _declarations, _pupil_commands, _send_all, _until
from contracts import routing
from contracts.campaign import load_campaign
from deploy.local.processes import read_pid
from deploy.local.settings import settings
from harness.mail_sink import MailSink
from harness.mail_sink import start as start_sink
from harness.portal import PortalClient
from tests.conftest import PORTAL_URL
from tests.stack import ServiceStack, reset_state

CLOCK = "2013-02-12T09:00:00+01:00"
SMTP_PORT = 18026


class _Watcher(PortalClient):
    """The portal, counting what came back without keeping the bodies."""

    def __init__(self) -> None:
        super().__init__(
            PORTAL_URL,
            bindings=(
                "enrollment.candidacy_registered",
                "notifications.convocation_sent",
                "*.command_rejected",
                "scheduling.slots_declared",
            ),
        )
        self.rejected: list[dict[str, Any]] = []

    async def _on_event(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        key = message.routing_key or ""
        self.counts[key] += 1
        if key.endswith("command_rejected"):
            self.rejected.append(json.loads(message.body))


def _cpu(stack: ServiceStack) -> dict[str, float]:
    used = {service: cpu._seconds(proc.pid, children=False) for service, proc in stack.procs.items()}
    used["rabbitmq"] = cpu._tree(read_pid(settings().rabbit / "rabbit.pid"))
    used["postgresql"] = cpu._tree(read_pid(settings().pg / "data" / "postmaster.pid"))
    return used


async def _run(mode: str, n: int, concurrency: int) -> dict[str, Any]:
    await reset_state()
    stack = ServiceStack(clock=CLOCK, extra_env={"PASSPRO_SMTP_HOST": "127.0.0.1", "PASSPRO_SMTP_PORT": str(SMTP_PORT)})
    try:
        for service in ["enrollment"] if mode == "enrollment" else routing.SERVICES:
            stack.start(service)
        await stack.wait_ready()
        async with _Watcher() as portal:
            run = uuid.uuid4().int
            bodies = _pupil_commands(n, f"{run % 10**4:04d}")
            done_key = "enrollment.candidacy_registered"
            if mode == "path":
                calendar = load_campaign().calendar
                first_day = datetime.combine(
                    calendar.interviews_start_on + timedelta(days=calendar.convocation_notice_days + 2),
                    datetime.min.time(),
                    load_campaign().tz,
                ).replace(hour=9)
                declarations = _declarations(bodies, first_day, run)
                await _send_all(portal, "declare_interview_slots", declarations, 8)
                await _until(lambda: portal.counts["scheduling.slots_declared"] >= len(declarations), 120, "slots")
                done_key = "notifications.convocation_sent"
            before = _cpu(stack)
            started = time.perf_counter()
            await _send_all(portal, "register_candidacy", bodies, concurrency)
            await _until(lambda: bool(portal.rejected) or portal.counts[done_key] >= n, 1800, mode)
            elapsed = time.perf_counter() - started
            used = cpu.spent(before, _cpu(stack))
            if portal.rejected:
                raise RuntimeError(f"refused: {portal.rejected[0]['reason']}")
    finally:
        stack.stop_all()
    return {
        "mode": mode,
        "n": n,
        "per_s": round(n / elapsed, 1),
        "cpu_ms": {part: round(s * 1000 / n, 2) for part, s in used.items()},
        "cpu_ms_total": round(sum(used.values()) * 1000 / n, 2),
    }


async def main(n: int, modes: list[str], concurrency: int) -> None:
    sink = start_sink(MailSink(), SMTP_PORT)
    try:
        for mode in modes:
            print(json.dumps(await _run(mode, n, concurrency)), flush=True)
    finally:
        sink.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=2000)
    parser.add_argument("--modes", default="enrollment,path")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.modes.split(","), args.concurrency))
