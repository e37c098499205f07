"""Consuming one message: decode, inbox, one transaction around the handler, outbox; or answer the rejection.

Every delivery ends in exactly one of: handled (events in the outbox), rejected (one
``command_rejected`` in the outbox), duplicate (inbox says done), unreadable (a rejection and
the raw message parked with its reason), a transient failure (the database or the broker away) sent to
wait in a retry queue, or any other failure, which the broker redelivers after a pause and parks at its
delivery limit.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from contracts import routing
from contracts.base import RejectionReason
from contracts.campaign import Campaign
from contracts.events import CommandRejected, FieldError
from contracts.refusal import Refused
from services.runtime import broadcasts, crash, metrics, schools
from services.runtime.batches import Batches, Delivery, chunks
from services.runtime.database import runtime_queries as q
from services.runtime.decoding import as_uuid, facts, field_errors, spelling
from services.runtime.outbox import HandOff, Outgoing, outbox_row, write_outbox
from services.runtime.retries import Retries, publisher
from services.runtime.service import Context, Handler, Rejected, Service
from services.runtime.transient import is_transient

log = structlog.get_logger()
MAX_RETRY_PAUSE = 30.0
_DELIVERY: contextvars.ContextVar[AbstractIncomingMessage | None] = contextvars.ContextVar("delivery", default=None)
"""The delivery being handled, for the decision to make a command wait for events (deliveries run concurrently)."""


class NotYet(Exception):
    """A command refused for something another service's events bring, while some of those events wait in this
    service's retry queues: it waits in its own retry queue and is tried again, then answered."""


ALONE = frozenset({routing.ADVANCE_CLOCK, routing.PURGE_CAMPAIGN})
"""The runtime's own commands: each in a transaction of its own (moving the clock changes the batch's now)."""


class Consumer:
    """Handles the deliveries of one queue of one service.

    Valid deliveries that arrive together are handled as a batch: one transaction, one inbox claim, one
    outbox insert, one commit; inside it, the handlers run in order, a set at a time where the service has a
    set-based handler for the message (``Service.together``, ``batches.chunks``). A refusal or a failure
    rolls the batch back and each of its deliveries is handled again alone, so that it gets its own
    single answer (a refusal) or its own redelivery (a failure), and the others their effects.
    """

    def __init__(
        self,
        *,
        service: Service,
        queue: routing.QueueSpec,
        pool: asyncpg.Pool,
        campaign: Campaign,
        virtual_clock: bool,
        operator_user: str = "passpro-admin",
        on_clock_moved: Callable[[], None] | None = None,
        hand_off: HandOff | None = None,
        batch_size: int = 1,
        batch_linger: float = 0.0,
        retries: Retries | None = None,
    ) -> None:
        self.service = service
        self.retries = retries
        self.on_clock_moved = on_clock_moved
        self.hand_off = hand_off
        self.operator_user = operator_user
        self.queue = queue
        self.pool = pool
        self.campaign = campaign
        self.virtual_clock = virtual_clock
        self.is_commands = queue.exchange == routing.COMMANDS_EXCHANGE
        self.handlers: Mapping[str, Handler] = (
            {
                **service.commands,
                routing.ADVANCE_CLOCK: broadcasts.advance_clock,
                routing.PURGE_CAMPAIGN: functools.partial(broadcasts.purge_campaign, service.purge),
            }
            if self.is_commands
            else service.events
        )
        self.models: Mapping[str, type[Any]] = routing.COMMANDS if self.is_commands else routing.EVENTS
        self.batches = Batches(queue.name, batch_size, alone=self._alone, together=self._together, linger=batch_linger)

    async def deliver(self, message: AbstractIncomingMessage) -> None:
        """Entry point for one delivery; raising means "redeliver later"."""
        started = time.perf_counter()
        key = message.routing_key or ""
        amqp_id = message.message_id or "sha256:" + hashlib.sha256(message.body).hexdigest()
        correlation = message.correlation_id or amqp_id
        structlog.contextvars.bind_contextvars(
            message_id=amqp_id, correlation_id=correlation, routing_key=key, queue=self.queue.name
        )
        delivering = _DELIVERY.set(message)
        try:
            outcome = await self._deliver(message, key, amqp_id, correlation)
        except Exception as error:
            if self.retries is not None and is_transient(error) and await self._wait(message, error):
                metrics.MESSAGES.labels(self.queue.name, key, "retried").inc()
                return
            if isinstance(error, NotYet) and await self._wait(message, error):
                metrics.MESSAGES.labels(self.queue.name, key, "waiting_for_events").inc()
                return
            metrics.MESSAGES.labels(self.queue.name, key, "failed").inc()
            count = int((message.headers or {}).get("x-delivery-count") or 0)
            pause = min(2.0**count, MAX_RETRY_PAUSE)
            log.exception("message_failed", delivery_count=count, retry_in_s=pause)
            await asyncio.sleep(pause)
            raise
        finally:
            _DELIVERY.reset(delivering)
            structlog.contextvars.unbind_contextvars("message_id", "correlation_id", "routing_key", "queue")
        metrics.MESSAGES.labels(self.queue.name, key, outcome).inc()
        metrics.LATENCY.labels(self.queue.name, key).observe(time.perf_counter() - started)

    async def _wait(self, message: AbstractIncomingMessage, error: Exception) -> bool:
        """A transient failure: a confirmed copy waits in the next retry queue and the original is acknowledged.

        Nothing of the body is logged, only the failure's type. False when the copy could not be sent (the
        broker is away too): the delivery then fails as any other, and the broker redelivers it.
        """
        assert self.retries is not None
        try:
            waiting = await self.retries.wait(message, self.queue.name)
        except Exception as sending:
            log.warning("message_retry_not_sent", error=type(error).__name__, sending=type(sending).__name__)
            return False
        log.warning(
            "message_retry_later", error=type(error).__name__, retries=waiting.retries, retry_in_s=waiting.delay
        )
        return True

    async def _events_delayed(self) -> bool:
        """Whether a command refused for something another service's events bring should wait rather than be
        answered: some of this service's events wait in its retry queues (a failure delayed them, so a command
        may have overtaken the one it names), and the command has not yet waited through the whole ladder.

        Only the retry queues count: a backlog in the work queue is normal order, and a command naming what never
        existed must keep its prompt answer.
        """
        message = _DELIVERY.get()
        if self.retries is None or message is None or not self.is_commands:
            return False
        if int((message.headers or {}).get(routing.RETRY_COUNT_HEADER) or 0) >= len(routing.RETRY_DELAYS):
            return False
        try:
            for spec in routing.queues_of(self.service.name):
                if spec.exchange != routing.EVENTS_EXCHANGE:
                    continue
                for name in spec.retries:
                    declared = await self.retries.channel.declare_queue(name, passive=True)
                    if declared.declaration_result.message_count:
                        return True
        except Exception as error:  # the broker cannot tell: answer now, as before
            log.warning("events_delay_unknown", error=type(error).__name__)
        return False

    def _publisher(self, message: AbstractIncomingMessage) -> str | None:
        return publisher(message, self.retries.account if self.retries is not None else None)

    async def _deliver(self, message: AbstractIncomingMessage, key: str, amqp_id: str, correlation: str) -> str:
        """The usual delivery is decoded and validated once (``model_validate_json``); any other the long way."""
        name, key_uai = routing.split_command_key(key) if self.is_commands else (key, None)
        model_type = self.models.get(name)
        handler = self.handlers.get(name)
        if (
            model_type is None
            or handler is None
            or (key_uai is not None and (name not in routing.PORTAL_COMMANDS or schools.school_of(key_uai) is None))
            or (not self.is_commands and self._publisher(message) not in (name.partition(".")[0], self.operator_user))
        ):
            return await self._deliver_slowly(message, key, amqp_id, correlation)
        try:
            model = model_type.model_validate_json(message.body)
        except ValidationError:
            return await self._deliver_slowly(message, key, amqp_id, correlation)
        if self.is_commands:
            message_uuid, actor = model.command_id, model.actor_uai
            if (key_uai is not None and key_uai != actor) or (
                name in routing.OPERATOR_COMMANDS and self._publisher(message) != self.operator_user
            ):
                return await self._deliver_slowly(message, key, amqp_id, correlation)
            sender = key_uai or schools.school_of(actor)
        else:
            message_uuid, sender = model.event_id, None
        inbox_key = str(message_uuid)
        delivery = Delivery(
            inbox_key, correlation, model, name, facts(model), handler, spelling(message.body, inbox_key), sender
        )
        if self.batches.size > 1 and name not in ALONE:
            return await self.batches.handle(delivery)
        return await self._alone(delivery)

    async def _alone(self, d: Delivery) -> str:
        return await self._in_transaction(
            d.inbox_key,
            d.correlation,
            d.model,
            d.key,
            d.facts,
            handler=d.handler,
            command_id=d.command_id,
            sender_uai=d.sender_uai,
        )

    async def _together(self, batch: list[Delivery]) -> list[str]:
        """One transaction for the batch: one claim, the handlers in order, one outbox insert; then the hand-off."""
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                outcomes, written = await self._batch_in_transaction(conn, batch)
        self._committed(written)
        return outcomes

    async def _batch_in_transaction(
        self, conn: asyncpg.Connection, batch: list[Delivery]
    ) -> tuple[list[str], list[Outgoing]]:
        claim = await q.claim_messages_and_read_clock(
            conn, consumer=self.queue.name, message_ids=[d.inbox_key for d in batch]
        )
        fresh = set(claim["claimed"])
        outcomes, todo = [], []
        for d in batch:
            if d.inbox_key in fresh:
                fresh.discard(d.inbox_key)  # the same message twice in a batch: the second is a duplicate
                todo.append(d)
                outcomes.append("handled")
            else:
                outcomes.append("duplicate")
        if not todo:
            return outcomes, []
        await schools.learn(conn, [d.facts for d in todo])
        for d in todo:
            self._check_campaign(d.model)
        rows: list[tuple[Any, ...]] = []
        senders: list[str | None] = []
        for chunk in chunks(todo, self.service.together):
            items = [
                (
                    d.model,
                    Context(
                        conn,
                        claim["now"],
                        self.campaign,
                        self.service.name,
                        as_uuid(d.inbox_key),
                        self.virtual_clock,
                        d.correlation,
                    ),
                )
                for d in chunk
            ]
            way = self.service.together.get(chunk[0].key)
            if way is not None and len(chunk) > 1:
                produced = await way.handle(items)
            else:
                produced = [await d.handler(model, ctx) for d, (model, ctx) in zip(chunk, items, strict=True)]
            for d, events in zip(chunk, produced, strict=True):
                for event in events:
                    rows.append(outbox_row(event, self.service.name, d.correlation))
                    senders.append(d.sender_uai)
        return outcomes, await write_outbox(conn, rows, senders=senders)

    def _check_campaign(self, model: Any) -> None:
        if self.is_commands and model.campaign != self.campaign.campaign:
            raise Rejected(
                RejectionReason.UNKNOWN_CAMPAIGN,
                f"La campagne « {model.campaign} » n'est pas ouverte dans Passpro ; "
                f"la campagne en cours est « {self.campaign.campaign} ».",
                [("campaign", "unknown campaign")],
            )

    async def _deliver_slowly(self, message: AbstractIncomingMessage, key: str, amqp_id: str, correlation: str) -> str:
        """Every check spelt out on the decoded body, so that a bad delivery gets its precise answer."""
        try:
            data = json.loads(message.body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep to decode
            scoped = routing.split_command_key(key)[1] if self.is_commands else None
            return await self._unreadable(
                message,
                key,
                amqp_id,
                correlation,
                "the body is not a JSON object",
                sender_uai=schools.school_of(scoped),
            )
        # A school's portal sends ``<command>.<uai>``: the broker let it name only its own schools.
        key_uai: str | None = None
        if self.is_commands:
            name, key_uai = routing.split_command_key(key)
            if key_uai is not None and (name not in routing.PORTAL_COMMANDS or schools.school_of(key_uai) is None):
                return await self._unreadable(message, key, amqp_id, correlation, f"unknown routing key {key!r}")
            key = name
        elif self._publisher(message) not in (key.partition(".")[0], self.operator_user):
            # The broker vouches for user_id; an event whose routing key names another service is forged.
            return await self._unreadable(
                message,
                key,
                amqp_id,
                correlation,
                f"forged event: published by the account {self._publisher(message)!r}, "
                f"but its routing key names the service {key.partition('.')[0]!r}",
            )
        sender = key_uai or (schools.school_of(data.get("actor_uai")) if self.is_commands else None)
        model_type = self.models.get(key)
        if model_type is None:
            return await self._unreadable(
                message, key, amqp_id, correlation, f"unknown routing key {key!r}", sender_uai=sender
            )
        handler = self.handlers.get(key)
        if handler is None:
            # A command this version of the service cannot carry out yet: kept for operators to replay.
            return await self._unreadable(
                message,
                key,
                amqp_id,
                correlation,
                f"{self.service.name} does not handle {key!r} yet",
                answer=False,
                sender_uai=sender,
            )
        command_id = data.get("command_id") if self.is_commands else data.get("event_id")
        canonical = as_uuid(command_id) if isinstance(command_id, str) else None
        # One id, one effect, however the publisher spells the UUID; the answer echoes its spelling.
        inbox_key = str(canonical) if canonical else amqp_id
        answer_id = command_id if canonical else amqp_id
        try:
            model = model_type.model_validate(data)
        except ValidationError as error:
            if not self.is_commands:
                return await self._unreadable(message, key, amqp_id, correlation, f"invalid event: {error}")
            rejection = Rejected(
                RejectionReason.INVALID,
                "Le message est incomplet ou mal formé : corrigez les champs indiqués puis renvoyez-le.",
                field_errors(error),
            )
            return await self._in_transaction(
                inbox_key, correlation, None, key, data, rejection=rejection, command_id=answer_id, sender_uai=sender
            )
        if key_uai is not None and key_uai != model.actor_uai:
            # R12: a portal acts for the schools the broker let it name in the key, never for another.
            rejection = Rejected(
                RejectionReason.UNAUTHORIZED,
                f"Ce message a été envoyé pour l'établissement {key_uai} mais la commande est faite au nom de "
                f"l'établissement {model.actor_uai} : un portail n'agit que pour ses propres établissements. "
                "Envoyez-la avec la clé de l'établissement qui agit.",
                [("actor_uai", "not the school named by the routing key")],
            )
            return await self._in_transaction(
                inbox_key, correlation, None, key, data, rejection=rejection, command_id=answer_id, sender_uai=sender
            )
        if key in routing.OPERATOR_COMMANDS and self._publisher(message) != self.operator_user:
            # The broker validates user_id against the connection's account: a portal cannot forge it.
            rejection = Rejected(
                RejectionReason.UNAUTHORIZED,
                "Seuls les opérateurs de l'académie peuvent effacer les données d'une campagne.",
                [("user_id", "not the operators' account")],
            )
            return await self._in_transaction(
                inbox_key, correlation, None, key, data, rejection=rejection, command_id=answer_id, sender_uai=sender
            )
        return await self._in_transaction(
            inbox_key, correlation, model, key, data, handler=handler, command_id=answer_id, sender_uai=sender
        )

    async def _in_transaction(
        self,
        inbox_key: str,
        correlation: str,
        model: Any,
        key: str,
        data: Mapping[str, Any],
        *,
        handler: Handler | None = None,
        rejection: Rejected | None = None,
        command_id: str | None = None,
        sender_uai: str | None = None,
    ) -> str:
        """Inbox claim, handler, outbox: one transaction. A rejection rolls it all back, then is recorded alone."""
        causation = as_uuid(inbox_key)
        async with self.pool.acquire() as conn:
            if rejection is None:
                try:
                    async with conn.transaction():
                        claim = await q.claim_message_and_read_clock(
                            conn, consumer=self.queue.name, message_id=inbox_key
                        )
                        if not claim["claimed"]:
                            log.debug("message_duplicate")
                            return "duplicate"
                        ctx = Context(
                            conn,
                            claim["now"],
                            self.campaign,
                            self.service.name,
                            causation,
                            self.virtual_clock,
                            correlation,
                        )
                        self._check_campaign(model)
                        assert handler is not None
                        # Which schools the pupil or interview concerns, for this and later events' copies.
                        await schools.learn(conn, [data])
                        events = await handler(model, ctx)
                        written = await write_outbox(
                            conn, [outbox_row(e, self.service.name, correlation) for e in events], sender_uai=sender_uai
                        )
                    self._committed(written)
                    crash.point("consumer.after_commit")
                    log.debug("message_handled", events=len(events))
                    if key == routing.ADVANCE_CLOCK and self.on_clock_moved is not None:
                        self.on_clock_moved()
                    return "handled"
                except Rejected as refused:
                    rejection = refused
                except Refused as refused:  # a domain rule's refusal
                    rejection = Rejected(
                        refused.reason,
                        refused.message,
                        [(refused.field, refused.reason)],
                        maybe_not_yet=refused.maybe_not_yet,
                    )
                if rejection.maybe_not_yet and await self._events_delayed():
                    raise NotYet(rejection.reason.value)
            if key in routing.BROADCAST_COMMANDS and not self.service.answers_broadcast_rejections:
                # Another service answers; this one still records the id, so that reusing it has no effect here.
                async with conn.transaction():
                    claim = await q.claim_message_and_read_clock(conn, consumer=self.queue.name, message_id=inbox_key)
                return "rejected_silently" if claim["claimed"] else "duplicate"
            async with conn.transaction():
                claim = await q.claim_message_and_read_clock(conn, consumer=self.queue.name, message_id=inbox_key)
                if not claim["claimed"]:
                    return "duplicate"
                ctx = Context(conn, claim["now"], self.campaign, self.service.name, causation, self.virtual_clock)
                log.debug("command_rejected", reason=rejection.reason.value)
                event = self._rejection(ctx, key, command_id or inbox_key, rejection)
                written = await write_outbox(
                    conn, [outbox_row(event, self.service.name, correlation)], sender_uai=sender_uai
                )
            self._committed(written)
            return "rejected"

    def _committed(self, written: Sequence[Outgoing]) -> None:
        """Right after the commit: the relay publishes from memory. A crash before this leaves the rows to recovery."""
        if written and self.hand_off is not None:
            crash.point("outbox.after_commit_before_hand_off")
            self.hand_off(written)

    def _rejection(self, ctx: Context, key: str, command_id: str, rejection: Rejected) -> CommandRejected:
        return ctx.event(
            CommandRejected,
            command_id=command_id,
            command=key,
            reason=rejection.reason,
            message=rejection.message,
            errors=[FieldError(field=f, message=m) for f, m in rejection.errors],
        )

    async def _unreadable(
        self,
        message: AbstractIncomingMessage,
        key: str,
        amqp_id: str,
        correlation: str,
        why: str,
        *,
        answer: bool = True,
        sender_uai: str | None = None,
    ) -> str:
        """Answer it (commands, once) and park the raw message with its reason, in one transaction.

        Seen again (redelivered, or replayed by an operator and still unreadable), it is parked again
        without a second answer: a second parked copy is visible and harmless, a dropped one is lost.
        """
        if key in routing.BROADCAST_COMMANDS and not self.service.answers_broadcast_rejections:
            # Every service receives the broadcast commands; one of them answers and parks a bad one.
            return "unreadable_ignored"
        log.warning("message_unreadable", reason=why[:200])
        async with self.pool.acquire() as conn, conn.transaction():
            # A key of its own: once fixed and replayed under the same id, the command is handled normally.
            claim = await q.claim_message_and_read_clock(conn, consumer=self.queue.name, message_id=f"parked:{amqp_id}")
            parked_id = f"parked:{self.queue.name}:{amqp_id}"
            if not claim["claimed"]:
                parked_id = f"{parked_id}:{uuid.uuid4()}"
            rows = []
            if self.is_commands and answer and claim["claimed"]:
                ctx = Context(conn, claim["now"], self.campaign, self.service.name, None, self.virtual_clock)
                rejection = Rejected(
                    RejectionReason.INVALID,
                    "Le message n'a pas pu être lu (ce n'est pas une commande Passpro en JSON) ; "
                    "il a été mis de côté pour les opérateurs.",
                    [("(message)", why[:200])],
                )
                rows.append(outbox_row(self._rejection(ctx, key, amqp_id, rejection), self.service.name, correlation))
            headers = {
                "x-passpro-reason": why[:1000],
                "x-passpro-queue": self.queue.name,
                "x-passpro-routing-key": key,
                "x-passpro-message-id": amqp_id,
                "x-passpro-parked-at": claim["now"].isoformat(),
            }
            rows.append(
                (
                    parked_id,
                    routing.PARKING_EXCHANGE,
                    routing.parking_queue(self.queue.name),
                    message.body,
                    json.dumps(headers),
                    correlation,
                )
            )
            written = await write_outbox(conn, rows, sender_uai=sender_uai)
        self._committed(written)
        return "unreadable" if claim["claimed"] else "unreadable_again"
