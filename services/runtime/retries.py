"""Deliveries held up by a transient failure wait in their queue's retry queues, then come back with a fresh count.

RabbitMQ 3.10's quorum queues count every return (a nack, a consumer's connection closing) towards the
delivery limit, so a database outage longer than the limit's pauses parked good messages. Instead, a copy
(same body, properties and headers, plus a retry count) is published with a confirm to the retry queue of
the next delay, and only then is the original acknowledged; the retry queue dead-letters it back, at least
once, to the one queue it came from, where its delivery count starts again from zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage

from contracts import routing
from services.runtime.transient import retry_delay

_BROKER_HEADERS = ("x-death", "x-first-death-", "x-last-death-", "x-delivery-count", "x-received-from")
"""Set by the broker on the way; the copy starts without them (the retry count is ours)."""


@dataclass(frozen=True)
class Waiting:
    """Where a copy went: how many times the message has now waited, and for how long this time."""

    retries: int
    delay: int
    queue: str


def publisher(message: AbstractIncomingMessage, account: str | None) -> str | None:
    """The account that published the message, as the broker vouched for it.

    A copy coming back from a retry queue was published by this service's own ``account`` (the broker
    checked it, and only that account may write to its retry exchange), so the original publisher it
    carries in a header is trusted; anyone else's header is ignored.
    """
    headers = message.headers or {}
    original = headers.get(routing.RETRY_USER_HEADER)
    if account is not None and message.user_id == account and isinstance(original, str | bytes):
        return original.decode() if isinstance(original, bytes) else original
    return message.user_id


def copy_headers(headers: Mapping[str, Any], *, queue: str, publisher: str | None) -> tuple[dict[str, Any], Waiting]:
    """The copy's headers: the original's (without the broker's), the next retry count and its retry queue."""
    kept = {k: v for k, v in headers.items() if not k.startswith(_BROKER_HEADERS)}
    before = kept.get(routing.RETRY_COUNT_HEADER)
    retries = int(before) if isinstance(before, int | str) and str(before).isdigit() else 0
    delay = retry_delay(retries, routing.RETRY_DELAYS)
    target = routing.retry_queue(queue, delay)
    kept[routing.RETRY_COUNT_HEADER] = retries + 1
    kept[routing.RETRY_TO_HEADER] = target
    if publisher is not None:
        kept[routing.RETRY_USER_HEADER] = publisher
    else:
        kept.pop(routing.RETRY_USER_HEADER, None)
    return kept, Waiting(retries + 1, delay, target)


class Retries:
    """Sends copies to wait, on a channel with publisher confirms where an unroutable copy raises."""

    def __init__(self, channel: AbstractChannel, service: str, account: str | None) -> None:
        self.channel = channel
        self.service = service
        self.account = account
        self._exchange: AbstractExchange | None = None

    async def wait(self, message: AbstractIncomingMessage, queue: str) -> Waiting:
        """Publishes the copy and waits for the broker's confirm; raises when it is not confirmed."""
        headers, waiting = copy_headers(message.headers or {}, queue=queue, publisher=publisher(message, self.account))
        if self._exchange is None:
            self._exchange = await self.channel.get_exchange(routing.retry_exchange(self.service), ensure=False)
        copy = aio_pika.Message(
            message.body,
            headers=headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            priority=message.priority,
            correlation_id=message.correlation_id,
            reply_to=message.reply_to,
            message_id=message.message_id,
            timestamp=message.timestamp,
            type=message.type,
            user_id=self.account,
            app_id=message.app_id,
        )
        await self._exchange.publish(copy, routing_key=message.routing_key or "", mandatory=True)
        return waiting
