"""Which failures are transient (the database or the broker away: wait and try again) and which are poison."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import structlog
from aiormq.exceptions import AMQPConnectionError, ChannelInvalidStateError, ConnectionClosed
from asyncpg.exceptions import InternalClientError

from services.runtime.metrics import RECORD_WAITS

T = TypeVar("T")
log = structlog.get_logger()
RECORD_WAIT_FIRST, RECORD_WAIT_CAP = 0.2, 5.0
"""Seconds between two tries to record an outside result while the database is away: growing, then capped."""

_DATABASE_AWAY: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08: cannot connect, connection lost or rejected
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: stopped by an administrator (a restart)
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.InsufficientResourcesError,  # class 53: too many connections, out of memory or disk
    asyncpg.SerializationError,  # 40001: another transaction won; the same work succeeds when tried again
    asyncpg.DeadlockDetectedError,  # 40P01
    asyncpg.LockNotAvailableError,  # 55P03
)
_BROKER_AWAY: tuple[type[BaseException], ...] = (AMQPConnectionError, ChannelInvalidStateError, ConnectionClosed)
_CLIENT_MESSAGES = ("connection is closed", "pool is closing", "pool is closed", "connection was closed")
"""What asyncpg's InterfaceError says when the connection or pool went away under a handler.

Not "another operation is in progress": that InterfaceError says two operations were started at once on one
connection (a handler that did not await a query, or ran two together on its connection): a bug, which must
count towards parking to be seen."""
_CONNECTION_DYING = ("another operation (2) is in progress", 'protocol is in the "failed" state', "not connected")
"""What asyncpg's InternalClientError says of a pooled connection the server has just failed: the server's last
error (e.g. 57P01 when PostgreSQL stops) arrived while the connection sat idle in the pool, leaving it waiting for
an end that never comes (state 2: consuming an error); the next BEGIN on it fails so."""
_NETWORK_DOWN = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.ETIMEDOUT})
_DEPTH = 10


def is_transient(error: BaseException) -> bool:
    """True when ``error`` says a server is away, not that the message is bad.

    A transient failure (the database refusing or losing connections, a pool acquire timing out, the broker's
    connection or channel gone) would not happen on a healthy system: the delivery waits and is tried again
    without counting towards parking. Anything else (a bug, a constraint the data breaks) fails the same way
    every time: it counts towards the delivery limit and is parked. The chain of causes is followed, so a
    handler that wraps a lost connection in its own exception is still transient.
    """
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < _DEPTH:
        if isinstance(current, _DATABASE_AWAY + _BROKER_AWAY):
            return True
        if isinstance(current, (ConnectionError, TimeoutError)):  # refused, reset; a pool acquire timing out
            return True
        if isinstance(current, OSError) and current.errno in _NETWORK_DOWN:
            return True
        if isinstance(current, asyncpg.InterfaceError) and any(
            text in str(current).lower() for text in _CLIENT_MESSAGES
        ):
            return True
        if isinstance(current, InternalClientError) and any(text in str(current) for text in _CONNECTION_DYING):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def retry_delay(retries_before: int, delays: tuple[int, ...]) -> int:
    """Seconds the next wait lasts after ``retries_before`` earlier waits: growing, then capped at the last."""
    return delays[min(max(retries_before, 0), len(delays) - 1)]


async def until_recorded(work: str, record: Callable[[], Awaitable[T]]) -> T:
    """Records what the outside world already did (SMTP took a mail, Affelnet a bonus), whatever the database
    does meanwhile: while it is away, holds on and tries again until it is back.

    Given up, the sender's lease would run out and the work be done a second time. The lease token fences the
    late record: a sender that took the lease over in between wins, and this record changes nothing. A failure
    that is not transient (a bug) is raised as before.
    """
    wait = RECORD_WAIT_FIRST
    while True:
        try:
            return await record()
        except Exception as error:
            if not is_transient(error):
                raise
            RECORD_WAITS.labels(work=work).inc()
            log.warning("record_waiting", work=work, error=type(error).__name__, retry_in_s=wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, RECORD_WAIT_CAP)
