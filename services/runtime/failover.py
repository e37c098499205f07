"""Broker failover: connect to the first node of a cluster that answers, move to the next one when it is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractConnection, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from yarl import URL

log = structlog.get_logger()

CloseCallback = Callable[[AbstractConnection, BaseException | None], None]


def nodes(urls: str) -> list[str]:
    """``PASSPRO_AMQP_URL`` names one node, or a cluster's nodes separated by commas."""
    return [url.strip() for url in urls.split(",") if url.strip()]


def _index(urls: Sequence[str], url: URL) -> int:
    return next(
        (i for i, candidate in enumerate(urls) if (URL(candidate).host, URL(candidate).port) == (url.host, url.port)),
        -1,
    )


def next_node(urls: Sequence[str]) -> CloseCallback:
    """A close callback that points the connection at the node after the one it lost.

    aio-pika calls close callbacks both when an open connection drops and when an attempt to
    reconnect fails, and each attempt reads the connection's ``url``: so a robust connection tries
    the nodes in turn, one per attempt, instead of waiting for the node it lost.
    """

    def move(connection: AbstractConnection, error: BaseException | None) -> None:
        # A close the service asked for (cancelled) is not a lost node.
        if len(urls) < 2 or error is None or isinstance(error, asyncio.CancelledError):
            return
        current: URL = connection.url  # type: ignore[attr-defined]
        target = URL(urls[(_index(urls, current) + 1) % len(urls)])
        # The query holds what the client added to the first URL (reconnect interval, fail fast…).
        connection.url = target.with_query(current.query)  # type: ignore[attr-defined]
        log.info("broker_node_next", host=target.host, port=target.port)

    return move


def starting_at(urls: Sequence[str], connection: AbstractConnection) -> list[str]:
    """The nodes in turn from the one ``connection`` reached, so that a second connection goes there first."""
    index = max(_index(urls, connection.url), 0)  # type: ignore[attr-defined]
    return [*urls[index:], *urls[:index]]


async def connect_robust(urls: Sequence[str], **kwargs: Any) -> AbstractRobustConnection:
    """A robust connection to the first node that accepts it, which then follows the cluster's nodes."""
    failure: BaseException | None = None
    for url in urls:
        try:
            connection = await aio_pika.connect_robust(url, **kwargs)
        except CONNECTION_EXCEPTIONS as error:
            failure = error
            log.warning("broker_node_unavailable", host=URL(url).host, port=URL(url).port, error=type(error).__name__)
            continue
        connection.close_callbacks.add(next_node(urls))
        return connection
    raise failure or ValueError("no broker URL given")
