"""Valid deliveries of one queue that arrive together, handled as a batch, or one by one when the batch cannot be.

A refusal or a failure anywhere in a batch rolls it back; each delivery is then handled again in a
transaction of its own, as if it had come alone, so that it gets its own single answer (a refusal) or its
own redelivery (a failure), and the others their effects. A transient failure (the database away) is
not tried again one by one: each delivery of the batch gets it, and so takes the retry route.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.runtime import crash, metrics
from services.runtime.service import Handler, Together
from services.runtime.transient import is_transient

BATCHES_AT_ONCE = 4
"""Batches of one queue in their transactions at the same time (each holds a pooled connection)."""


@dataclass
class Delivery:
    """A valid delivery waiting for its batch, and where its outcome goes."""

    inbox_key: str
    correlation: str
    model: Any
    key: str
    facts: Mapping[str, Any]
    handler: Handler
    command_id: str
    sender_uai: str | None
    outcome: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Batches:
    """The waiting deliveries of one queue, taken a batch at a time by a few flushers, so commits overlap."""

    def __init__(
        self,
        queue: str,
        size: int,
        *,
        alone: Callable[[Delivery], Awaitable[str]],
        together: Callable[[list[Delivery]], Awaitable[list[str]]],
        linger: float = 0.0,
    ) -> None:
        self.queue = queue
        self.size = size
        self.linger = linger
        """Seconds a batch not yet full waits for more deliveries: fewer, fuller transactions (and sets) when
        deliveries come one at a time, for that much more latency."""
        self._alone = alone
        self._together = together
        self._waiting: list[Delivery] = []
        self._flushers: set[asyncio.Task[None]] = set()  # referenced, so the loop cannot lose them

    async def handle(self, delivery: Delivery) -> str:
        """Waits for the delivery's turn in a batch: deliveries that arrive together share one transaction."""
        self._waiting.append(delivery)
        # Lingering, a second flusher starts only for a full batch: the first one is gathering the rest.
        lingering = self.linger and self._flushers and len(self._waiting) < self.size
        if len(self._flushers) < BATCHES_AT_ONCE and not lingering:
            flusher = asyncio.get_running_loop().create_task(self._flush(), name=f"{self.queue}-batches")
            self._flushers.add(flusher)
            flusher.add_done_callback(self._flushers.discard)
        return await delivery.outcome

    async def _flush(self) -> None:
        """Takes what waits, a batch at a time; a few of these run at once, so commits overlap."""
        try:
            while self._waiting:
                if self.linger and len(self._waiting) < self.size:
                    await asyncio.sleep(self.linger)
                batch, self._waiting = self._waiting[: self.size], self._waiting[self.size :]
                try:
                    await self._handle_batch(batch)
                except BaseException as error:  # never leave a delivery waiting: it is redelivered instead
                    for d in batch:
                        _settle(d.outcome, error if isinstance(error, Exception) else RuntimeError("stopped"))
                    if not isinstance(error, Exception):
                        raise
        finally:
            # Gone from the flushers in the same step as its last look at what waits: a delivery arriving after
            # that look finds no flusher left and starts one (a done callback would come a turn later).
            self._flushers.discard(asyncio.current_task())

    async def _handle_batch(self, batch: list[Delivery]) -> None:
        if len(batch) > 1:
            try:
                outcomes = await self._together(batch)
            except Exception as error:
                if is_transient(error):  # alone, each would meet the same outage: each waits to be retried
                    metrics.BATCHES.labels(self.queue, "transient").inc()
                    for d in batch:
                        _settle(d.outcome, error)
                    return
                # a refusal or a failure: each delivery again, alone
                metrics.BATCHES.labels(self.queue, "one_by_one").inc()
            else:
                crash.point("consumer.after_commit")  # the batch committed, none of its deliveries acked
                metrics.BATCHES.labels(self.queue, "committed").inc()
                for d, outcome in zip(batch, outcomes, strict=True):
                    _settle(d.outcome, outcome)
                return
        for d in batch:
            try:
                _settle(d.outcome, await self._alone(d))
            except Exception as error:  # raised in the delivery's own task: redelivered later
                _settle(d.outcome, error)


def _settle(outcome: asyncio.Future[str], result: str | Exception) -> None:
    """A delivery whose task was cancelled meanwhile (shutdown) no longer waits: nothing to tell it."""
    if outcome.done():
        return
    if isinstance(result, Exception):
        outcome.set_exception(result)
    else:
        outcome.set_result(result)


def chunks(todo: list[Delivery], together: Mapping[str, Together]) -> Iterator[list[Delivery]]:
    """A batch's deliveries, in order, in chunks each handled in one go: deliveries of one message with a set-based
    handler that come in a row, no two of one subject; any other delivery alone."""
    chunk: list[Delivery] = []
    subjects: set[object] = set()
    for d in todo:
        way = together.get(d.key)
        subject = way.subject(d.model) if way is not None else None
        if chunk and (way is None or d.key != chunk[0].key or subject in subjects):
            yield chunk
            chunk, subjects = [], set()
        chunk.append(d)
        subjects.add(subject)
    if chunk:
        yield chunk
