"""``make bench``: the whole path, register → booked → convocation mailed, against the fair raw relay.

Runs against the local stack on its virtual clock (``make bench`` starts it at the campaign's opening,
with the counting mail sink: the mails are counted, not stored).

1. Reception schools declare seats for every pupil of the run (the sample schools of the bundled
   catalog, from the first day a convocation can reach a family).
2. Throughput: N pupils, one candidacy each, published as a portal as fast as confirms allow; the
   clock runs until the last ``notifications.convocation_sent`` (the SMTP server accepted the mail).
   Each candidacy is handled by the five services: registration (enrollment), booking (scheduling),
   the interview and candidacy copies (opinions, notifications, affelnet_export), the mail.
3. Latency: registrations offered at a steady rate (default 200/s) for a while; per pupil, the time
   from the publish to its ``convocation_sent`` (p50, p99).
4. The fair raw relay, same broker, same run (``bench.relay``): as many queue traversals per
   candidacy as the service path (each event goes to every queue bound to it), one process per service,
   deep pipelines and uvloop; each relay process's CPU is reported apart from the driver's.
5. Each service's peak resident memory (VmHWM), replicas included, and what the mail sink counted.

The driver (this process: the portal publishing and watching) runs on uvloop in both measurements.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import aio_pika
import uvloop

from bench import cpu, relay
from bench.enrollment import ADMIN_URL, PORTAL_URL, _rss_kib
from contracts import routing
from contracts.campaign import load_campaign
from deploy.local.settings import settings
from deploy.local.stack import running
from harness import mail_sink
from harness.portal import PortalClient

OPERATORS_UAI = "0941918Z"
SEATS_PER_SLOT = 40
SLOTS_PER_DAY = 10
"""Slots a reception school declares a day in a run: from 9 h to 18 h 30."""


def _pupil_commands(n: int, tag: str, origin: str = "0930122C") -> list[dict[str, Any]]:
    """One candidacy per pupil, spread over every formation of the catalog."""
    campaign = load_campaign()
    formations = [f.code for f in campaign.formations]
    return [
        {
            "command_id": str(uuid.uuid4()),
            "campaign": campaign.campaign,
            "actor_uai": origin,
            "channel": "portal",
            "pupil": {
                "ine": f"{tag}{i:06d}P",
                "last_name": "Banc",
                "first_name": "Essai",
                "birth_date": "1998-03-02",
                "class_level": "3eme",
            },
            "origin_uai": origin,
            "referent": {"name": "M. Référent", "email": "referent@example.org"},
            "formation_code": formations[i % len(formations)],
            "origin_opinion": "favorable",
            "origin_comment": "Projet construit.",
        }
        for i in range(n)
    ]


def _declarations(commands: list[dict[str, Any]], first_day: datetime, run: int) -> list[dict[str, Any]]:
    """Seats for every pupil of ``commands``, with 10 % to spare, at the domain's reception schools in turn: ten
    slots a day each, from 9 h, so that 100,000 candidacies still fit in the interview window."""
    campaign = load_campaign()
    need: dict[str, int] = {}
    for body in commands:
        code = campaign.domain_of(body["formation_code"])
        assert code is not None
        need[code] = need.get(code, 0) + 1
    out = []
    for code, pupils in need.items():
        domain = campaign.domain(code)
        assert domain is not None
        schools = domain.reception_uais
        seats = pupils * 11 // 10 + 1
        slots: dict[str, list[dict[str, Any]]] = {school: [] for school in schools}
        for k in range(-(-seats // SEATS_PER_SLOT)):
            # A slot is (school, domain, start): each run takes its own minutes so its slots are new ones.
            school, j = schools[k % len(schools)], k // len(schools)
            start = first_day + timedelta(days=j // SLOTS_PER_DAY, hours=j % SLOTS_PER_DAY, minutes=run % 60)
            slots[school].append({"starts_at": start.isoformat(), "duration_minutes": 30, "capacity": SEATS_PER_SLOT})
        for school, declared in slots.items():
            for i in range(0, len(declared), 200):
                out.append(
                    {
                        "command_id": str(uuid.uuid4()),
                        "campaign": campaign.campaign,
                        "actor_uai": school,
                        "domain_code": code,
                        "place": "Salle des entretiens",
                        "slots": declared[i : i + 200],
                    }
                )
    return out


async def _send_all(portal: PortalClient, key: str, bodies: list[dict[str, Any]], concurrency: int) -> None:
    queue = list(reversed(bodies))

    async def worker() -> None:
        while queue:
            await portal.send(key, queue.pop())

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done within {timeout:.0f} s")
        await asyncio.sleep(0.1)


def _refused(portal: PortalClient) -> bool:
    """A refused registration never gets a convocation: stop waiting and say why."""
    for event in portal.events:
        if event["_routing_key"].endswith("command_rejected"):
            raise RuntimeError(
                f"a command of the benchmark was refused ({event['reason']}: {event['message']}); "
                "the benchmark needs the stack on the campaign's virtual clock, as `make bench` starts it"
            )
    return False


class _Watcher(PortalClient):
    """The portal, noting when each pupil's convocation went out."""

    def __init__(self) -> None:
        super().__init__(
            PORTAL_URL, bindings=("notifications.convocation_sent", "*.command_rejected", "scheduling.slots_declared")
        )
        self.convoked: dict[str, float] = {}

    async def _on_event(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        if message.routing_key == "notifications.convocation_sent":
            self.convoked.setdefault(json.loads(message.body)["ine"], time.perf_counter())
            self.counts[message.routing_key] += 1
            return
        await super()._on_event(message)


async def service_path(n: int, rate: float, latency_seconds: float, concurrency: int) -> dict[str, Any]:
    campaign = load_campaign()
    run = uuid.uuid4().int
    tag = f"{run % 10**4:04d}"
    throughput = _pupil_commands(n, tag)
    steady = _pupil_commands(int(rate * latency_seconds), f"{(run // 10**4) % 10**4:04d}")
    calendar = campaign.calendar
    first_day = datetime.combine(
        calendar.interviews_start_on + timedelta(days=calendar.convocation_notice_days + 2),
        datetime.min.time(),
        campaign.tz,
    ).replace(hour=9)
    async with _Watcher() as portal:
        declarations = _declarations(throughput + steady, first_day, run)
        await _send_all(portal, "declare_interview_slots", declarations, 8)
        # Seats for every pupil of the run: 120 s is enough up to about 20,000 candidacies, more takes longer.
        seats_wait = max(120.0, n / 100)
        declared = len(declarations)
        await _until(lambda: portal.counts["scheduling.slots_declared"] >= declared, seats_wait, "slots declared")

        mails_before = sink_counts()
        cpu_before = cpu.stack_cpu()
        started = time.perf_counter()
        await _send_all(portal, "register_candidacy", throughput, concurrency)
        published = time.perf_counter()
        await _until(lambda: _refused(portal) or len(portal.convoked) >= n, 3600, "convocations of the throughput run")
        finished = time.perf_counter()
        cpu_used = cpu.spent(cpu_before, cpu.stack_cpu())
        mails_after = sink_counts()

        sent_at: dict[str, float] = {}
        interval = 1.0 / rate
        begin = time.perf_counter()
        for i, body in enumerate(steady):
            delay = begin + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[body["pupil"]["ine"]] = time.perf_counter()
            await portal.send("register_candidacy", body)
        offered = len(steady) / (time.perf_counter() - begin)
        await _until(
            lambda: _refused(portal) or all(ine in portal.convoked for ine in sent_at),
            600,
            "convocations of the latency run",
        )
        latencies = sorted(portal.convoked[ine] - t for ine, t in sent_at.items())
        rejected = [e for e in portal.events if e["_routing_key"].endswith("command_rejected")]
    return {
        "candidacies": n,
        "rejected": len(rejected),
        "publish_s": round(published - started, 1),
        "total_s": round(finished - started, 1),
        "per_s": round(n / (finished - started), 1),
        "latency_offered_per_s": round(offered, 1),
        "latency_samples": len(latencies),
        "latency_p50_ms": round(statistics.median(latencies) * 1000),
        "latency_p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000),
        "mail_sink": {key: mails_after[key] - mails_before[key] for key in mails_after}
        if mails_before is not None and mails_after is not None
        else "not a counting sink",
        "cpu_s": {part: round(seconds, 2) for part, seconds in cpu_used.items()},
    }


def sink_counts() -> dict[str, int] | None:
    """What the counting mail sink has counted so far; None when the stack runs the storing sink."""
    try:
        return mail_sink.read_counts(settings().mail_port)
    except (OSError, ValueError, RuntimeError):
        return None


async def raw_relay(n: int, concurrency: int) -> dict[str, Any]:
    body = json.dumps(_pupil_commands(1, "0000")[0]).encode()
    return await relay.run(ADMIN_URL, n, concurrency, body)


def memory() -> dict[str, float]:
    """Peak resident memory of every running service process (replicas under their own pid files)."""
    peaks = {}
    for service in routing.SERVICES:
        for name, pid in sorted(running(service).items()):
            try:
                peaks[name] = round(_rss_kib(pid)[1] / 1024, 1)
            except OSError:
                continue
    return peaks


async def main(n: int, rate: float, latency_seconds: float, concurrency: int) -> None:
    print(
        f"pipeline benchmark: {n} candidacies, then {rate:.0f}/s offered for {latency_seconds:.0f} s, "
        f"on {os.cpu_count()} cores, {concurrency} publishes awaiting their confirm"
    )
    service = await service_path(n, rate, latency_seconds, concurrency)
    print("service path :", json.dumps({k: v for k, v in service.items() if k != "cpu_s"}))
    print(
        cpu.report(
            "CPU per candidacy, throughput run (register → booked → convocation mailed; "
            "benchmark = the driver, this process):",
            service["cpu_s"],
            n,
            "candidacy",
            service["total_s"],
        )
    )
    raw = await raw_relay(n, concurrency)
    hops = raw["traversals_per_message"]
    print("fair relay   :", json.dumps({k: v for k, v in raw.items() if k != "cpu_s"}))
    print(
        cpu.report(
            f"CPU per message, fair raw relay ({hops} queue traversals, one process per service: relay *; "
            "benchmark = the driver, this process):",
            raw["cpu_s"],
            n,
            "message",
            raw["total_s"],
        )
    )
    peaks = memory()
    print("peak RSS MiB :", json.dumps(peaks))
    ratio = service["per_s"] / raw["per_s"]
    print(
        f"ratio        : {ratio:.2f} of the fair relay ({hops} queue traversals per candidacy) end to end, "
        f"{service['per_s']}/s against {raw['per_s']}/s (target >= 0.15 and >= 150/s)"
    )
    print(
        f"latency      : p99 {service['latency_p99_ms']} ms register → convocation at "
        f"{service['latency_offered_per_s']}/s offered (target < 1 s)"
    )
    print(f"memory       : largest {max(peaks.values(), default=0)} MiB (target < 150 MB per service)")
    out = settings().var / "report"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench-pipeline.json").write_text(
        json.dumps({"service": service, "raw": raw, "ratio": ratio, "rss_peak_mib": peaks}, indent=2)
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20_000, help="candidacies of the throughput run")
    parser.add_argument("--rate", type=float, default=200.0, help="registrations/s offered in the latency run")
    parser.add_argument("--latency-seconds", type=float, default=30.0, help="length of the latency run")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=relay.PREFETCH,
        help="publishes awaiting their confirm at once, in both measurements",
    )
    args = parser.parse_args()
    uvloop.run(main(args.n, args.rate, args.latency_seconds, args.concurrency))
