"""The fault run's own RabbitMQ and PostgreSQL: started, stopped and restarted through ``deploy.local``.

``deploy.local`` reads its ports, node name and state directory when it is imported, so each action runs
it in a child process with the run's ``PASSPRO_*`` settings; ``python -m tools.faults.infra
broker-down|broker-up|database-down|database-up`` is that child for the restarts. The management API
and the database are read from here for the checks.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
VHOST = "passpro"


@dataclass(frozen=True)
class Infra:
    var: Path
    amqp_port: int
    management_port: int
    pg_port: int
    node: str

    def env(self) -> dict[str, str]:
        """The environment ``deploy.local`` runs in: only this run's settings (and where PostgreSQL lives)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PASSPRO_") or k == "PASSPRO_PG_BIN"}
        env.update(
            PASSPRO_VAR=str(self.var),
            PASSPRO_AMQP_PORT=str(self.amqp_port),
            PASSPRO_MANAGEMENT_PORT=str(self.management_port),
            PASSPRO_PG_PORT=str(self.pg_port),
            PASSPRO_RABBIT_NODE=self.node,
            PYTHONPATH=str(ROOT),
        )
        return env

    @property
    def log(self) -> Path:
        return self.var / "log"

    def amqp_url(self, user: str | None = None) -> str:
        """The vhost's URL, with ``user`` (password = account name on a fresh broker), or none for the services."""
        credentials = f"{user}:{user}@" if user else ""
        return f"amqp://{credentials}127.0.0.1:{self.amqp_port}/{VHOST}"

    @property
    def database_url(self) -> str:
        """The administrator's, for the run's checks (a member of every service role)."""
        return f"postgresql://passpro:passpro@127.0.0.1:{self.pg_port}/passpro"

    @property
    def services_database_url(self) -> str:
        """Naming no user: each service connects as its own role, as on the local stack."""
        return f"postgresql://127.0.0.1:{self.pg_port}/passpro"

    def _log_file(self) -> Any:
        self.log.mkdir(parents=True, exist_ok=True)
        return (self.log / "infra.log").open("ab")

    async def _run(self, *argv: str) -> None:
        with self._log_file() as out:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, *argv, env=self.env(), cwd=ROOT, stdout=out, stderr=out
            )
            code = await proc.wait()
        if code:
            raise RuntimeError(f"{' '.join(argv)} failed ({code}); see {self.log / 'infra.log'}")

    async def fresh(self) -> None:
        """Stops what an earlier run left, deletes its state, and starts an empty broker and database."""
        await self._run("-m", "deploy.local", "infra-down")
        for sub in ("rabbitmq", "postgres", "log", "report"):
            shutil.rmtree(self.var / sub, ignore_errors=True)
        # What ``deploy.local infra-up`` does, both halves at once.
        await asyncio.gather(self.broker("up"), self.database("up"))

    async def down(self) -> None:
        await self._run("-m", "deploy.local", "infra-down")

    async def broker(self, action: str) -> None:
        await self._run("-m", "tools.faults.infra", f"broker-{action}")

    async def database(self, action: str) -> None:
        await self._run("-m", "tools.faults.infra", f"database-{action}")

    async def management(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(auth=("passpro-admin", "passpro-admin"), timeout=10) as client:
            url = f"http://127.0.0.1:{self.management_port}/api/{path}"
            response = await (client.post(url, json=body) if body is not None else client.get(url))
            response.raise_for_status()
            return response.json()

    async def queues(self) -> dict[str, dict[str, Any]]:
        """Each queue of the vhost: messages (ready and unacknowledged) and consumers."""
        rows = await self.management(
            f"queues/{VHOST}?columns=name,messages,messages_ready,messages_unacknowledged,consumers"
        )
        return {row["name"]: row for row in rows}

    async def peek(self, queue: str, count: int) -> list[dict[str, Any]]:
        """The messages at the head of ``queue``, left in it."""
        name = urllib.parse.quote(queue, safe="")
        return list(
            await self.management(
                f"queues/{VHOST}/{name}/get",
                {"count": count, "ackmode": "ack_requeue_true", "encoding": "auto", "truncate": 300},
            )
        )

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url, timeout=10)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()


def main(argv: list[str]) -> int:
    """The child process of a restart: ``deploy.local`` imported here reads this run's settings."""
    from deploy.local import stack as local

    actions = {
        "broker-down": local.rabbit_down,
        "broker-up": local.rabbit_up,
        "database-down": local.pg_down,
        "database-up": local.pg_up,
    }
    if len(argv) != 1 or argv[0] not in actions:
        print(f"usage: python -m tools.faults.infra {'|'.join(actions)}", file=sys.stderr)
        return 2
    actions[argv[0]]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
