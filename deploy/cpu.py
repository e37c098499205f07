"""Where a benchmark's cores went: CPU seconds used by each part of the local stack, read from /proc.

Every part is a process this stack started and knows by its pid file: the services (replicas added
to their service), RabbitMQ, PostgreSQL (the postmaster, its live backends, and the ones that exited,
which the kernel adds to the postmaster's children's time), the mail sink, the Affelnet receiver,
and the benchmark itself with the processes it started.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from contracts import routing
from deploy.local import PG, RABBIT, RUN, _read_pid, running

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces): state is [0]."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()


def _seconds(pid: int, *, children: bool) -> float:
    """utime + stime (+ cutime + cstime: the reaped children's) of one process."""
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def _live_children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == parent:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def _tree(pid: int | None) -> float:
    """A process, its live children and the children it reaped."""
    if pid is None:
        return 0.0
    try:
        total = _seconds(pid, children=True)
    except OSError:
        return 0.0
    for child in _live_children(pid):
        try:
            total += _seconds(child, children=True)
        except OSError:
            continue
    return total


def stack_cpu() -> dict[str, float]:
    """CPU seconds so far of every part of the stack; subtract two readings to get a run's share."""
    used: defaultdict[str, float] = defaultdict(float)
    for service in routing.SERVICES:
        for pid in running(service).values():
            try:
                used[service] += _seconds(pid, children=False)
            except OSError:
                continue
    used["rabbitmq"] = _tree(_read_pid(RABBIT / "rabbit.pid"))
    used["postgresql"] = _tree(_read_pid(PG / "data" / "postmaster.pid"))
    used["mail sink"] = _tree(_read_pid(RUN / "mail.pid"))
    used["affelnet receiver"] = _tree(_read_pid(RUN / "affelnet.pid"))
    used["benchmark"] = _tree(os.getpid())
    return dict(used)


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each part used between two readings (a part that restarted counts from its restart)."""
    return {part: max(0.0, after.get(part, 0.0) - before.get(part, 0.0)) for part in after}


def report(title: str, used: dict[str, float], units: int, unit: str, elapsed: float) -> str:
    """CPU milliseconds per ``unit`` for each part, the total, and how busy the cores were."""
    total = sum(used.values())
    lines = [title] + [f"  {part:<18} {seconds * 1000 / units:7.2f} ms/{unit}  ({seconds:6.1f} s)"
             for part, seconds in sorted(used.items(), key=lambda item: -item[1]) if seconds > 0]
    cores = os.cpu_count() or 1
    lines.append(f"  {'total':<18} {total * 1000 / units:7.2f} ms/{unit}  ({total:6.1f} s of "
                 f"{elapsed * cores:.1f} s on {cores} cores: {total / (elapsed * cores):.0%} busy); "
                 f"at this cost {cores} cores carry at most {units * cores / total:.0f} {unit}/s")
    return "\n".join(lines)
