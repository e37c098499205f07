"""RabbitMQ's management HTTP API as the operators' commands use it: the vhost's queues and a look at their messages."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from ops.settings import OpsSettings


class ManagementError(Exception):
    """The management API could not be reached or refused the request."""


@dataclass(frozen=True)
class QueueStats:
    """One queue as the broker counts it; rates are messages per second over the broker's last samples."""

    name: str
    ready: int
    unacknowledged: int
    consumers: int
    publish_rate: float
    deliver_rate: float


@dataclass(frozen=True)
class PeekedMessage:
    """A message read from a queue and left there: its properties as the API formats them, and its body."""

    exchange: str
    routing_key: str
    properties: dict[str, Any]
    body: bytes
    remaining: int
    """Messages left in the queue behind this one when it was read."""


def _rate(stats: dict[str, Any], name: str) -> float:
    return float((stats.get(f"{name}_details") or {}).get("rate") or 0.0)


def queue_stats(raw: dict[str, Any]) -> QueueStats:
    stats = raw.get("message_stats") or {}
    return QueueStats(
        name=raw["name"],
        ready=int(raw.get("messages_ready") or 0),
        unacknowledged=int(raw.get("messages_unacknowledged") or 0),
        consumers=int(raw.get("consumers") or 0),
        publish_rate=_rate(stats, "publish"),
        deliver_rate=_rate(stats, "deliver_get"),
    )


class Management:
    """An async client of the management API for one vhost, with the operators' account."""

    def __init__(self, settings: OpsSettings, *, timeout: float = 10.0) -> None:
        self.vhost = quote(settings.vhost, safe="")
        self._client = httpx.AsyncClient(
            base_url=settings.management_url.rstrip("/") + "/api",
            auth=(settings.admin_user, settings.admin_password),
            timeout=timeout,
        )

    async def __aenter__(self) -> Management:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = await self._client.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise ManagementError(f"{str(self._client.base_url).rstrip('/')}{path}: {type(error).__name__}") from error
        if response.status_code == 404:
            return None
        if response.is_error:
            raise ManagementError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
        return response.json() if response.content else None

    async def queues(self) -> list[QueueStats]:
        """Every queue of the vhost; the broker refreshes these figures every few seconds."""
        raw = await self._call("GET", f"/queues/{self.vhost}")
        if raw is None:
            raise ManagementError(f"no vhost {self.vhost!r} on the broker")
        return [queue_stats(q) for q in raw]

    async def peek(self, queue: str, count: int) -> list[PeekedMessage] | None:
        """Up to ``count`` messages from the head of ``queue``, all left in it; None when there is no such queue.

        The API takes them on one channel without acknowledging, and they go back to the queue when it
        closes that channel: unlike a get followed at once by a requeue, the same message cannot come
        back twice in one look, and none is lost.
        """
        raw = await self._call(
            "POST",
            f"/queues/{self.vhost}/{quote(queue, safe='')}/get",
            {"count": count, "ackmode": "ack_requeue_true", "encoding": "auto"},
        )
        if raw is None:
            return None
        return [
            PeekedMessage(
                exchange=m.get("exchange") or "",
                routing_key=m.get("routing_key") or "",
                # A message without properties comes as an empty JSON list, not an object.
                properties=m["properties"] if isinstance(m.get("properties"), dict) else {},
                body=base64.b64decode(m["payload"])
                if m.get("payload_encoding") == "base64"
                else str(m.get("payload") or "").encode(),
                remaining=int(m.get("message_count") or 0),
            )
            for m in raw
        ]
