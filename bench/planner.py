"""``python -m bench.planner``: the planner's Python cost per pupil, without broker or database.

Times ``domain.plan_pupil`` on pupils of 1–3 domains, with 30 or 200 open slots per domain, with and
without an interview to keep or move, beside the one-slot-per-domain choice the service made before
joint planning (the fitting slot first in R18 order, domain after domain), restated here as the baseline.
What the service adds around it (reading the pupil's needs, interviews and candidate slots, taking
the seats) is database time, measured by ``make bench-scheduling`` only.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.scheduling import domain

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2013, 3, 1, 10, tzinfo=PARIS)
SCHOOLS = ("0940115P", "0771123C", "0931155A")
ORIGIN = "0930122C"
POLICY = domain.Policy(
    tz=PARIS,
    planning_ends_on=date(2013, 4, 3),
    interviews_start_on=date(2013, 2, 11),
    interviews_end_on=date(2013, 4, 17),
    convocation_notice_days=5,
    one_interview_per_half_day=True,
    min_gap_hours=0,
    reception_uais={},
)
Case = tuple[list[domain.WaitingNeed], list[domain.Held], list[domain.Slot]]


def case(rng: random.Random, domains: int, slots: int, held: bool) -> Case:
    codes = [f"d{n}" for n in range(domains)]
    candidates = [
        domain.Slot(
            f"{code}-{n}",
            rng.choice(SCHOOLS),
            (NOW + timedelta(days=rng.randint(5, 30))).replace(hour=rng.choice([9, 10, 14, 15])),
            rng.randint(1, 3),
            domain_code=code,
        )
        for code in codes
        for n in range(slots)
    ]
    needs = [domain.WaitingNeed(code, NOW - timedelta(minutes=n)) for n, code in enumerate(codes)]
    interviews = []
    if held:  # the first domain already has an interview, in the slot a new need would want
        first = needs.pop(0)
        where = min((s for s in candidates if s.domain_code == first.domain_code), key=lambda s: s.starts_at)
        interviews.append(domain.Held("i", first.domain_code, first.registered_at, where))
    return needs, interviews, candidates


def joint(c: Case) -> object:
    return domain.plan_pupil(*c, origin_uai=ORIGIN, now=NOW, policy=POLICY)


def one_at_a_time(c: Case) -> object:
    """Before: each waiting domain took its best fitting slot in turn, never looking at the others."""
    needs, interviews, candidates = c
    taken = [i.slot.starts_at for i in interviews]
    for need in needs:
        fitting = [
            s
            for s in candidates
            if s.domain_code == need.domain_code and domain.fits(s, taken=taken, now=NOW, policy=POLICY)
        ]
        best = min(fitting, key=lambda s: domain.preference(s, ORIGIN), default=None)
        if best is not None:
            taken.append(best.starts_at)
    return taken


def per_pupil_us(plan: Callable[[Case], object], cases: list[Case]) -> tuple[float, float]:
    timings = []
    for c in cases:
        started = time.perf_counter()
        plan(c)
        timings.append((time.perf_counter() - started) * 1e6)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="pupils per row")
    args = parser.parse_args(argv)
    rng = random.Random(2013)
    print(
        f"{'domains':>7} {'slots/domain':>12} {'interview':>9} {'joint median µs':>16} {'joint p99 µs':>13}"
        f" {'before median µs':>17}"
    )
    for domains in (1, 2, 3):
        for slots in (30, 200):
            for held in (False, True) if domains > 1 else (False,):
                cases = [case(rng, domains, slots, held) for _ in range(args.n)]
                median, p99 = per_pupil_us(joint, cases)
                before, _ = per_pupil_us(one_at_a_time, cases)
                print(
                    f"{domains:>7} {slots:>12} {'yes' if held else 'no':>9} {median:>16.0f} {p99:>13.0f}"
                    f" {before:>17.0f}"
                )


if __name__ == "__main__":
    main()
