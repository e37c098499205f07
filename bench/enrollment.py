"""``make bench-enrollment``: registrations per second through the running stack, against the raw broker's ceiling.

1. The service path: N ``register_candidacy`` published as a portal (persistent, confirmed) →
   enrollment (inbox + candidacy + outbox in PostgreSQL) → relay (confirmed) → the portal's event
   queue. Measures registrations/s until the last ``candidacy_registered``, latency from publish to
   event (p50, p99), and the enrollment process's peak RSS.
2. The raw relay, same broker, same run, same hops: plain aio-pika publishes N persistent messages
   with confirms into a quorum queue; a relay process consumes them, publishes each (confirmed) to
   a second quorum queue and acks; a drain consumes the second queue.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import aio_pika

from bench import cpu
from contracts import routing
from deploy.local.settings import settings
from deploy.local.stack import running
from harness.portal import PortalClient

PORTAL_URL = "amqp://portal:portal@127.0.0.1:5672/passpro"
ADMIN_URL = "amqp://passpro-admin:passpro-admin@127.0.0.1:5672/passpro"
RAW_IN, RAW_OUT = "bench.raw.in", "bench.raw.out"
QUORUM = {"x-queue-type": "quorum"}


def _rss_kib(pid: int) -> tuple[int, int]:
    """(current, peak) resident set of a process, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def _body(i: int, run: str) -> dict[str, Any]:
    origin = "0930122C"
    return {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": origin,
        "channel": "portal",
        "pupil": {
            "ine": f"{int(run, 16) % 10**5:05d}{i:05d}B",
            "last_name": "Banc",
            "first_name": "Essai",
            "birth_date": date(1998, 1 + i % 12, 1 + i % 28).isoformat(),
            "class_level": "3eme",
        },
        "origin_uai": origin,
        "referent": {"name": "M. Référent", "email": "referent@example.org"},
        "formation_code": ("cap-cuisine", "cap-patissier", "cap-ebeniste", "2nde-pro-photographie")[i % 4],
        "origin_opinion": "favorable",
        "origin_comment": "Élève motivé, stage d'observation réalisé.",
    }


async def service_path(n: int, concurrency: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    bodies = [_body(i, run) for i in range(n)]
    pid_file = settings().run / "enrollment.pid"
    pid = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
    async with PortalClient(
        PORTAL_URL, bindings=("enrollment.candidacy_registered", "enrollment.command_rejected")
    ) as portal:
        sent_at: dict[str, float] = {}
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        for body in bodies:
            queue.put_nowait(body)

        async def publisher() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                assert body is not None
                sent_at[body["command_id"]] = time.perf_counter()
                await portal.send("register_candidacy", body)

        cpu_before = cpu.stack_cpu()
        started = time.perf_counter()
        await asyncio.gather(*(publisher() for _ in range(concurrency)))
        published = time.perf_counter()
        await portal.wait_for(lambda _e: len(portal.events) >= n, timeout=600)
        finished = time.perf_counter()
        cpu_used = cpu.spent(cpu_before, cpu.stack_cpu())
        rejected = [e for e in portal.events if e["_routing_key"].endswith("command_rejected")]
        latencies = sorted(portal.arrival_times[c] - sent_at[c] for c in sent_at if c in portal.arrival_times)
    hwm = _rss_kib(pid)[1] if pid else 0
    return {
        "registrations": n,
        "rejected": len(rejected),
        "publish_s": round(published - started, 2),
        "total_s": round(finished - started, 2),
        "per_s": round(n / (finished - started)),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "latency_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "enrollment_rss_peak_mib": round(hwm / 1024, 1),
        "first_rejection": rejected[0]["reason"] if rejected else None,
        "cpu_s": {part: round(seconds, 2) for part, seconds in cpu_used.items()},
    }


def _raw_relay(n: int, ready: Any) -> None:
    async def relay() -> None:
        connection = await aio_pika.connect(ADMIN_URL)
        async with connection:
            consume = await connection.channel()
            await consume.set_qos(prefetch_count=64)
            publish = await connection.channel(publisher_confirms=True)
            target = publish.default_exchange
            source = await consume.get_queue(RAW_IN, ensure=False)
            done = asyncio.Event()
            count = 0

            async def forward(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                nonlocal count
                await target.publish(
                    aio_pika.Message(
                        message.body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=message.message_id
                    ),
                    routing_key=RAW_OUT,
                )
                await message.ack()
                count += 1
                if count >= n:
                    done.set()

            await source.consume(forward)
            ready.set()
            await done.wait()

    asyncio.run(relay())


async def raw_relay(n: int, concurrency: int) -> dict[str, Any]:
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        admin = await connection.channel()
        for name in (RAW_IN, RAW_OUT):
            await admin.queue_delete(name)
            await admin.declare_queue(name, durable=True, arguments=QUORUM)
        ready = multiprocessing.Event()
        proc = multiprocessing.Process(target=_raw_relay, args=(n, ready), daemon=True)
        proc.start()
        ready.wait(30)
        drain_channel = await connection.channel()
        await drain_channel.set_qos(prefetch_count=256)
        drained = asyncio.Event()
        received = 0

        async def drain(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received >= n:
                drained.set()

        out = await drain_channel.get_queue(RAW_OUT, ensure=False)
        await out.consume(drain)
        publish = await connection.channel(publisher_confirms=True)
        body = json.dumps(_body(0, "0")).encode()
        counter = iter(range(n))

        async def publisher() -> None:
            for _ in counter:
                await publish.default_exchange.publish(
                    aio_pika.Message(
                        body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=str(uuid.uuid4())
                    ),
                    routing_key=RAW_IN,
                )

        cpu_before = cpu.stack_cpu()
        started = time.perf_counter()
        await asyncio.gather(*(publisher() for _ in range(concurrency)))
        await asyncio.wait_for(drained.wait(), 600)
        elapsed = time.perf_counter() - started
        proc.join(10)
        cpu_used = cpu.spent(cpu_before, cpu.stack_cpu())
        for name in (RAW_IN, RAW_OUT):
            await admin.queue_delete(name)
    return {
        "messages": n,
        "total_s": round(elapsed, 2),
        "per_s": round(n / elapsed),
        "cpu_s": {part: round(seconds, 2) for part, seconds in cpu_used.items()},
    }


@contextlib.contextmanager
def _others_paused(alone: bool) -> Iterator[None]:
    """With ``alone``, the services downstream of enrollment are frozen (SIGSTOP) for the run, then resumed.

    Their queues keep the events meanwhile; they handle them once resumed (a connection the broker closed
    for missed heartbeats is reopened and its unacknowledged messages are redelivered, then deduplicated).
    A benchmark killed with SIGKILL leaves them frozen: ``pkill -CONT -f 'python -m services'`` resumes them.
    """
    stopped: list[int] = []
    try:
        for service in routing.SERVICES if alone else ():
            if service != "enrollment":
                for pid in running(service).values():
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
        yield
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


async def main(n: int, concurrency: int, alone: bool) -> None:
    print(
        f"benchmark: {n} registrations, {concurrency} publishers in flight, on {os.cpu_count()} cores"
        + (", the other services paused" if alone else ", the whole stack running")
    )
    with _others_paused(alone):
        await _measure(n, concurrency, "bench-enrollment-alone.json" if alone else "bench-enrollment.json")


async def _measure(n: int, concurrency: int, report: str) -> None:
    service = await service_path(n, concurrency)
    print("service path :", json.dumps({k: v for k, v in service.items() if k != "cpu_s"}))
    print(cpu.report("CPU per registration, service path:", service["cpu_s"], n, "registration", service["total_s"]))
    raw = await raw_relay(n, concurrency)
    print("raw relay    :", json.dumps({k: v for k, v in raw.items() if k != "cpu_s"}))
    print(
        cpu.report(
            "CPU per message, raw relay (its relay and drain are the benchmark's own processes):",
            raw["cpu_s"],
            n,
            "message",
            raw["total_s"],
        )
    )
    ratio = service["per_s"] / raw["per_s"]
    print(
        f"ratio        : {ratio:.0%} of the raw relay (target >= 50%); "
        f"{service['per_s']} registrations/s (target >= 1000)"
    )
    out = settings().var / "report"
    out.mkdir(parents=True, exist_ok=True)
    (out / report).write_text(json.dumps({"service": service, "raw": raw, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64, help="publishes awaiting their confirm at once")
    parser.add_argument(
        "--alone", action="store_true", help="pause the other services during the run: enrollment's own capacity"
    )
    args = parser.parse_args()
    asyncio.run(main(args.n, args.concurrency, args.alone))
