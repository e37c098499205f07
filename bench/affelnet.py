"""``make bench-affelnet``: bonuses delivered per second to an Affelnet that answers in 50 ms.

The affelnet_export sender runs against a fresh schema of the local PostgreSQL holding N due bonuses
(default 20,000) and posts them over real HTTP to the local receiver, with the bounded concurrency
the service uses (PASSPRO_AFFELNET_CONCURRENCY, default 16). Figures: bonuses/s, concurrency, and
deliveries per bonus (must be exactly 1).

The service is reached through its composition table (``services.affelnet_export.app.SERVICE``): its schema
migrated from ``SERVICE.sql_dir`` as the runtime migrates it, its own workers run with a ``WorkerContext``, its
settings from PASSPRO_AFFELNET_*. The due bonuses are written as the handlers leave them (docs/architecture.md:
``pending``, the points, the key ``passpro-<campaign>-<ine>-<formation>``): made through final opinions over
the broker instead, the figure would be the handlers' and the broker's, not the sender's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid

from contracts.campaign import load_campaign
from deploy.local.settings import settings
from harness.affelnet_receiver import AffelnetReceiver, serve
from services.affelnet_export.app import SERVICE
from services.runtime.database import RUNTIME_SQL, create_pool, migrate
from services.runtime.service import WorkerContext

PORT = 18190


async def main(n: int, latency: float, concurrency: int) -> dict[str, object]:
    dsn = os.environ.get("PASSPRO_ADMIN_DATABASE_URL", settings().addresses.admin_database)
    schema = f"bench_affelnet_{uuid.uuid4().hex[:8]}"
    await migrate(dsn, schema, {"runtime": RUNTIME_SQL / "migrations", SERVICE.name: SERVICE.sql_dir / "migrations"})
    pool = await create_pool(dsn, schema, 20)
    campaign = load_campaign()
    receiver = AffelnetReceiver("bench-token", latency=latency)
    server, task = await serve(receiver, PORT)
    os.environ.update(
        PASSPRO_AFFELNET_URL=f"http://127.0.0.1:{PORT}",
        PASSPRO_AFFELNET_TOKEN="bench-token",  # noqa: S106
        PASSPRO_AFFELNET_CONCURRENCY=str(concurrency),
    )
    try:
        rows = [
            (
                campaign.campaign,
                f"{i:010d}B",
                "cap-cuisine",
                "tres_favorable",
                40,
                f"passpro-{campaign.campaign}-{i:010d}B-cap-cuisine",
            )
            for i in range(n)
        ]
        await pool.copy_records_to_table(
            "bonuses",
            records=[(*r, "pending") for r in rows],
            schema_name=schema,
            columns=["campaign", "ine", "formation_code", "final_opinion", "bonus_points", "idempotency_key", "state"],
        )
        started = time.perf_counter()
        context = WorkerContext(pool, campaign, SERVICE.name, lambda: None)
        workers = [asyncio.create_task(worker(context)) for worker in SERVICE.workers]
        while await pool.fetchval("SELECT count(*) FROM bonuses WHERE state <> 'delivered'"):
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
        for running in workers:
            running.cancel()
        attempts = sorted(receiver.attempts.values())
        result = {
            "bonuses": n,
            "affelnet_latency_ms": latency * 1000,
            "concurrency": concurrency,
            "seconds": round(elapsed, 1),
            "bonuses_per_s": round(n / elapsed),
            "recorded_by_affelnet": len(receiver.accepted),
            "posts_per_bonus": {"min": attempts[0], "max": attempts[-1]},
            "events_in_outbox": await pool.fetchval("SELECT count(*) FROM outbox"),
        }
    finally:
        server.should_exit = True
        await task
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    figures = asyncio.run(main(args.n, args.latency, args.concurrency))
    print(json.dumps(figures, indent=2))
    (settings().var / "report").mkdir(parents=True, exist_ok=True)
    (settings().var / "report" / "bench-affelnet.json").write_text(json.dumps(figures, indent=2))
