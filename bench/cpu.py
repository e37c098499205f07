"""Where a benchmark's cores went: CPU seconds used by each part of the local stack, read from /proc.

Every part is a process this stack started and knows by its pid file: the services (replicas added
to their service), RabbitMQ (every node of a cluster: each node's Erlang VM writes its own pid file),
PostgreSQL (the postmaster, its live backends, and the ones that exited, which the kernel adds to the
postmaster's children's time), the mail sink, the Affelnet receiver, and the benchmark itself with the
processes it started. Processes a benchmark names apart (a raw relay's hops) are counted under their
own name and left out of the benchmark's share, so that the driver's cost is not mistaken for theirs.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Collection, Mapping
from pathlib import Path

from contracts import routing
from deploy.local import cluster
from deploy.local.processes import read_pid
from deploy.local.settings import settings
from deploy.local.stack import running

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces): state is [0]."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


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


def _tree(pid: int | None, *, apart: Collection[int] = ()) -> float:
    """A process, its live children (but those counted ``apart``) and the children it reaped."""
    if pid is None:
        return 0.0
    try:
        total = _seconds(pid, children=True)
    except OSError:
        return 0.0
    for child in _live_children(pid):
        if child in apart:
            continue
        try:
            total += _seconds(child, children=True)
        except OSError:
            continue
    return total


def brokers() -> dict[str, int]:
    """The live RabbitMQ nodes of this stack by part name: ``rabbitmq`` alone, or ``rabbitmq-1``… for a cluster.

    A cluster's nodes (``PASSPRO_CLUSTER``, or the one recorded under var/) keep their pid files in
    their own homes, ``var/rabbitmq/node-<k>/rabbit.pid``; the single node's is ``var/rabbitmq/rabbit.pid``.
    A node counts under its own name so that one restarted during a run counts from its restart.
    """
    found = {}
    single = read_pid(settings().rabbit / "rabbit.pid")
    if single is not None:
        found["rabbitmq"] = single
    for node in cluster.nodes(max(cluster.size(), cluster.recorded())):
        pid = read_pid(node.pid_file)
        if pid is not None:
            found[f"rabbitmq-{node.index}"] = pid
    return found


def stack_cpu(apart: Mapping[str, Collection[int]] | None = None) -> dict[str, float]:
    """CPU seconds so far of every part of the stack; subtract two readings to get a run's share.

    ``apart``: part name -> pids among the benchmark's children (a raw relay's hops), counted under
    that name instead of the benchmark's; read while they still run (a reaped child joins its parent's).
    """
    apart = apart or {}
    used: defaultdict[str, float] = defaultdict(float)
    for service in routing.SERVICES:
        for pid in running(service).values():
            try:
                used[service] += _seconds(pid, children=False)
            except OSError:
                continue
    for part, pid in brokers().items():
        used[part] = _tree(pid)
    used["postgresql"] = _tree(read_pid(settings().pg / "data" / "postmaster.pid"))
    used["mail sink"] = _tree(read_pid(settings().run / "mail.pid"))
    used["affelnet receiver"] = _tree(read_pid(settings().run / "affelnet.pid"))
    for part, pids in apart.items():
        for pid in pids:
            try:
                used[part] += _seconds(pid, children=True)
            except OSError:
                continue
    used["benchmark"] = _tree(os.getpid(), apart={pid for pids in apart.values() for pid in pids})
    return dict(used)


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each part used between two readings (a part that restarted counts from its restart)."""
    return {part: max(0.0, after.get(part, 0.0) - before.get(part, 0.0)) for part in after}


def report(title: str, used: dict[str, float], units: int, unit: str, elapsed: float) -> str:
    """CPU milliseconds per ``unit`` for each part, the total, and how busy the cores were."""
    total = sum(used.values())
    lines = [title] + [
        f"  {part:<18} {seconds * 1000 / units:7.2f} ms/{unit}  ({seconds:6.1f} s)"
        for part, seconds in sorted(used.items(), key=lambda item: -item[1])
        if seconds > 0
    ]
    cores = os.cpu_count() or 1
    lines.append(
        f"  {'total':<18} {total * 1000 / units:7.2f} ms/{unit}  ({total:6.1f} s of "
        f"{elapsed * cores:.1f} s on {cores} cores: {total / (elapsed * cores):.0%} busy); "
        f"at this cost {cores} cores carry at most {units * cores / total:.0f} {unit}/s"
    )
    return "\n".join(lines)
