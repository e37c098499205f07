"""The cluster tests' own stack: three RabbitMQ nodes, PostgreSQL and the five services, through deploy.local.

Collected only when asked for by path (``make test-cluster``, ``pytest tests/cluster``): booting three
brokers takes time that ``pytest tests`` should not pay. The ports are its own, so it runs beside the
local stack and the end-to-end tests; a lock keeps two runs from sharing them.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "test-cluster"
NODES = 3
AMQP_PORT = 5791
"""Node k listens on AMQP_PORT + k - 1 (Erlang distribution 20000 higher), its management on MANAGEMENT_PORT + k - 1."""
MANAGEMENT_PORT = 15791
PG_PORT = 5790
HEALTH_BASE_PORT = 18781
NODE_PREFIX = "passpro-test-cluster"
CLOCK = "2013-02-12T09:00:00+01:00"
"""Registrations are open; slots may be declared from six days later (R17's notice is five)."""
LOCK = ROOT / "var" / "test-cluster.lock"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    here = Path(__file__).resolve().parent
    for arg in config.invocation_params.args:
        target = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if target == here or here in target.parents:
            return None
    return True


class ClusterStack:
    """Runs ``python -m deploy.local`` with this stack's settings only, and looks at its nodes."""

    def __init__(self) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PASSPRO_") or k == "PASSPRO_PG_BIN"}
        self.env.update(
            PASSPRO_VAR=str(VAR),
            PASSPRO_CLUSTER=str(NODES),
            PASSPRO_RABBIT_NODE=f"{NODE_PREFIX}@localhost",
            PASSPRO_AMQP_PORT=str(AMQP_PORT),
            PASSPRO_MANAGEMENT_PORT=str(MANAGEMENT_PORT),
            PASSPRO_PG_PORT=str(PG_PORT),
            PASSPRO_HEALTH_BASE_PORT=str(HEALTH_BASE_PORT),
            PASSPRO_AFFELNET_PORT="18791",
            PASSPRO_SMTP_PORT="18792",
            PASSPRO_REPLICAS="1",
            PASSPRO_CLOCK=CLOCK,
            PYTHONPATH=str(ROOT),
        )
        self.database_url = f"postgresql://passpro:passpro@127.0.0.1:{PG_PORT}/passpro"

    def node(self, k: int) -> str:
        return f"{NODE_PREFIX}-{k}@localhost"

    def portal_url(self, k: int) -> str:
        return f"amqp://portal:portal@127.0.0.1:{AMQP_PORT + k - 1}/passpro"

    async def deploy(self, *args: str) -> float:
        """``python -m deploy.local <args>``; returns how long it took."""
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "deploy.local", *args, env=self.env, cwd=ROOT)
        if await proc.wait() != 0:
            raise RuntimeError(f"deploy.local {' '.join(args)} failed ({proc.returncode}); see {VAR / 'log'}")
        return time.monotonic() - started

    async def kill(self, k: int) -> None:
        """The node dies as in a crash: SIGKILL, no goodbye to its clients or its peers."""
        pid = int((VAR / "rabbitmq" / f"node-{k}" / "rabbit.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.node(k)} (pid {pid}) still runs after SIGKILL")

    async def api(self, path: str, via: int) -> Any:
        """The management API of node ``via`` (any node answers for the whole cluster)."""
        async with httpx.AsyncClient(auth=("passpro-admin", "passpro-admin"), timeout=10) as client:
            response = await client.get(f"http://127.0.0.1:{MANAGEMENT_PORT + via - 1}/api/{path}")
            response.raise_for_status()
            return response.json()

    async def metric(self, name: str, label: str) -> float:
        """The sum of a counter over the five services, for the samples carrying ``label``."""
        total = 0.0
        async with httpx.AsyncClient(timeout=5) as client:
            for i in range(5):
                text = (await client.get(f"http://127.0.0.1:{HEALTH_BASE_PORT + i}/metrics")).text
                total += sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in text.splitlines()
                    if line.startswith(name + "{") and label in line
                )
        return total


def _exclusive() -> IO[str]:
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    handle = LOCK.open("a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


@pytest.fixture(scope="session")
async def cluster() -> AsyncIterator[ClusterStack]:
    lock = await asyncio.to_thread(_exclusive)
    try:
        stack = ClusterStack()
        await stack.deploy("reset")
        try:
            took = await stack.deploy("up", "--virtual")
            print(f"\ncluster stack up in {took:.0f} s")
            yield stack
        finally:
            took = await stack.deploy("down")
            print(f"\ncluster stack down in {took:.0f} s")
    finally:
        lock.close()
