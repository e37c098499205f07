"""A RabbitMQ node of the local stack: its environment, configuration and management API (one node or a cluster)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from contracts import routing
from deploy import topology
from deploy.local.processes import as_user, is_root, say
from deploy.local.settings import settings


def rabbit_env(node: str | None = None, amqp_port: int | None = None, home: Path | None = None) -> dict[str, str]:
    """A node's environment: the single node's (from the settings) unless a cluster's node is named."""
    conf = settings()
    node, amqp_port, home = node or conf.rabbit_node, amqp_port or conf.amqp_port, home or conf.rabbit
    env = dict(os.environ)
    env.update(
        # The nodes of a cluster and the CLI share one Erlang cookie, in HOME.
        HOME="/var/lib/rabbitmq" if is_root() else str(conf.rabbit),
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


def rabbit_config(amqp_port: int, management_port: int, definitions: Path | None, memory: float = 0.6) -> str:
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


def await_startup(node: str, env: dict[str, str], timeout: float = 180) -> None:
    """``await_startup`` fails at once while the node has not registered with epmd yet (a cold start)."""
    conf = settings()
    deadline = time.monotonic() + timeout
    while True:
        done = subprocess.run(
            as_user("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", node, "await_startup"]),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            sys.stderr.write(done.stderr.decode(errors="replace"))
            raise SystemExit(f"[passpro] RabbitMQ node {node} did not start: see {conf.log / 'rabbitmq.log'}")
        time.sleep(1)


def management(method: str, path: str, body: object = None) -> object:
    conf = settings()
    data = json.dumps(body).encode() if body is not None else None
    url = f"http://127.0.0.1:{conf.management_port}/api/{path}"
    request = urllib.request.Request(url, method=method, data=data)
    request.add_header("Content-Type", "application/json")
    credentials = f"{topology.ADMIN_USER}:{topology.accounts()[0].password}".encode()
    request.add_header("Authorization", "Basic " + base64.b64encode(credentials).decode())
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        body = response.read()
    return json.loads(body) if body else None


def prune_stale_queues() -> None:
    """Definitions only add: a queue the topology no longer has would fill up with nobody reading it.

    Empty ones are deleted; one that still holds messages is left for an operator, with a warning.
    """
    wanted = {(q["vhost"], q["name"]) for q in topology.definitions()["queues"]}
    queues = management("GET", "queues?columns=name,vhost,messages")
    assert isinstance(queues, list)
    for queue in queues:
        key = (queue["vhost"], queue["name"])
        if queue["vhost"] not in (routing.VHOST, topology.TEST_VHOST) or key in wanted:
            continue
        if queue["name"].startswith(("amq.gen-", "bench.")):
            continue
        if queue.get("messages"):
            say(
                f"queue {queue['name']} ({queue['vhost']}) is no longer in the topology but holds "
                f"{queue['messages']} messages: inspect it in the management UI"
            )
            continue
        vhost = urllib.parse.quote(queue["vhost"], safe="")
        management("DELETE", f"queues/{vhost}/{urllib.parse.quote(queue['name'], safe='')}")
        say(f"deleted queue {queue['name']} ({queue['vhost']}): no longer in the topology")


def stop_epmd_if_unused() -> None:
    """The first node started Erlang's port mapper; stop it too unless another node still uses it."""
    epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
    names = subprocess.run([epmd, "-names"], capture_output=True, text=True, check=False)
    if names.returncode == 0 and "name " not in names.stdout:
        subprocess.run([epmd, "-kill"], capture_output=True, check=False)
