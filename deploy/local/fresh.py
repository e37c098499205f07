"""A fresh local campaign: the local stack's services stopped, their data, queues, mails and bonuses deleted, restarted.

``python -m deploy.local fresh --clock <ISO datetime>`` (what ``passpro simulate --fresh`` runs). RabbitMQ and
PostgreSQL keep running and what was installed stays; only the campaign played on the local stack (vhost
``passpro``, the service schemas of database ``passpro``, ``var/mail``, ``var/affelnet``) goes, and the services
come back on a virtual clock starting at ``--clock``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys

import aio_pika
import asyncpg

from contracts import routing
from deploy.database import ensure_service_schemas
from deploy.local.settings import ROOT, settings
from deploy.local.stack import replica_count
from ops.settings import OpsSettings


def fresh_local_campaign(clock: str) -> None:
    conf = settings()
    _local("infra-up")
    # A stack started with replicas gets them back (the cluster, if any, is remembered by deploy.local).
    replicas = str(conf.replicas or max(replica_count(), 1))
    _local("services-down")
    # The operators' administrative role, not a service's: it drops every service's schema.
    database_url = os.environ.get("PASSPRO_ADMIN_DATABASE_URL", conf.addresses.admin_database)
    asyncio.run(empty_campaign(database_url, OpsSettings().admin_amqp_url))
    for sub in ("mail", "affelnet"):
        shutil.rmtree(conf.var / sub, ignore_errors=True)
    print(
        f"[passpro] local campaign deleted: service schemas, queues of vhost {routing.VHOST}, mails, bonuses",
        flush=True,
    )
    _local("up", "--virtual", clock=clock, replicas=replicas)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local fresh", description=__doc__.splitlines()[0])
    parser.add_argument("--clock", required=True, help="the virtual clock's start (ISO 8601), the campaign's opening")
    fresh_local_campaign(parser.parse_args(argv).clock)
    return 0


def _local(*argv: str, clock: str | None = None, replicas: str | None = None) -> None:
    """Each step in a process of its own, as ``make`` runs them: it reads the settings it is given."""
    env = {
        **os.environ,
        **({"PASSPRO_CLOCK": clock} if clock else {}),
        **({"PASSPRO_REPLICAS": replicas} if replicas else {}),
    }
    subprocess.run([sys.executable, "-m", "deploy.local", *argv], check=True, cwd=ROOT, env=env)


async def empty_campaign(database_url: str, admin_url: str) -> None:
    """Every service schema of ``database_url`` dropped and made again, every queue of ``admin_url``'s vhost emptied.

    ``database_url`` is the administrator's (a member of every service role). Each schema comes back
    owned by its service's role, which then migrates it at its next start; the queues stay declared.
    """
    conn = await asyncpg.connect(database_url)
    try:
        for service in routing.SERVICES:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{service}" CASCADE')
        await ensure_service_schemas(conn)
    finally:
        await conn.close()
    connection = await aio_pika.connect(admin_url)
    async with connection:
        channel = await connection.channel()
        for spec in routing.QUEUES:
            for name in (spec.name, spec.parking):
                queue = await channel.get_queue(name, ensure=False)
                await queue.purge()
