"""The local stack: RabbitMQ, PostgreSQL and the five services as plain processes under ``var/``.

``python -m deploy.local up|down|status|reset|infra-up|infra-down`` (``fresh``: deploy/local/fresh.py).
Everything listens on 127.0.0.1; every process started is recorded by PID and stopped by that PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contracts import routing
from deploy import topology
from deploy.local import cluster
from deploy.local.processes import as_user, chown, is_root, port_open, read_pid, say, stop_pid, wait_for
from deploy.local.rabbit import (
    PLUGINS,
    await_startup,
    management,
    prune_stale_queues,
    rabbit_config,
    rabbit_env,
    stop_epmd_if_unused,
)
from deploy.local.settings import DATABASES, DB_USER, ROOT, settings

# ---------------------------------------------------------------- RabbitMQ


def rabbit_up() -> None:
    conf = settings()
    if cluster.size() > 1:
        cluster.up(cluster.size())
        return
    if cluster.running():
        raise SystemExit(
            f"[passpro] the {cluster.recorded()}-node cluster under {conf.rabbit} is running: "
            "`make down` before starting a single node"
        )
    if read_pid(conf.rabbit / "rabbit.pid") and port_open(conf.amqp_port):
        # A running broker takes the topology as it is now: definitions import adds, pruning removes.
        management("POST", "definitions", topology.definitions())
        prune_stale_queues()
        say(f"RabbitMQ already running on 127.0.0.1:{conf.amqp_port}; topology brought up to date")
        return
    if port_open(conf.amqp_port):
        raise SystemExit(f"[passpro] port {conf.amqp_port} is taken by a process this stack did not start")
    for sub in ("mnesia", "log"):
        (conf.rabbit / sub).mkdir(parents=True, exist_ok=True)
    (conf.rabbit / "enabled_plugins").write_text(PLUGINS)
    (conf.rabbit / "definitions.json").write_text(json.dumps(topology.definitions(), indent=1))
    (conf.rabbit / "rabbitmq.conf").write_text(
        rabbit_config(conf.amqp_port, conf.management_port, conf.rabbit / "definitions.json")
    )
    chown(conf.rabbit, "rabbitmq")
    conf.log.mkdir(parents=True, exist_ok=True)
    log = open(conf.log / "rabbitmq.log", "ab")
    subprocess.Popen(
        as_user("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"]),
        env=rabbit_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd="/var/lib/rabbitmq" if is_root() else str(conf.rabbit),
        start_new_session=True,
    )
    wait_for(lambda: (conf.rabbit / "rabbit.pid").exists(), 60, "RabbitMQ's pid file")
    await_startup(conf.rabbit_node, rabbit_env())
    wait_for(lambda: port_open(conf.management_port), 60, "RabbitMQ's management UI")
    prune_stale_queues()
    say(f"RabbitMQ up on 127.0.0.1:{conf.amqp_port} (management on {conf.management_port})")


def rabbit_down() -> None:
    conf = settings()
    cluster.down()
    pid = read_pid(conf.rabbit / "rabbit.pid")
    if pid is None:
        return
    stop_pid(pid, "RabbitMQ", timeout=60)
    stop_epmd_if_unused()
    say("RabbitMQ stopped")


# ---------------------------------------------------------------- PostgreSQL


def _pg(argv: list[str], **kw) -> subprocess.CompletedProcess[bytes]:  # type: ignore[no-untyped-def]
    return subprocess.run(as_user("postgres", argv), check=True, **kw)


def pg_up() -> None:
    conf = settings()
    data = conf.pg / "data"
    pid_file = data / "postmaster.pid"
    if read_pid(pid_file) and port_open(conf.pg_port):
        asyncio.run(_provision(fresh=False))
        say(f"PostgreSQL already running on 127.0.0.1:{conf.pg_port}; service roles and schemas up to date")
        return
    if port_open(conf.pg_port):
        raise SystemExit(f"[passpro] port {conf.pg_port} is taken by a process this stack did not start")
    (conf.pg / "run").mkdir(parents=True, exist_ok=True)
    fresh = not (data / "PG_VERSION").exists()
    if fresh:
        data.mkdir(parents=True, exist_ok=True)
        chown(conf.pg, "postgres")
        _pg(
            [
                str(conf.pg_bin / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            stdout=subprocess.DEVNULL,
        )
    chown(conf.pg, "postgres")
    options = (
        f"-c listen_addresses=127.0.0.1 -p {conf.pg_port} -k {conf.pg / 'run'} -c max_connections=300 "
        "-c shared_buffers=256MB -c synchronous_commit=on -c fsync=on"
    )
    _pg(
        [
            str(conf.pg_bin / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(conf.pg / "postgres.log"),
            "-w",
            "start",
        ],
        stdout=subprocess.DEVNULL,
    )
    asyncio.run(_provision(fresh))
    say(f"PostgreSQL up on 127.0.0.1:{conf.pg_port}")


async def _provision(fresh: bool) -> None:
    """The administrator role and databases (fresh data directory), then each service's role and schemas.

    As the ``postgres`` superuser over the server's Unix socket (local trust): no password of any role
    is ever on a command line; each goes to the server as a SCRAM verifier.
    """
    conf = settings()
    import asyncpg

    from deploy import database

    conn = await asyncpg.connect(host=str(conf.pg / "run"), port=conf.pg_port, user="postgres", database="postgres")
    try:
        if fresh:
            await database.ensure_login_role(conn, DB_USER, conf.db_password)
            for db in DATABASES:
                await conn.execute(f'CREATE DATABASE "{db}" OWNER "{DB_USER}"')
        await database.ensure_service_roles(conn, DB_USER, DATABASES)
    finally:
        await conn.close()
    for db in DATABASES:
        conn = await asyncpg.connect(host=str(conf.pg / "run"), port=conf.pg_port, user=DB_USER, database=db)
        try:
            await database.ensure_service_schemas(conn)
        finally:
            await conn.close()


def pg_down() -> None:
    conf = settings()
    data = conf.pg / "data"
    if read_pid(data / "postmaster.pid") is None:
        return
    _pg([str(conf.pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)
    say("PostgreSQL stopped")


# ---------------------------------------------------------------- services


def service_env(service: str, replica: int = 0) -> dict[str, str]:
    conf = settings()
    env = dict(os.environ)
    env.setdefault("PASSPRO_AMQP_URL", cluster.amqp_url() if cluster.size() > 1 else conf.addresses.amqp)
    env.setdefault("PASSPRO_DATABASE_URL", conf.addresses.database)
    env.setdefault("PASSPRO_AFFELNET_URL", f"http://127.0.0.1:{conf.affelnet_port}")
    env["PASSPRO_HEALTH_PORT"] = str(conf.health_ports[service] + 100 * replica)
    env["PYTHONPATH"] = str(ROOT)
    return env


def _mail_sink_kind() -> str | None:
    """The kind of the running sink, from its pid file (``<pid> <kind>``; a bare pid is a storing sink)."""
    conf = settings()
    if read_pid(conf.run / "mail.pid") is None:
        return None
    words = (conf.run / "mail.pid").read_text().split()
    return words[1] if len(words) > 1 else "storing"


def mail_sink_up() -> None:
    """The local mail sink of kind ``PASSPRO_MAIL_SINK``, when no SMTP server is configured; a running
    sink of the other kind is replaced (the services reconnect for their next mail)."""
    conf = settings()
    if conf.mail_sink not in ("storing", "counting"):
        raise SystemExit(f"[passpro] PASSPRO_MAIL_SINK={conf.mail_sink}: expected storing or counting")
    running_kind = _mail_sink_kind()
    if conf.smtp_host is not None or running_kind == conf.mail_sink:
        return
    if running_kind is not None:
        _stop_all(["mail"])
    conf.run.mkdir(parents=True, exist_ok=True)
    conf.log.mkdir(parents=True, exist_ok=True)
    log = open(conf.log / "mail.log", "ab")
    kind = ["--counting"] if conf.mail_sink == "counting" else ["--directory", str(conf.var / "mail")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.mail_sink", "--port", str(conf.mail_port), *kind],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    (conf.run / "mail.pid").write_text(f"{proc.pid} {conf.mail_sink}\n")
    wait_for(lambda: port_open(conf.mail_port), 30, "the local mail sink")
    where = "counting, keeping nothing" if conf.mail_sink == "counting" else f"mails in {conf.var / 'mail'}"
    say(f"mail sink up on 127.0.0.1:{conf.mail_port} ({where})")


def affelnet_up() -> None:
    """The local Affelnet receiver, when no real Affelnet is configured."""
    conf = settings()
    if conf.affelnet_url is not None or read_pid(conf.run / "affelnet.pid"):
        return
    conf.run.mkdir(parents=True, exist_ok=True)
    conf.log.mkdir(parents=True, exist_ok=True)
    log = open(conf.log / "affelnet.log", "ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.affelnet_receiver",
            "--port",
            str(conf.affelnet_port),
            "--journal",
            str(conf.var / "affelnet" / "received.jsonl"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    (conf.run / "affelnet.pid").write_text(f"{proc.pid}\n")
    wait_for(lambda: port_open(conf.affelnet_port), 30, "the local Affelnet receiver")
    journal = conf.var / "affelnet" / "received.jsonl"
    say(f"Affelnet receiver up on 127.0.0.1:{conf.affelnet_port} (bonuses in {journal})")


def _replica(service: str, k: int) -> str:
    """The process's name, for its pid file and log: ``scheduling``, then ``scheduling-1``, ``scheduling-2``…"""
    return service if k == 0 else f"{service}-{k}"


def _replicas(service: str) -> list[int]:
    """The replicas of ``service`` this stack has a pid file for, running or not."""
    conf = settings()
    found = {0} if (conf.run / f"{service}.pid").exists() else set()
    for pid_file in conf.run.glob(f"{service}-*.pid"):
        suffix = pid_file.stem.removeprefix(f"{service}-")
        if suffix.isdigit():
            found.add(int(suffix))
    return sorted(found)


def running(service: str) -> dict[str, int]:
    """The live processes of ``service`` this stack started, by name (``scheduling``, ``scheduling-1``…)."""
    conf = settings()
    pids = {_replica(service, k): read_pid(conf.run / f"{_replica(service, k)}.pid") for k in _replicas(service)}
    return {name: pid for name, pid in pids.items() if pid is not None}


def replica_count(service: str | None = None) -> int:
    """How many processes of ``service`` the stack runs (of any service: the most), 0 when none."""
    return max((len(_replicas(name)) for name in routing.SERVICES if service in (None, name)), default=0)


def _stop_all(names: list[str]) -> None:
    """SIGTERM to all first, so that they drain together, then each is waited for (or killed)."""
    conf = settings()
    pids = {name: read_pid(conf.run / f"{name}.pid") for name in names}
    for pid in pids.values():
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    for name, pid in pids.items():
        if pid is not None:
            stop_pid(pid, name)
            say(f"{name} stopped")
        (conf.run / f"{name}.pid").unlink(missing_ok=True)


def services_up(replicas: int | None = None) -> None:
    """``replicas`` processes of each service, sharing its queues; None keeps the replicas already there."""
    conf = settings()
    conf.run.mkdir(parents=True, exist_ok=True)
    conf.log.mkdir(parents=True, exist_ok=True)
    wanted = {service: replicas or max(_replicas(service), default=0) + 1 for service in routing.SERVICES}
    _stop_all(
        [_replica(service, k) for service in routing.SERVICES for k in _replicas(service) if k >= wanted[service]]
    )
    started: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    for service in routing.SERVICES:
        for k in range(wanted[service]):
            pid_file = conf.run / f"{_replica(service, k)}.pid"
            if read_pid(pid_file):
                continue
            log_path = conf.log / f"{_replica(service, k)}.log"
            log = open(log_path, "ab")
            log_start = log_path.stat().st_size
            proc = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                env=service_env(service, k),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )
            pid_file.write_text(f"{proc.pid}\n")
            started[_replica(service, k)] = (proc, log_start)
    waiting = []
    for service in routing.SERVICES:
        for k in range(wanted[service]):
            name = _replica(service, k)
            log_path = conf.log / f"{name}.log"
            proc, log_start = started.get(name, (None, log_path.stat().st_size if log_path.exists() else 0))
            waiting.append(
                Starting(
                    name=name,
                    url=f"http://127.0.0.1:{conf.health_ports[service] + 100 * k}/health/ready",
                    log=log_path,
                    log_start=log_start,
                    process=proc,
                    pid_file=conf.run / f"{name}.pid",
                )
            )
    await_ready(waiting)


@dataclass(frozen=True)
class Starting:
    """A service process ``up`` waits for: its readiness URL, its log, and the process when this run started it."""

    name: str
    url: str
    log: Path
    log_start: int = 0
    """Where this start's lines begin in the log (it is appended to across runs)."""
    process: subprocess.Popen[bytes] | None = None
    """None for a process an earlier ``up`` started: then only its pid file tells whether it still runs."""
    pid_file: Path | None = None

    def exit_code(self) -> tuple[bool, int | None]:
        """(exited, its exit code when this run started it)."""
        if self.process is not None:
            code = self.process.poll()  # reaps it: an exited child would otherwise linger as a zombie, "alive"
            return code is not None, code
        return self.pid_file is not None and read_pid(self.pid_file) is None, None


START_ERROR_LINES = 20
"""How much of a service's log ``up`` prints when it exits at start (start-up errors name no pupil)."""


def _start_lines(starting: Starting) -> list[str]:
    try:
        with starting.log.open("rb") as log:
            log.seek(starting.log_start)
            return log.read().decode("utf-8", "replace").splitlines()[-START_ERROR_LINES:]
    except OSError:
        return []


def _exit_report(starting: Starting, code: int | None) -> str:
    how = f"exited at start with code {code}" if code is not None else "exited at start"
    lines = _start_lines(starting)
    if not lines:
        return f"[passpro] {starting.name} {how}; its log {starting.log} says nothing"
    header = f"[passpro] {starting.name} {how}; last lines of {starting.log}:"
    return "\n".join([header, *(f"  {line}" for line in lines)])


def await_ready(
    waiting: list[Starting], timeout: float = 90.0, ready: Callable[[str], bool] | None = None, poll: float = 0.2
) -> None:
    """Waits for all the processes at once, each until its readiness URL answers 200. The first that exits stops
    the wait at once, named with its exit code and the last lines of its log; ``timeout`` seconds without any
    process becoming ready stop it too, naming those still waited for."""
    is_ready = ready or _http_ok
    waiting = list(waiting)
    deadline = time.monotonic() + timeout
    while waiting:
        exited = [(starting, code) for starting in waiting for gone, code in [starting.exit_code()] if gone]
        if exited:
            raise SystemExit("\n".join(_exit_report(starting, code) for starting, code in exited))
        for starting in [starting for starting in waiting if is_ready(starting.url)]:
            say(f"{starting.name} ready ({starting.url})")
            waiting.remove(starting)
            deadline = time.monotonic() + timeout
        if waiting and time.monotonic() >= deadline:
            names = ", ".join(starting.name for starting in waiting)
            logs = ", ".join(str(starting.log) for starting in waiting)
            raise SystemExit(f"[passpro] {names}: not ready within {timeout:.0f} s; see {logs}")
        if waiting:
            time.sleep(poll)


def _restart_on_wall_clock() -> None:
    """The demo needs the virtual clock: services left running on the wall clock are restarted."""
    conf = settings()
    for name in [_replica(service, k) for service in routing.SERVICES for k in _replicas(service)]:
        pid = read_pid(conf.run / f"{name}.pid")
        if pid is None:
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"PASSPRO_CLOCK=" + conf.clock.encode() not in environ:
            say(f"{name} runs on another clock; restarting it")
            stop_pid(pid, name)


def services_down() -> None:
    _stop_all([_replica(service, k) for service in routing.SERVICES for k in _replicas(service)])
    _stop_all(["affelnet", "mail"])


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except OSError:
        return False


def status() -> int:
    conf = settings()
    addr = conf.addresses
    rabbit = "up" if read_pid(conf.rabbit / "rabbit.pid") and port_open(conf.amqp_port) else "down"
    pg = "up" if read_pid(conf.pg / "data" / "postmaster.pid") and port_open(conf.pg_port) else "down"
    if cluster.size() > 1:
        rabbit = "up" if cluster.status() else "down"
    else:
        print(f"broker         {rabbit:5} {addr.amqp}")
        print(f"management UI  {rabbit:5} {addr.management}  (user {topology.ADMIN_USER})")
    print(f"database       {pg:5} {addr.database}  (one role per service: passpro_<service>)")
    receiver = "up" if read_pid(conf.run / "affelnet.pid") and port_open(conf.affelnet_port) else "down"
    print(f"affelnet       {receiver:5} http://127.0.0.1:{conf.affelnet_port}/bonuses  (local receiver)")
    sink = "up" if read_pid(conf.run / "mail.pid") and port_open(conf.mail_port) else "down"
    print(f"mail sink      {sink:5} smtp://127.0.0.1:{conf.mail_port}  (.eml files in {conf.var / 'mail'})")
    all_up = rabbit == "up" and pg == "up"
    for service in routing.SERVICES:
        for k in sorted({0, *_replicas(service), *range(conf.replicas or 1)}):
            name = _replica(service, k)
            port = conf.health_ports[service] + 100 * k
            pid = read_pid(conf.run / f"{name}.pid")
            ready = pid is not None and _http_ok(f"http://127.0.0.1:{port}/health/ready")
            state = "ready" if ready else ("up" if pid else "down")
            all_up = all_up and ready
            print(
                f"{name:14} {state:5} health http://127.0.0.1:{port}/health/ready  "
                f"metrics http://127.0.0.1:{port}/metrics  pid {pid or '-'}"
            )
    return 0 if all_up else 1


def main(argv: list[str]) -> int:
    conf = settings()
    command = argv[0] if argv else "status"
    if command == "infra-up":
        rabbit_up()
        pg_up()
    elif command == "up":
        rabbit_up()
        pg_up()
        if "--virtual" in argv[1:]:
            _restart_on_wall_clock()
        affelnet_up()
        mail_sink_up()
        services_up(conf.replicas)
    elif command == "services-down":
        services_down()
    elif command in ("down", "infra-down"):
        services_down()
        rabbit_down()
        pg_down()
    elif command == "status":
        return status()
    elif command == "reset":
        services_down()
        rabbit_down()
        pg_down()
        for sub in ("rabbitmq", "postgres", "mail", "report", "log", "run", "affelnet"):
            shutil.rmtree(conf.var / sub, ignore_errors=True)
        say("state deleted; the next `make up` starts a fresh campaign")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
