"""``make bench-scheduling``: booking quality and speed for a realistic académie, through the public interface.

300 origin schools, the bundled catalog, N pupils (default 20,000) with 1–4 candidacies across 1–3
domains. All pupils register first (they wait: no slot yet); then reception schools declare slots
for 110% of each domain's need, and the benchmark times the bookings from the first declaration to
the last ``interview_booked``. Run again with ``--replicas 2`` to add a second scheduling process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from bench import cpu
from contracts.campaign import load_campaign
from contracts.identifiers import departement_of_uai, uai_check_letter
from deploy.local.settings import ROOT, settings
from deploy.local.stack import replica_count, service_env
from harness.portal import PortalClient

PORTAL_URL = "amqp://portal:portal@127.0.0.1:5672/passpro"


def _uai(departement: str, number: int) -> str:
    digits = f"{departement}{number:04d}"
    return digits + uai_check_letter(digits)


def académie(pupils: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Registrations of ``pupils`` pupils from 300 origin schools, and the need per domain."""
    rng = random.Random(seed)
    campaign = load_campaign()
    origins = [_uai(d, n) for d in ("077", "093", "094") for n in rng.sample(range(1000, 9999), 100)]
    run = uuid.uuid4().int % 10**4
    commands, need = [], Counter()
    domains = [d.code for d in campaign.domains]
    for i in range(pupils):
        origin = rng.choice(origins)
        pupil = {
            "ine": f"{run:04d}{i:06d}C",
            "last_name": "Banc",
            "first_name": "Essai",
            "birth_date": "1998-03-02",
            "class_level": "3eme",
        }
        chosen = rng.sample(domains, rng.choice([1, 1, 1, 2, 2, 3]))
        formations = [f.code for d in chosen for f in campaign.formations_of(d)]
        picks = set(rng.sample(formations, min(len(formations), rng.randint(len(chosen), 4))))
        picks |= {rng.choice([f.code for f in campaign.formations_of(d)]) for d in chosen}
        for code in sorted(picks):
            commands.append(
                {
                    "command_id": str(uuid.uuid4()),
                    "campaign": campaign.campaign,
                    "actor_uai": origin,
                    "channel": "portal",
                    "pupil": pupil,
                    "origin_uai": origin,
                    "referent": {"name": "M. Référent", "email": "referent@example.org"},
                    "formation_code": code,
                    "origin_opinion": "favorable",
                    "origin_comment": "Projet construit.",
                }
            )
        need.update(chosen)
    return commands, dict(need)


def declarations(need: dict[str, int], first_day: datetime, seed: int) -> list[dict[str, Any]]:
    """Slots for 110% of each domain's need, spread over its reception schools and the weeks ahead."""
    rng = random.Random(seed + 1)
    campaign = load_campaign()
    out = []
    for domain in campaign.domains:
        seats = -(-need.get(domain.code, 0) * 11 // 10)
        per_school = -(-seats // len(domain.reception_uais))
        for school in domain.reception_uais:
            slots, left = [], per_school
            day = 0
            while left > 0:
                # Each run its own minutes: a slot declared again (same school, domain, start) is the same slot.
                start = (first_day + timedelta(days=day % 40)).replace(
                    hour=rng.choice([9, 10, 14, 15]), minute=(seed % 4) * 15
                )
                capacity = min(left, 25)
                slots.append({"starts_at": start.isoformat(), "duration_minutes": 30, "capacity": capacity})
                left -= capacity
                day += 1
            for i in range(0, len(slots), 100):
                out.append(
                    {
                        "command_id": str(uuid.uuid4()),
                        "campaign": campaign.campaign,
                        "actor_uai": school,
                        "domain_code": domain.code,
                        "place": "Salle des entretiens",
                        "slots": slots[i : i + 100],
                    }
                )
    return out


async def publish(portal: PortalClient, key: str, bodies: list[dict[str, Any]], concurrency: int = 64) -> None:
    queue = list(reversed(bodies))

    async def worker() -> None:
        while queue:
            await portal.send(key, queue.pop())

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def until_settled(portal: PortalClient, expected: int, started: float, quiet: float = 15.0) -> float:
    """Seconds until the last booking: all expected, or none for ``quiet`` seconds (a pupil no seat fits)."""
    last_count, last_change = -1, time.perf_counter()
    while portal.counts["scheduling.interview_booked"] < expected:
        count = portal.counts["scheduling.interview_booked"]
        if count != last_count:
            last_count, last_change = count, time.perf_counter()
        elif time.perf_counter() - last_change > quiet:
            return last_change - started
        await asyncio.sleep(0.2)
    return time.perf_counter() - started


async def run(pupils: int, seed: int) -> dict[str, Any]:
    campaign = load_campaign()
    commands, need = académie(pupils, seed)
    needs_total = sum(need.values())
    async with PortalClient(
        PORTAL_URL,
        bindings=(
            "enrollment.candidacy_registered",
            "scheduling.interview_booked",
            "scheduling.slots_declared",
            "enrollment.command_rejected",
            "scheduling.command_rejected",
            "*.clock_advanced",
        ),
    ) as portal:
        advance = {
            "command_id": str(uuid.uuid4()),
            "campaign": campaign.campaign,
            "actor_uai": "0941918Z",
            "to": "2013-02-12T08:00:00+01:00",
        }
        await portal.send("advance_clock", advance)
        moved = await portal.wait_for(
            lambda e: e["_routing_key"] == "scheduling.clock_advanced" and e["causation_id"] == advance["command_id"],
            30,
        )
        now = datetime.fromisoformat(moved["to"]).astimezone(campaign.tz)
        first_day = (now + timedelta(days=6)).replace(minute=0, second=0, microsecond=0)

        started = time.perf_counter()
        await publish(portal, "register_candidacy", commands)
        await portal.wait_for(
            lambda _e: (
                portal.counts["enrollment.candidacy_registered"] + portal.counts["enrollment.command_rejected"]
                >= len(commands)
            ),
            1800,
        )
        registered_s = time.perf_counter() - started
        rejected = [e for e in portal.events if e["_routing_key"].endswith("command_rejected")]

        slot_commands = declarations(need, first_day, seed)
        cpu_before = cpu.stack_cpu()
        started = time.perf_counter()
        await publish(portal, "declare_interview_slots", slot_commands)

        def bookings() -> list[dict[str, Any]]:
            return [e for e in portal.events if e["_routing_key"] == "scheduling.interview_booked"]

        booked_s = await until_settled(portal, needs_total, started)
        cpu_used = cpu.spent(cpu_before, cpu.stack_cpu())
    origin_of = {c["pupil"]["ine"]: c["origin_uai"] for c in commands}
    # Pupils of earlier runs still waiting may take some of the new seats: only this run's are counted.
    booked = [e for e in bookings() if e["ine"] in origin_of]
    print(
        cpu.report(
            "CPU per booking, booking phase (the whole stack: the convocations are mailed meanwhile):",
            cpu_used,
            max(1, len(booked)),
            "booking",
            booked_s,
        )
    )
    per_school = Counter(e["reception_uai"] for e in booked)
    own = sum(1 for e in booked if departement_of_uai(e["reception_uai"]) == departement_of_uai(origin_of[e["ine"]]))
    pairs = defaultdict(int)
    for e in booked:
        pairs[(e["ine"], e["domain_code"])] += 1
    return {
        "pupils": pupils,
        "candidacies": len(commands),
        "rejected": len(rejected),
        "interviews_needed": needs_total,
        "interviews_booked": len(booked),
        "booked_pct": round(100 * len(booked) / needs_total, 2),
        "double_bookings": sum(1 for n in pairs.values() if n > 1),
        "own_departement_pct": round(100 * own / max(1, len(booked)), 1),
        "seats_per_school": {
            "schools": len(per_school),
            "min": min(per_school.values(), default=0),
            "median": statistics.median(per_school.values()) if per_school else 0,
            "max": max(per_school.values(), default=0),
        },
        "registration_s": round(registered_s, 1),
        "registrations_per_s": round(len(commands) / registered_s),
        "booking_s": round(booked_s, 1),
        "bookings_per_s": round(len(booked) / booked_s),
        "cpu_s": {part: round(seconds, 2) for part, seconds in cpu_used.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2013)
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="scheduling processes during the run; the stack's own count, the rest started for it",
    )
    args = parser.parse_args()
    extra = []
    for n in range(max(replica_count("scheduling"), 1), args.replicas):
        env = service_env("scheduling")
        env["PASSPRO_HEALTH_PORT"] = str(8182 + n)
        # Its own log name: the stack's replica k of `make up REPLICAS=N` logs to scheduling-k.log.
        extra.append(
            subprocess.Popen(
                [sys.executable, "-m", "services.scheduling"],
                env=env,
                cwd=ROOT,
                stdout=open(settings().log / f"bench-scheduling-{n}.log", "ab"),
                stderr=subprocess.STDOUT,
            )
        )
    try:
        time.sleep(5 if extra else 0)
        result = asyncio.run(run(args.pupils, args.seed))
    finally:
        for proc in extra:
            proc.terminate()
            proc.wait(40)
    result["scheduling_replicas"] = args.replicas
    result["cores"] = os.cpu_count()
    print(json.dumps(result, indent=2))
    out = settings().var / "report"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"bench-scheduling-{args.replicas}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
