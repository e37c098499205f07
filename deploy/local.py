"""The local stack: RabbitMQ, PostgreSQL and the five services as plain processes under ``var/``.

``python -m deploy.local up|down|status|reset|infra-up|infra-down``. Everything listens on
127.0.0.1; every process started is recorded by PID and stopped by that PID.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
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

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("PASSPRO_VAR", ROOT / "var"))
RUN = VAR / "run"
LOG = VAR / "log"
RABBIT = VAR / "rabbitmq"
PG = VAR / "postgres"
PG_BIN = Path(os.environ.get("PASSPRO_PG_BIN", "/usr/lib/postgresql/15/bin"))

AMQP_PORT = int(os.environ.get("PASSPRO_AMQP_PORT", "5672"))
MANAGEMENT_PORT = int(os.environ.get("PASSPRO_MANAGEMENT_PORT", "15672"))
PG_PORT = int(os.environ.get("PASSPRO_PG_PORT", "5432"))
RABBIT_NODE = os.environ.get("PASSPRO_RABBIT_NODE", "passpro@localhost")
DB_USER = "passpro"
DB_PASSWORD = os.environ.get("PASSPRO_DB_PASSWORD", "passpro")
DATABASES = ("passpro", "passpro_test")

HEALTH_BASE_PORT = int(os.environ.get("PASSPRO_HEALTH_BASE_PORT", "8081"))
HEALTH_PORTS = {name: HEALTH_BASE_PORT + i for i, name in enumerate(routing.SERVICES)}
"""Each service's health and metrics port on the local stack; its further replica k listens on this + 100 × k."""
REPLICAS = int(os.environ["PASSPRO_REPLICAS"]) if os.environ.get("PASSPRO_REPLICAS") else None
"""Processes per service; unset, ``up`` keeps as many as already run (at least one)."""
AFFELNET_PORT = int(os.environ.get("PASSPRO_AFFELNET_PORT", "8090"))
"""The local receiver standing in for Affelnet (unless PASSPRO_AFFELNET_URL points elsewhere)."""


@dataclass(frozen=True)
class Addresses:
    amqp: str = f"amqp://127.0.0.1:{AMQP_PORT}/{routing.VHOST}"
    management: str = f"http://127.0.0.1:{MANAGEMENT_PORT}/"
    database: str = f"postgresql://127.0.0.1:{PG_PORT}/passpro"
    """The services': naming no user, each connects as its own role (``passpro_<service>``)."""
    admin_database: str = f"postgresql://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{PG_PORT}/passpro"
    """Operators' and tools' administrative connection (schema drops of a fresh campaign, benchmarks)."""


def say(text: str) -> None:
    print(f"[passpro] {text}", flush=True)


def _is_root() -> bool:
    return os.geteuid() == 0


def _chown(path: Path, user: str) -> None:
    if _is_root():
        entry = pwd.getpwnam(user)
        for p in [path, *path.rglob("*")]:
            os.chown(p, entry.pw_uid, entry.pw_gid)


def _as(user: str, argv: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if _is_root() else argv


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return pid if _pid_alive(pid) else None


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise SystemExit(f"[passpro] {what} did not come up within {timeout:.0f} s; see {LOG}")


def _stop_pid(pid: int, name: str, timeout: float = 40.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.1)
    if _pid_alive(pid):
        say(f"{name} (pid {pid}) did not stop on SIGTERM; killing it")
        os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------- RabbitMQ


def _rabbit_env(node: str = RABBIT_NODE, amqp_port: int = AMQP_PORT, home: Path = RABBIT) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        # The nodes of a cluster and the CLI share one Erlang cookie, in HOME.
        HOME="/var/lib/rabbitmq" if _is_root() else str(RABBIT),
        RABBITMQ_NODENAME=node,
        RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
        RABBITMQ_NODE_PORT=str(amqp_port),
        RABBITMQ_DIST_PORT=str(amqp_port + 20000),
        RABBITMQ_MNESIA_BASE=str(home / "mnesia"),
        RABBITMQ_LOG_BASE=str(home / "log"),
        RABBITMQ_ENABLED_PLUGINS_FILE=str(home / "enabled_plugins"),
        RABBITMQ_CONFIG_FILE=str(home / "rabbitmq.conf"),
        RABBITMQ_PID_FILE=str(home / "rabbit.pid"),
        RABBITMQ_LOGS="-",
        # Erlang's port mapper and distribution port stay on loopback too.
        ERL_EPMD_ADDRESS="127.0.0.1",
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
    )
    return env


PLUGINS = "[rabbitmq_management,rabbitmq_prometheus].\n"


def _rabbit_config(amqp_port: int, management_port: int, definitions: Path | None, memory: float = 0.6) -> str:
    return "\n".join(
        [
            f"listeners.tcp.default = 127.0.0.1:{amqp_port}",
            "management.tcp.ip = 127.0.0.1",
            f"management.tcp.port = {management_port}",
            # Prometheus' endpoint of the broker (queue depths, consumers), 20 above the management port.
            "prometheus.tcp.ip = 127.0.0.1",
            f"prometheus.tcp.port = {management_port + 20}",
            *([f"load_definitions = {definitions}"] if definitions else []),
            "loopback_users = none",
            # Read at boot only: a running broker keeps its limit until restarted.
            f"max_message_size = {topology.MAX_MESSAGE_SIZE}",
            "log.console = true",
            "log.console.level = warning",
            "log.file = false",
            # A small machine: do not block publishers on a nearly full disk or low memory.
            "disk_free_limit.absolute = 50MB",
            f"vm_memory_high_watermark.relative = {memory:.2f}",
            "",
        ]
    )


def rabbit_up() -> None:
    from deploy import cluster

    if cluster.size() > 1:
        cluster.up(cluster.size())
        return
    if cluster.running():
        raise SystemExit(f"[passpro] the {cluster.recorded()}-node cluster under {RABBIT} is running: "
                         "`make down` before starting a single node")
    if _read_pid(RABBIT / "rabbit.pid") and _port_open(AMQP_PORT):
        # A running broker takes the topology as it is now: definitions import adds, pruning removes.
        _management("POST", "definitions", topology.definitions())
        _prune_stale_queues()
        say(f"RabbitMQ already running on 127.0.0.1:{AMQP_PORT}; topology brought up to date")
        return
    if _port_open(AMQP_PORT):
        raise SystemExit(f"[passpro] port {AMQP_PORT} is taken by a process this stack did not start")
    for sub in ("mnesia", "log"):
        (RABBIT / sub).mkdir(parents=True, exist_ok=True)
    (RABBIT / "enabled_plugins").write_text(PLUGINS)
    (RABBIT / "definitions.json").write_text(json.dumps(topology.definitions(), indent=1))
    (RABBIT / "rabbitmq.conf").write_text(_rabbit_config(AMQP_PORT, MANAGEMENT_PORT, RABBIT / "definitions.json"))
    _chown(RABBIT, "rabbitmq")
    LOG.mkdir(parents=True, exist_ok=True)
    log = open(LOG / "rabbitmq.log", "ab")
    subprocess.Popen(
        _as("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"]),
        env=_rabbit_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd="/var/lib/rabbitmq" if _is_root() else str(RABBIT),
        start_new_session=True,
    )
    _wait(lambda: (RABBIT / "rabbit.pid").exists(), 60, "RabbitMQ's pid file")
    _await_startup(RABBIT_NODE, _rabbit_env())
    _wait(lambda: _port_open(MANAGEMENT_PORT), 60, "RabbitMQ's management UI")
    _prune_stale_queues()
    say(f"RabbitMQ up on 127.0.0.1:{AMQP_PORT} (management on {MANAGEMENT_PORT})")


def _await_startup(node: str, env: dict[str, str], timeout: float = 180) -> None:
    """``await_startup`` fails at once while the node has not registered with epmd yet (a cold start)."""
    deadline = time.monotonic() + timeout
    while True:
        done = subprocess.run(
            _as("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", node, "await_startup"]),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout,
        )
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            sys.stderr.write(done.stderr.decode(errors="replace"))
            raise SystemExit(f"[passpro] RabbitMQ node {node} did not start: see {LOG / 'rabbitmq.log'}")
        time.sleep(1)


def _management(method: str, path: str, body: object = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{MANAGEMENT_PORT}/api/{path}", method=method, data=data)
    request.add_header("Content-Type", "application/json")
    credentials = f"{topology.ADMIN_USER}:{topology.accounts()[0].password}".encode()
    request.add_header("Authorization", "Basic " + base64.b64encode(credentials).decode())
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        body = response.read()
    return json.loads(body) if body else None


def _prune_stale_queues() -> None:
    """Definitions only add: a queue the topology no longer has would fill up with nobody reading it.

    Empty ones are deleted; one that still holds messages is left for an operator, with a warning.
    """
    wanted = {(q["vhost"], q["name"]) for q in topology.definitions()["queues"]}
    queues = _management("GET", "queues?columns=name,vhost,messages")
    assert isinstance(queues, list)
    for queue in queues:
        key = (queue["vhost"], queue["name"])
        if queue["vhost"] not in (routing.VHOST, topology.TEST_VHOST) or key in wanted:
            continue
        if queue["name"].startswith(("amq.gen-", "bench.")):
            continue
        if queue.get("messages"):
            say(f"queue {queue['name']} ({queue['vhost']}) is no longer in the topology but holds "
                f"{queue['messages']} messages: inspect it in the management UI")
            continue
        vhost = urllib.parse.quote(queue["vhost"], safe="")
        _management("DELETE", f"queues/{vhost}/{urllib.parse.quote(queue['name'], safe='')}")
        say(f"deleted queue {queue['name']} ({queue['vhost']}): no longer in the topology")


def rabbit_down() -> None:
    from deploy import cluster

    cluster.down()
    pid = _read_pid(RABBIT / "rabbit.pid")
    if pid is None:
        return
    _stop_pid(pid, "RabbitMQ", timeout=60)
    _stop_epmd_if_unused()
    say("RabbitMQ stopped")


def _stop_epmd_if_unused() -> None:
    """The first node started Erlang's port mapper; stop it too unless another node still uses it."""
    epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
    names = subprocess.run([epmd, "-names"], capture_output=True, text=True, check=False)
    if names.returncode == 0 and "name " not in names.stdout:
        subprocess.run([epmd, "-kill"], capture_output=True, check=False)


# ---------------------------------------------------------------- PostgreSQL


def _pg(argv: list[str], **kw) -> subprocess.CompletedProcess[bytes]:  # type: ignore[no-untyped-def]
    return subprocess.run(_as("postgres", argv), check=True, **kw)


def pg_up() -> None:
    data = PG / "data"
    pid_file = data / "postmaster.pid"
    if _read_pid(pid_file) and _port_open(PG_PORT):
        asyncio.run(_provision(fresh=False))
        say(f"PostgreSQL already running on 127.0.0.1:{PG_PORT}; service roles and schemas up to date")
        return
    if _port_open(PG_PORT):
        raise SystemExit(f"[passpro] port {PG_PORT} is taken by a process this stack did not start")
    (PG / "run").mkdir(parents=True, exist_ok=True)
    fresh = not (data / "PG_VERSION").exists()
    if fresh:
        data.mkdir(parents=True, exist_ok=True)
        _chown(PG, "postgres")
        _pg(
            [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
             "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
            stdout=subprocess.DEVNULL,
        )
    _chown(PG, "postgres")
    options = (
        f"-c listen_addresses=127.0.0.1 -p {PG_PORT} -k {PG / 'run'} -c max_connections=300 "
        "-c shared_buffers=256MB -c synchronous_commit=on -c fsync=on"
    )
    _pg(
        [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(PG / "postgres.log"), "-w",
         "start"],
        stdout=subprocess.DEVNULL,
    )
    asyncio.run(_provision(fresh))
    say(f"PostgreSQL up on 127.0.0.1:{PG_PORT}")


async def _provision(fresh: bool) -> None:
    """The administrator role and databases (fresh data directory), then each service's role and schemas.

    As the ``postgres`` superuser over the server's Unix socket (local trust): no password of any role
    is ever on a command line; each goes to the server as a SCRAM verifier.
    """
    import asyncpg

    from deploy import database

    conn = await asyncpg.connect(host=str(PG / "run"), port=PG_PORT, user="postgres", database="postgres")
    try:
        if fresh:
            await database.ensure_login_role(conn, DB_USER, DB_PASSWORD)
            for db in DATABASES:
                await conn.execute(f'CREATE DATABASE "{db}" OWNER "{DB_USER}"')
        await database.ensure_service_roles(conn, DB_USER, DATABASES)
    finally:
        await conn.close()
    for db in DATABASES:
        conn = await asyncpg.connect(host=str(PG / "run"), port=PG_PORT, user=DB_USER, database=db)
        try:
            await database.ensure_service_schemas(conn)
        finally:
            await conn.close()


def pg_down() -> None:
    data = PG / "data"
    if _read_pid(data / "postmaster.pid") is None:
        return
    _pg([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)
    say("PostgreSQL stopped")


# ---------------------------------------------------------------- services


def service_env(service: str, replica: int = 0) -> dict[str, str]:
    from deploy import cluster

    env = dict(os.environ)
    env.setdefault("PASSPRO_AMQP_URL", cluster.amqp_url() if cluster.size() > 1 else Addresses.amqp)
    env.setdefault("PASSPRO_DATABASE_URL", Addresses.database)
    env.setdefault("PASSPRO_AFFELNET_URL", f"http://127.0.0.1:{AFFELNET_PORT}")
    env["PASSPRO_HEALTH_PORT"] = str(HEALTH_PORTS[service] + 100 * replica)
    env["PYTHONPATH"] = str(ROOT)
    return env


MAIL_PORT = int(os.environ.get("PASSPRO_SMTP_PORT", "8025"))


MAIL_SINK = os.environ.get("PASSPRO_MAIL_SINK", "storing")
"""``storing`` (every mail an .eml under var/mail) or ``counting`` (benchmarks: counts, keeps nothing)."""


def _mail_sink_kind() -> str | None:
    """The kind of the running sink, from its pid file (``<pid> <kind>``; a bare pid is a storing sink)."""
    if _read_pid(RUN / "mail.pid") is None:
        return None
    words = (RUN / "mail.pid").read_text().split()
    return words[1] if len(words) > 1 else "storing"


def mail_sink_up() -> None:
    """The local mail sink of kind ``PASSPRO_MAIL_SINK``, when no SMTP server is configured; a running
    sink of the other kind is replaced (the services reconnect for their next mail)."""
    if MAIL_SINK not in ("storing", "counting"):
        raise SystemExit(f"[passpro] PASSPRO_MAIL_SINK={MAIL_SINK}: expected storing or counting")
    running_kind = _mail_sink_kind()
    if "PASSPRO_SMTP_HOST" in os.environ or running_kind == MAIL_SINK:
        return
    if running_kind is not None:
        _stop_all(["mail"])
    RUN.mkdir(parents=True, exist_ok=True)
    LOG.mkdir(parents=True, exist_ok=True)
    log = open(LOG / "mail.log", "ab")
    kind = ["--counting"] if MAIL_SINK == "counting" else ["--directory", str(VAR / "mail")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.mail_sink", "--port", str(MAIL_PORT), *kind],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    (RUN / "mail.pid").write_text(f"{proc.pid} {MAIL_SINK}\n")
    _wait(lambda: _port_open(MAIL_PORT), 30, "the local mail sink")
    where = "counting, keeping nothing" if MAIL_SINK == "counting" else f"mails in {VAR / 'mail'}"
    say(f"mail sink up on 127.0.0.1:{MAIL_PORT} ({where})")


def affelnet_up() -> None:
    """The local Affelnet receiver, when no real Affelnet is configured."""
    if "PASSPRO_AFFELNET_URL" in os.environ or _read_pid(RUN / "affelnet.pid"):
        return
    RUN.mkdir(parents=True, exist_ok=True)
    LOG.mkdir(parents=True, exist_ok=True)
    log = open(LOG / "affelnet.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.affelnet_receiver", "--port", str(AFFELNET_PORT),
         "--journal", str(VAR / "affelnet" / "received.jsonl")],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    (RUN / "affelnet.pid").write_text(f"{proc.pid}\n")
    _wait(lambda: _port_open(AFFELNET_PORT), 30, "the local Affelnet receiver")
    say(f"Affelnet receiver up on 127.0.0.1:{AFFELNET_PORT} (bonuses in {VAR / 'affelnet' / 'received.jsonl'})")


def _replica(service: str, k: int) -> str:
    """The process's name, for its pid file and log: ``scheduling``, then ``scheduling-1``, ``scheduling-2``…"""
    return service if k == 0 else f"{service}-{k}"


def _replicas(service: str) -> list[int]:
    """The replicas of ``service`` this stack has a pid file for, running or not."""
    found = {0} if (RUN / f"{service}.pid").exists() else set()
    for pid_file in RUN.glob(f"{service}-*.pid"):
        suffix = pid_file.stem.removeprefix(f"{service}-")
        if suffix.isdigit():
            found.add(int(suffix))
    return sorted(found)


def running(service: str) -> dict[str, int]:
    """The live processes of ``service`` this stack started, by name (``scheduling``, ``scheduling-1``…)."""
    pids = {_replica(service, k): _read_pid(RUN / f"{_replica(service, k)}.pid") for k in _replicas(service)}
    return {name: pid for name, pid in pids.items() if pid is not None}


def replica_count(service: str | None = None) -> int:
    """How many processes of ``service`` the stack runs (of any service: the most), 0 when none."""
    return max((len(_replicas(name)) for name in routing.SERVICES if service in (None, name)), default=0)


def _stop_all(names: list[str]) -> None:
    """SIGTERM to all first, so that they drain together, then each is waited for (or killed)."""
    pids = {name: _read_pid(RUN / f"{name}.pid") for name in names}
    for pid in pids.values():
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    for name, pid in pids.items():
        if pid is not None:
            _stop_pid(pid, name)
            say(f"{name} stopped")
        (RUN / f"{name}.pid").unlink(missing_ok=True)


def services_up(replicas: int | None = None) -> None:
    """``replicas`` processes of each service, sharing its queues; None keeps the replicas already there."""
    RUN.mkdir(parents=True, exist_ok=True)
    LOG.mkdir(parents=True, exist_ok=True)
    wanted = {service: replicas or max(_replicas(service), default=0) + 1 for service in routing.SERVICES}
    _stop_all([_replica(service, k) for service in routing.SERVICES for k in _replicas(service)
               if k >= wanted[service]])
    started: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    for service in routing.SERVICES:
        for k in range(wanted[service]):
            pid_file = RUN / f"{_replica(service, k)}.pid"
            if _read_pid(pid_file):
                continue
            log_path = LOG / f"{_replica(service, k)}.log"
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
            log_path = LOG / f"{name}.log"
            proc, log_start = started.get(name, (None, log_path.stat().st_size if log_path.exists() else 0))
            waiting.append(Starting(
                name=name, url=f"http://127.0.0.1:{HEALTH_PORTS[service] + 100 * k}/health/ready",
                log=log_path, log_start=log_start, process=proc, pid_file=RUN / f"{name}.pid",
            ))
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
        return self.pid_file is not None and _read_pid(self.pid_file) is None, None


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
    for name in [_replica(service, k) for service in routing.SERVICES for k in _replicas(service)]:
        pid = _read_pid(RUN / f"{name}.pid")
        if pid is None:
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"PASSPRO_CLOCK=" + os.environ.get("PASSPRO_CLOCK", "wall").encode() not in environ:
            say(f"{name} runs on another clock; restarting it")
            _stop_pid(pid, name)


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
    from deploy import cluster

    addr = Addresses()
    rabbit = "up" if _read_pid(RABBIT / "rabbit.pid") and _port_open(AMQP_PORT) else "down"
    pg = "up" if _read_pid(PG / "data" / "postmaster.pid") and _port_open(PG_PORT) else "down"
    if cluster.size() > 1:
        rabbit = "up" if cluster.status() else "down"
    else:
        print(f"broker         {rabbit:5} {addr.amqp}")
        print(f"management UI  {rabbit:5} {addr.management}  (user {topology.ADMIN_USER})")
    print(f"database       {pg:5} {addr.database}  (one role per service: passpro_<service>)")
    receiver = "up" if _read_pid(RUN / "affelnet.pid") and _port_open(AFFELNET_PORT) else "down"
    print(f"affelnet       {receiver:5} http://127.0.0.1:{AFFELNET_PORT}/bonuses  (local receiver)")
    sink = "up" if _read_pid(RUN / "mail.pid") and _port_open(MAIL_PORT) else "down"
    print(f"mail sink      {sink:5} smtp://127.0.0.1:{MAIL_PORT}  (.eml files in {VAR / 'mail'})")
    all_up = rabbit == "up" and pg == "up"
    for service in routing.SERVICES:
        for k in sorted({0, *_replicas(service), *range(REPLICAS or 1)}):
            name = _replica(service, k)
            port = HEALTH_PORTS[service] + 100 * k
            pid = _read_pid(RUN / f"{name}.pid")
            ready = pid is not None and _http_ok(f"http://127.0.0.1:{port}/health/ready")
            state = "ready" if ready else ("up" if pid else "down")
            all_up = all_up and ready
            print(
                f"{name:14} {state:5} health http://127.0.0.1:{port}/health/ready  "
                f"metrics http://127.0.0.1:{port}/metrics  pid {pid or '-'}"
            )
    return 0 if all_up else 1


def main(argv: list[str]) -> int:
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
        services_up(REPLICAS)
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
            shutil.rmtree(VAR / sub, ignore_errors=True)
        say("state deleted; the next `make up` starts a fresh campaign")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
