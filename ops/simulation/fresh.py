"""A fresh local campaign: the local stack's services stopped, their data, queues, mails and bonuses deleted, restarted.

RabbitMQ and PostgreSQL keep running and what was installed stays; only the campaign played on the local
stack (vhost ``passpro``, the service schemas of database ``passpro``, ``var/mail``, ``var/affelnet``) goes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import datetime, time

import aio_pika
import asyncpg

from contracts import routing
from contracts.campaign import Campaign
from deploy.database import ensure_service_schemas
from deploy.local.settings import ROOT, settings
from deploy.local.stack import replica_count
from ops.settings import OpsSettings


def opening(campaign: Campaign) -> datetime:
    """The campaign's first morning, where a fresh virtual clock starts."""
    return datetime.combine(campaign.calendar.opens_on, time(8), campaign.tz)


def fresh_local_campaign(campaign: Campaign) -> None:
    _local("infra-up")
    # A stack started with replicas gets them back (the cluster, if any, is remembered by deploy.local).
    replicas = os.environ.get("PASSPRO_REPLICAS") or str(max(replica_count(), 1))
    _local("services-down")
    # The operators' administrative role, not a service's: it drops every service's schema.
    database_url = os.environ.get("PASSPRO_ADMIN_DATABASE_URL", settings().addresses.admin_database)
    asyncio.run(empty_campaign(database_url, OpsSettings().admin_amqp_url))
    for sub in ("mail", "affelnet"):
        shutil.rmtree(settings().var / sub, ignore_errors=True)
    print(f"[passpro] local campaign deleted: service schemas, queues of vhost {routing.VHOST}, mails, bonuses",
          flush=True)
    _local("up", "--virtual", clock=opening(campaign).isoformat(), replicas=replicas)


def _local(*argv: str, clock: str | None = None, replicas: str | None = None) -> None:
    env = {**os.environ, **({"PASSPRO_CLOCK": clock} if clock else {}),
           **({"PASSPRO_REPLICAS": replicas} if replicas else {})}
    subprocess.run([sys.executable, "-m", "deploy.local", *argv], check=True, cwd=ROOT, env=env)  # noqa: S603


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
