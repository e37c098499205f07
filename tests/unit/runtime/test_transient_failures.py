"""Which failures wait and are tried again (the database or the broker away) and which count towards parking."""

from __future__ import annotations

import errno
from typing import Any

import asyncpg
import pytest
from aiormq.exceptions import AMQPConnectionError, ChannelInvalidStateError
from asyncpg.exceptions import InternalClientError
from hypothesis import given
from hypothesis import strategies as st

from contracts import routing
from services.runtime.retries import copy_headers, publisher
from services.runtime.transient import is_transient, retry_delay

DELAYS = (1, 5, 30, 120, 300)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 5432)"),
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        TimeoutError(),  # what asyncpg's pool acquire raises when no connection comes in time
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CrashShutdownError("terminating connection because of crash of another server process"),
        asyncpg.SerializationError("could not serialize access due to concurrent update"),
        asyncpg.DeadlockDetectedError("deadlock detected"),
        asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"),
        # A pooled connection the stopping server sent its last error to (the fault run's PostgreSQL restart).
        InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
        InternalClientError('cannot switch to state 15; protocol is in the "failed" state'),
        AMQPConnectionError("Connection refused"),
        ChannelInvalidStateError("channel closed"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_server_away_is_transient(error: BaseException) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad value"),
        KeyError("missing"),
        AssertionError(),
        RuntimeError("a bug"),
        asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
        asyncpg.UndefinedTableError('relation "effects" does not exist'),
        asyncpg.DataError("invalid input syntax"),
        asyncpg.InterfaceError("the server expects 2 arguments for this query, 1 was passed"),
        # Two operations at once on one connection: a handler's bug, never the database's absence.
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        InternalClientError("cannot switch to state 12; another operation (15) is in progress"),
        FileNotFoundError(errno.ENOENT, "No such file or directory"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_failure_that_a_healthy_system_repeats_is_not_transient(error: BaseException) -> None:
    assert not is_transient(error)


def test_a_lost_connection_wrapped_in_a_handlers_own_error_is_still_transient() -> None:
    try:
        try:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        except asyncpg.PostgresError as lost:
            raise RuntimeError("could not book the interview") from lost
    except RuntimeError as wrapped:
        assert is_transient(wrapped)


def test_a_cycle_of_causes_ends() -> None:
    first, second = ValueError("a"), ValueError("b")
    first.__cause__, second.__cause__ = second, first

    assert not is_transient(first)


def test_the_delays_grow_then_stay_at_the_cap() -> None:
    assert [retry_delay(n, DELAYS) for n in range(8)] == [1, 5, 30, 120, 300, 300, 300, 300]


@given(st.integers(min_value=-5, max_value=10_000))
def test_a_delay_is_always_one_of_the_tiers_and_never_shrinks(retries: int) -> None:
    assert retry_delay(retries, DELAYS) in DELAYS
    assert retry_delay(retries + 1, DELAYS) >= retry_delay(retries, DELAYS)


def test_the_copy_keeps_the_headers_drops_the_brokers_and_names_the_next_retry_queue() -> None:
    original = {
        "trace": "abc",
        "x-delivery-count": 9,
        "x-death": [{"count": 1}],
        "x-first-death-queue": "q",
        routing.RETRY_COUNT_HEADER: 2,
    }

    headers, waiting = copy_headers(original, queue="scheduling.events", publisher="enrollment")

    assert headers == {
        "trace": "abc",
        routing.RETRY_COUNT_HEADER: 3,
        routing.RETRY_TO_HEADER: "scheduling.events.retry.30s",
        routing.RETRY_USER_HEADER: "enrollment",
    }
    assert (waiting.retries, waiting.delay, waiting.queue) == (3, 30, "scheduling.events.retry.30s")


def test_a_first_copy_waits_the_shortest_delay() -> None:
    headers, waiting = copy_headers({}, queue="enrollment.commands", publisher=None)

    assert waiting.queue == "enrollment.commands.retry.1s" and waiting.retries == 1
    assert routing.RETRY_USER_HEADER not in headers


class _Message:
    def __init__(self, user_id: str | None, headers: dict[str, Any]) -> None:
        self.user_id, self.headers = user_id, headers


def test_the_original_publisher_is_trusted_only_on_a_copy_the_service_itself_published() -> None:
    claim = {routing.RETRY_USER_HEADER: "passpro-admin"}

    assert publisher(_Message("scheduling", claim), "scheduling") == "passpro-admin"  # type: ignore[arg-type]
    # A portal cannot claim to be the operators by setting the header itself.
    assert publisher(_Message("portal", claim), "scheduling") == "portal"  # type: ignore[arg-type]
    assert publisher(_Message("enrollment", {}), "scheduling") == "enrollment"  # type: ignore[arg-type]
    assert publisher(_Message("scheduling", claim), None) == "scheduling"  # type: ignore[arg-type]
