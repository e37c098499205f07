"""Running one service process: settings, migrations, pool, subscribers, outbox relay, health, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import signal
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import asyncpg
import structlog
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from contracts import routing
from contracts.campaign import Campaign, CampaignFileError, load_campaign
from services.runtime import failover, logs
from services.runtime.consumer import Consumer
from services.runtime.database import RUNTIME_SQL, create_pool, migrate, pending_migrations
from services.runtime.database import runtime_queries as q
from services.runtime.periodic import run_periodic
from services.runtime.relay import OutboxRelay
from services.runtime.retries import Retries
from services.runtime.service import Periodic, ReadRefused, Service, WorkerContext
from services.runtime.settings import ServiceSettings
from services.runtime.subscriptions import Handle, Subscriptions

log = structlog.get_logger()
AGAIN_AFTER_WORK = 0.05
"""Seconds before a periodic routine that wrote events runs again: what it left is taken soon."""


def parse_clock(value: str) -> datetime | None:
    """``wall`` or an ISO-8601 instant with an offset, where a virtual clock starts."""
    if value.strip().lower() == "wall":
        return None
    instant = datetime.fromisoformat(value.strip())
    if instant.tzinfo is None:
        raise ValueError(f"PASSPRO_CLOCK={value!r}: the instant needs an offset, e.g. 2013-02-04T08:00:00+01:00")
    return instant


class _QuietServer(uvicorn.Server):
    """The health server lives inside the service's loop; the service owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ServiceProcess:
    def __init__(
        self, service: Service, settings: ServiceSettings, campaign: Campaign, start_clock: datetime | None
    ) -> None:
        self.service = service
        self.settings = settings
        self.campaign = campaign
        self.start_clock = start_clock
        self.streams = {"runtime": RUNTIME_SQL / "migrations", service.name: service.sql_dir / "migrations"}
        self.queues = [spec for spec in routing.QUEUES if spec.service == service.name]
        self.broker_url = settings.broker_url(service.name)
        self.pool: asyncpg.Pool | None = None
        self.relay: OutboxRelay | None = None
        self.retries: Retries | None = None
        self.subscriptions: Subscriptions | None = None
        self.server: _QuietServer | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._periodic_tasks: list[asyncio.Task[None]] = []
        self._workers: list[asyncio.Task[None]] = []
        self._workers_context: WorkerContext | None = None
        self._clock_moved: list[asyncio.Event] = []
        """One per periodic routine: set when the virtual clock moved, so time-driven work is looked at now."""
        self._consumers_missing_since: float | None = None

    async def start(self) -> None:
        s = self.settings
        database = s.database_login(self.service.name)
        applied = await migrate(database, self.service.name, self.streams)
        log.info("migrations_applied", applied=applied, role=database.user or "named in the URL")
        self.pool = await create_pool(database, self.service.name, s.db_pool_size)
        async with self.pool.acquire() as conn:
            await q.init_clock(conn, base=self.start_clock)
            if self.start_clock is not None:
                await q.move_clock(conn, to=self.start_clock)
            else:
                await q.use_wall_clock(conn)
        self.relay = OutboxRelay(self.pool, self.broker_url, app_id=self.service.name)
        await self.relay.start()
        assert self.relay.connection is not None
        # Copies sent to wait after a transient failure: confirmed, and an unroutable one raises (never vanishes).
        retry_channel = await self.relay.connection.channel(publisher_confirms=True, on_return_raises=True)
        self.retries = Retries(retry_channel, self.service.name, self.relay.user_id)
        # The consumer connection goes to the node the relay reached, then follows the cluster the same way.
        nodes = failover.starting_at(failover.nodes(self.broker_url), self.relay.connection)
        self.subscriptions = Subscriptions(nodes, prefetch=s.prefetch, connection_name=f"{self.service.name}-consumer")
        await self.subscriptions.start({spec.name: self._handler(spec) for spec in self.queues})
        for periodic in self.service.periodic:
            self._periodic_tasks.append(asyncio.create_task(self._run_periodic(periodic), name=periodic.name))
        self._workers_context = WorkerContext(self.pool, self.campaign, self.service.name, self.relay.notify)
        for worker in self.service.workers:
            self._workers.append(asyncio.create_task(worker(self._workers_context), name=worker.__name__))
        await self._start_health()
        log.info(
            "service_started",
            queues=[spec.name for spec in self.queues],
            clock="virtual" if self.start_clock else "wall",
        )

    def _handler(self, spec: routing.QueueSpec) -> Handle:
        assert self.pool is not None and self.relay is not None
        consumer = Consumer(
            service=self.service,
            queue=spec,
            pool=self.pool,
            campaign=self.campaign,
            virtual_clock=self.start_clock is not None,
            operator_user=self.settings.operator_user,
            on_clock_moved=self._wake_periodic,
            hand_off=self.relay.submit,
            batch_size=self.settings.batch_size,
            batch_linger=self.settings.batch_linger,
            retries=self.retries,
        )
        return consumer.deliver

    def _wake_periodic(self) -> None:
        for moved in self._clock_moved:
            moved.set()

    async def _run_periodic(self, periodic: Periodic) -> None:
        """Every ``interval`` seconds, and at once when the clock moved: never because messages came.

        A sweep costs a transaction and its reads whatever it finds; run after each message, it was
        most of the cost of a message. Work a message makes due waits for the routine's next turn. A run
        that found work comes back soon after (a routine takes a bounded batch), until one finds none.
        """
        assert self.pool is not None and self.relay is not None
        moved = asyncio.Event()
        self._clock_moved.append(moved)
        pause = periodic.interval
        while True:
            try:
                await asyncio.wait_for(moved.wait(), pause)
            except TimeoutError:
                pass
            moved.clear()
            pause = periodic.interval
            try:
                written = await run_periodic(
                    periodic,
                    service=self.service,
                    pool=self.pool,
                    campaign=self.campaign,
                    virtual_clock=self.start_clock is not None,
                    hand_off=self.relay.submit,
                )
            except Exception:
                log.exception("periodic_failed", routine=periodic.name)
                continue
            if written:
                pause = min(periodic.interval, AGAIN_AFTER_WORK)

    async def _start_health(self) -> None:
        app = Starlette(
            routes=[
                Route("/health/live", self._live),
                Route("/health/ready", self._ready),
                Route("/metrics", self._metrics),
                Route("/campaign", self._campaign),
                Route("/read/{name}", self._read),
                Route("/act/{name}", self._act, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host=self.settings.health_host,
            port=self.settings.health_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self.server = _QuietServer(config)
        self._server_task = asyncio.create_task(self.server.serve(), name="health-server")
        while not self.server.started:
            await asyncio.sleep(0.02)

    async def own_consumers(self) -> dict[str, int] | None:
        """This process's consumers per queue (``Subscriptions.own_consumers``); None while disconnected.

        The broker's consumer count includes the other replicas: one replica that lost its consumers
        would hide behind the others.
        """
        return None if self.subscriptions is None else await self.subscriptions.own_consumers()

    async def consumers_lost_for(self, now: float) -> float:
        """Seconds this process has gone without one of its consumers while connected (0: it has them all)."""
        counts = await self.own_consumers()
        if counts is None or all(counts.values()):
            self._consumers_missing_since = None
            return 0.0
        if self._consumers_missing_since is None:
            self._consumers_missing_since = now
        return now - self._consumers_missing_since

    async def _live(self, _: Request) -> Response:
        """Not live once a consumer stayed lost longer than the grace: only a restart brings it back."""
        lost = await self.consumers_lost_for(time.monotonic())
        live = lost <= self.settings.liveness_grace
        body = {"service": self.service.name, "live": live, "own_consumers": await self.own_consumers()}
        if not live:
            body["problem"] = f"a consumer has been missing for {lost:.0f} s"
            log.error("consumers_lost", seconds=round(lost, 1))
        return JSONResponse(body, status_code=200 if live else 503)

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            assert self.pool is not None
            checks["database"] = await asyncio.wait_for(self._database_ok(), 2)
        except Exception as error:  # readiness reports, it does not raise
            checks["database"] = f"unreachable: {type(error).__name__}"
        checks["broker"] = bool(self.subscriptions is not None and await self.subscriptions.ping(timeout=2))
        checks["outbox_relay"] = bool(self.relay is not None and self.relay.healthy)
        try:
            checks["consumers"] = await asyncio.wait_for(self._consumers(), 3)
        except Exception as error:
            checks["consumers"] = f"unknown: {type(error).__name__}"
        checks["own_consumers"] = await self.own_consumers()
        return checks

    async def _database_ok(self) -> bool | str:
        assert self.pool is not None
        pending = await pending_migrations(self.pool, self.streams)
        return True if pending == 0 else f"{pending} migrations pending"

    async def _consumers(self) -> dict[str, int]:
        """Every replica's consumers per queue, as the broker counts them."""
        assert self.relay is not None and self.relay.connection is not None
        counts = {}
        channel = await self.relay.connection.channel()
        try:
            for spec in self.queues:
                queue = await channel.declare_queue(spec.name, passive=True)
                counts[spec.name] = queue.declaration_result.consumer_count
        finally:
            await channel.close()
        return counts

    async def _ready(self, _: Request) -> Response:
        checks = await self.readiness()
        consumers, own = checks["consumers"], checks["own_consumers"]
        ok = (
            checks["database"] is True
            and checks["broker"]
            and checks["outbox_relay"]
            and isinstance(consumers, dict)
            and all(n > 0 for n in consumers.values())
            and isinstance(own, dict)
            and all(n > 0 for n in own.values())
        )
        return JSONResponse(
            {"service": self.service.name, "ready": ok, "checks": checks}, status_code=200 if ok else 503
        )

    async def _campaign(self, _: Request) -> Response:
        """The service's counts of the running campaign, read from its own tables in one snapshot."""
        if self.service.figures is None or self.pool is None:
            return JSONResponse({"service": self.service.name, "error": "no figures"}, status_code=404)
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            now = await q.current_instant(conn)
            figures = await self.service.figures(conn, self.campaign, now)
        return JSONResponse(
            {
                "service": self.service.name,
                "campaign": self.campaign.campaign,
                "now": now.isoformat(),
                "figures": figures,
            }
        )

    async def _read(self, request: Request) -> Response:
        """An operators' view with personal data: only with the operators' token, read in one snapshot."""
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.settings.ops_token}".encode()):
            return JSONResponse({"error": "the operators' token is required"}, status_code=401)
        read = self.service.reads.get(request.path_params["name"])
        if read is None or self.pool is None:
            return JSONResponse({"error": f"{self.service.name} has no such view"}, status_code=404)
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            now = await q.current_instant(conn)
            try:
                answer = await read(conn, self.campaign, now, dict(request.query_params))
            except ReadRefused as refused:
                return JSONResponse({"error": str(refused)}, status_code=400)
        return JSONResponse(answer)

    async def _act(self, request: Request) -> Response:
        """An operators' action (a replay after a fix): only with the operators' token, in one transaction."""
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.settings.ops_token}".encode()):
            return JSONResponse({"error": "the operators' token is required"}, status_code=401)
        act = self.service.actions.get(request.path_params["name"])
        if act is None or self.pool is None:
            return JSONResponse({"error": f"{self.service.name} has no such action"}, status_code=404)
        async with self.pool.acquire() as conn, conn.transaction():
            now = await q.current_instant(conn)
            try:
                answer = await act(conn, self.campaign, now, dict(request.query_params))
            except ReadRefused as refused:
                return JSONResponse({"error": str(refused)}, status_code=400)
        return JSONResponse(answer)

    async def _metrics(self, _: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def stop(self) -> None:
        log.info("service_stopping")
        for task in self._periodic_tasks:
            task.cancel()
        if self._workers_context is not None:
            self._workers_context.stopping.set()  # each finishes its round: what the outside took gets recorded
        if self.subscriptions is not None:
            await self.subscriptions.stop(self.settings.graceful_timeout)  # in-flight handlers finish first
        if self._workers:
            _, busy = await asyncio.wait(self._workers, timeout=self.settings.graceful_timeout)
            for task in busy:
                log.warning("worker_cancelled_after_grace", worker=task.get_name())
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
        if self.relay is not None:
            await self.relay.stop()
        if self.server is not None:
            self.server.should_exit = True
        if self.pool is not None:
            await self.pool.close()
        log.info("service_stopped")


async def _main(service: Service) -> int:
    settings = ServiceSettings()
    try:
        campaign = load_campaign(settings.campaign_file)
        start_clock = parse_clock(settings.clock)
    except (CampaignFileError, ValueError) as error:
        log.error("configuration_invalid", problem=str(error))
        print(f"{service.name}: {error}", file=sys.stderr)
        return 2
    process = ServiceProcess(service, settings, campaign, start_clock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await process.start()
    except Exception:
        log.exception("service_start_failed")
        await process.stop()
        return 1
    await stop.wait()
    await process.stop()
    return 0


def run(service: Service) -> None:
    """``python -m services.<name>``: runs until SIGTERM, then drains and stops."""
    import uvloop

    logs.configure(service.name)
    raise SystemExit(uvloop.run(_main(service)))
