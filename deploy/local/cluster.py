"""Cluster mode of the local stack: N RabbitMQ nodes on this machine, joined into one cluster.

``PASSPRO_CLUSTER=3`` (``make up CLUSTER=3``) starts nodes ``<name>-1@<host>`` to ``<name>-3@<host>``
(from ``PASSPRO_RABBIT_NODE``), node k on AMQP port ``PASSPRO_AMQP_PORT`` + k - 1 (its Erlang
distribution port 20000 higher) and management port ``PASSPRO_MANAGEMENT_PORT`` + k - 1, with its
state under ``var/rabbitmq/node-<k>/``. Node 1 loads the definitions at boot, the others join it,
and every quorum queue gets a member on every node. Every process is recorded by PID and stopped by it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from contracts import routing
from deploy import topology
from deploy.local.processes import as_user, chown, is_root, port_open, read_pid, say, stop_pid, wait_for
from deploy.local.rabbit import (
    PLUGINS,
    management,
    prune_stale_queues,
    rabbit_config,
    rabbit_env,
    stop_epmd_if_unused,
)
from deploy.local.settings import settings

SBIN = Path("/usr/lib/rabbitmq/bin")


@dataclass(frozen=True)
class Node:
    index: int
    name: str
    amqp_port: int
    management_port: int
    home: Path

    @property
    def pid_file(self) -> Path:
        return self.home / "rabbit.pid"

    @property
    def amqp_url(self) -> str:
        return f"amqp://127.0.0.1:{self.amqp_port}/{routing.VHOST}"

    def env(self) -> dict[str, str]:
        return rabbit_env(self.name, self.amqp_port, self.home)

    def running(self) -> bool:
        return read_pid(self.pid_file) is not None and port_open(self.amqp_port)


def recorded() -> int:
    """How many nodes a cluster formed under var/ has (0: none)."""
    conf = settings()
    return len(list(conf.rabbit.glob("node-*/rabbitmq.conf")))


def running() -> bool:
    """Whether a node of the recorded cluster runs."""
    return any(node.running() for node in nodes(recorded()))


def size() -> int:
    """``PASSPRO_CLUSTER`` when set, otherwise the cluster recorded under var/; 1 is a single node."""
    return settings().cluster or recorded() or 1


def nodes(count: int) -> list[Node]:
    conf = settings()
    prefix, _, host = conf.rabbit_node.partition("@")
    return [
        Node(
            k,
            f"{prefix}-{k}@{host or 'localhost'}",
            conf.amqp_port + k - 1,
            conf.management_port + k - 1,
            conf.rabbit / f"node-{k}",
        )
        for k in range(1, count + 1)
    ]


def amqp_url() -> str:
    """The services' ``PASSPRO_AMQP_URL``: every node, node 1 first; a service moves on when it loses one."""
    return ",".join(node.amqp_url for node in nodes(size()))


def _ctl(node: Node, *args: str, tool: str = "rabbitmqctl") -> str:
    done = subprocess.run(
        as_user("rabbitmq", [str(SBIN / tool), "-n", node.name, *args]),
        env=node.env(),
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done.stdout


def _ensure_cookie() -> None:
    """Nodes booting together would each write their own Erlang cookie, and could not talk to each other."""
    home = Path(rabbit_env()["HOME"])
    cookie = home / ".erlang.cookie"
    if cookie.exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    cookie.write_text(os.urandom(20).hex().upper())
    cookie.chmod(0o400)
    if is_root():
        chown(cookie, "rabbitmq")


def _start(node: Node, seed: bool, members: int) -> None:
    conf = settings()
    for port in (node.amqp_port, node.management_port, node.amqp_port + 20000):
        if port_open(port):
            raise SystemExit(f"[passpro] port {port} ({node.name}) is taken by a process this stack did not start")
    for sub in ("mnesia", "log"):
        (node.home / sub).mkdir(parents=True, exist_ok=True)
    (node.home / "enabled_plugins").write_text(PLUGINS)
    definitions = None
    if seed:
        definitions = node.home / "definitions.json"
        definitions.write_text(json.dumps(topology.definitions(), indent=1))
    # The nodes share the machine's memory: each gets its part of the usual watermark.
    (node.home / "rabbitmq.conf").write_text(
        rabbit_config(node.amqp_port, node.management_port, definitions, memory=0.6 / members)
    )
    chown(node.home, "rabbitmq")
    conf.log.mkdir(parents=True, exist_ok=True)
    node.pid_file.unlink(missing_ok=True)
    log = open(conf.log / f"rabbitmq-{node.index}.log", "ab")
    subprocess.Popen(
        as_user("rabbitmq", [str(SBIN / "rabbitmq-server")]),
        env=node.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd="/var/lib/rabbitmq" if is_root() else str(node.home),
        start_new_session=True,
    )


def _await(node: Node) -> None:
    wait_for(lambda: node.pid_file.exists(), 60, f"RabbitMQ {node.name}'s pid file")
    # A restarted member waits for the others it knew, which are starting at the same time.
    _ctl(node, "await_startup", "--timeout", "300")
    wait_for(lambda: port_open(node.management_port), 60, f"RabbitMQ {node.name}'s management UI")


def _members(seed: Node) -> set[str]:
    status = json.loads(_ctl(seed, "cluster_status", "--formatter", "json"))
    return set(status.get("disk_nodes", [])) | set(status.get("ram_nodes", []))


def _join(members: list[Node]) -> None:
    """Joined with rabbitmqctl rather than by peer discovery, which runs only on a blank node's first boot
    and, with nodes booting in parallel, may form two clusters: an explicit join works or fails loudly.
    A node not yet in the cluster holds nothing but its first boot's defaults, which ``reset`` drops."""
    seed = members[0]
    joined = _members(seed)
    for node in members[1:]:
        if node.name in joined:
            continue
        for args in (("stop_app",), ("reset",), ("join_cluster", seed.name), ("start_app",)):
            _ctl(node, *args)
        say(f"RabbitMQ {node.name} joined {seed.name}")


def _grow(members: list[Node]) -> None:
    """Queues declared before a node joined have no member there: give every quorum queue one on every node."""
    queues = management("GET", "queues?columns=name,vhost,type,members")
    assert isinstance(queues, list)
    for node in members:
        if any(q.get("type") == "quorum" and node.name not in q.get("members", []) for q in queues):
            _ctl(members[0], "grow", node.name, "all", tool="rabbitmq-queues")
            say(f"quorum queues grown onto {node.name}")


def up(count: int) -> None:
    """Starts the nodes that do not run (all at once: restarted members wait for each other), joins
    new ones, brings the topology up to date and replicates every quorum queue on every node."""
    conf = settings()
    if recorded() > count:
        raise SystemExit(
            f"[passpro] a {recorded()}-node cluster is recorded under {conf.rabbit}; "
            f"shrinking it to {count} is not supported: `make reset` first"
        )
    if read_pid(conf.rabbit / "rabbit.pid"):
        raise SystemExit("[passpro] this stack's single RabbitMQ node is running: `make down` before cluster mode")
    members = nodes(count)
    seed = members[0]
    seed_was_running = seed.running()
    _ensure_cookie()
    started = [node for node in members if not node.running()]
    for node in started:
        _start(node, node is seed, count)
    for node in started:
        _await(node)
    _join(members)
    if seed_was_running:
        # The seed loads the definitions at boot; a running one takes the topology as it is now.
        management("POST", "definitions", topology.definitions())
    _grow(members)
    prune_stale_queues()
    say(f"RabbitMQ cluster of {count} up: " + ", ".join(f"{n.name} on {n.amqp_port}" for n in members))


def down() -> None:
    """Stops every node of the recorded cluster by PID, all at once."""
    running = [(node, pid) for node in nodes(recorded()) if (pid := read_pid(node.pid_file)) is not None]
    if not running:
        return
    for _, pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    for node, pid in running:
        stop_pid(pid, f"RabbitMQ {node.name}", timeout=max(deadline - time.monotonic(), 1))
    stop_epmd_if_unused()
    say(f"RabbitMQ cluster stopped ({len(running)} nodes)")


def status() -> bool:
    """One line per node; True when every node runs."""
    members = nodes(size())
    for node in members:
        pid = read_pid(node.pid_file)
        state = "up" if node.running() else "down"
        print(
            f"{'broker ' + str(node.index):14} {state:5} {node.amqp_url}  node {node.name}  "
            f"management http://127.0.0.1:{node.management_port}/  pid {pid or '-'}"
        )
    print(
        f"management UI  {'up' if port_open(members[0].management_port) else 'down':5} "
        f"http://127.0.0.1:{members[0].management_port}/  (user {topology.ADMIN_USER}; every node has one)"
    )
    return all(node.running() for node in members)
