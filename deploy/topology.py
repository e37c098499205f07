"""The broker's topology and accounts, from one source: a RabbitMQ definitions document.

The local stack loads it at boot (``load_definitions``); the deployment files are checked
against it. Queues, bindings and routing keys come from ``contracts.routing``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import routing
from contracts.campaign import Portal, load_campaign

DELIVERY_LIMIT = 10
"""Deliveries of one message before the broker parks it (quorum queues have no default in 3.10)."""

PARKING_DELIVERY_LIMIT = 1000
"""Operators browse a parking queue by taking its messages and putting them back, and each return counts as a
delivery on a quorum queue: the limit is explicit, so nothing loops forever, and far above any browsing."""
EXHAUSTED_QUEUE = routing.EXHAUSTED_PARKING_QUEUE
"""Where a parked message goes after ``PARKING_DELIVERY_LIMIT`` deliveries: kept, never looped, for an operator."""
MAX_MESSAGE_SIZE = 512 * 1024
"""Bytes of one message body, at most (``max_message_size``): a command or event is a few KB; more is a mistake or
an attack, refused by the broker before it is stored (the publisher's channel is closed with the reason)."""
PORTAL_QUEUE_MAX_LENGTH = 100_000
"""Messages a portal's server-named queue holds before the oldest are dropped: days of a busy school's events."""
PORTAL_QUEUE_MAX_BYTES = 64 * 1024 * 1024
PORTAL_QUEUE_EXPIRES_MS = 30 * 60 * 1000
"""A portal's queue nobody has consumed from for 30 minutes is deleted by the broker."""

ADMIN_USER = "passpro-admin"
PORTAL_USER = "portal"
TEST_VHOST = "passpro_test"


@dataclass(frozen=True)
class TopicPermission:
    """Routing keys an account may publish with (write) and bind with (read) on one topic exchange."""

    exchange: str
    write: str
    read: str


@dataclass(frozen=True)
class Account:
    name: str
    password: str
    tags: str
    configure: str
    write: str
    read: str
    topics: tuple[TopicPermission, ...] = field(default=())
    """No entry for an exchange means any key there (RabbitMQ's default); the other patterns still apply."""


def _password(user: str) -> str:
    """Local-stack passwords default to the account name; deployments set them by environment."""
    env = "PASSPRO_" + user.upper().replace("-", "_") + "_PASSWORD"
    return os.environ.get(env, user)


def _alternatives(names: list[str]) -> str:
    return "^(" + "|".join(n.replace(".", r"\.") for n in sorted(names)) + ")$"


def _one_of(names: list[str] | tuple[str, ...]) -> str:
    return "(" + "|".join(n.replace(".", r"\.") for n in sorted(names)) + ")"


NOTHING = "^$"
"""A pattern no routing key or name matches (keys are never empty here)."""


def portals() -> list[Portal]:
    """The campaign's [[portals]]: the file of ``PASSPRO_CAMPAIGN_FILE``, else the bundled campaign."""
    path = os.environ.get("PASSPRO_CAMPAIGN_FILE")
    return list(load_campaign(Path(path) if path else None).portals)


def portal_account(portal: Portal) -> Account:
    """R12 at the broker: a school's portal publishes commands for its schools and reads events about them only."""
    schools = _one_of(portal.schools)
    return Account(
        portal.name,
        _password(portal.name),
        "",
        configure=r"^amq\.gen-.*",
        write=_alternatives([routing.COMMANDS_EXCHANGE]).replace(")$", r"|amq\.gen-.*)$"),
        read=_alternatives([routing.SCHOOLS_EXCHANGE]).replace(")$", r"|amq\.gen-.*)$"),
        topics=(
            TopicPermission(
                routing.COMMANDS_EXCHANGE, write=rf"^{_one_of(routing.PORTAL_COMMANDS)}\.{schools}$", read=NOTHING
            ),
            TopicPermission(routing.SCHOOLS_EXCHANGE, write=NOTHING, read=rf"^{schools}\."),
        ),
    )


def accounts() -> list[Account]:
    """One account per service with the least it needs, the portal's, and the operators'."""
    result = [
        Account(ADMIN_USER, _password(ADMIN_USER), "administrator", ".*", ".*", ".*"),
        # Portals publish commands and read events through their own server-named queues only.
        Account(
            PORTAL_USER,
            _password(PORTAL_USER),
            "",
            configure=r"^amq\.gen-.*",
            write=r"^(passpro\.commands|amq\.gen-.*)$",
            read=r"^(passpro\.events|amq\.gen-.*)$",
        ),
    ]
    for service in routing.SERVICES:
        own = [q.name for q in routing.QUEUES if q.service == service]
        result.append(
            Account(
                service,
                _password(service),
                "",
                # Everything is declared in advance: a service never declares or binds.
                configure="^$",
                # It publishes its events (and their copies per school), parks the messages it cannot read, and
                # sends those a transient failure held up to wait in its own retry queues (no one else's).
                write=_alternatives(
                    [
                        routing.EVENTS_EXCHANGE,
                        routing.SCHOOLS_EXCHANGE,
                        routing.PARKING_EXCHANGE,
                        routing.retry_exchange(service),
                    ]
                ),
                read=_alternatives(own),
                # Its own events only: consumers trust the routing key's service because the broker checked it.
                topics=(
                    TopicPermission(routing.EVENTS_EXCHANGE, write=rf"^{service}\.", read=NOTHING),
                    TopicPermission(routing.SCHOOLS_EXCHANGE, write=rf"^[0-9]{{7}}[A-Z]\.{service}\.", read=NOTHING),
                ),
            )
        )
    result += [portal_account(portal) for portal in portals()]
    return result


def _hash_password(password: str) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def queue_arguments(name: str) -> dict[str, Any]:
    """Work queues: quorum, a delivery limit, and at-least-once dead-lettering to their parking queue."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": routing.PARKING_EXCHANGE,
        "x-dead-letter-routing-key": routing.parking_queue(name),
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def retry_queue_arguments(name: str, delay: int) -> dict[str, Any]:
    """A retry queue: each message waits ``delay`` seconds (one delay per queue, so none blocks another at the
    head), then is dead-lettered, at least once, to the fanout exchange bound to its work queue ``name`` alone."""
    return {
        "x-queue-type": "quorum",
        "x-message-ttl": delay * 1000,
        "x-dead-letter-exchange": routing.retry_return_exchange(name),
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def retry_binding(retry_queue: str) -> dict[str, str]:
    """A copy sent to wait reaches the one retry queue its header names, keeping its routing key."""
    return {"x-match": "all", routing.RETRY_TO_HEADER: retry_queue}


def replay_binding(name: str) -> dict[str, str]:
    """A replayed message reaches the queue ``name`` only, keeping its routing key for the consumer's dispatch."""
    return {"x-match": "all", routing.REPLAY_HEADER: name}


def policies(vhost: str) -> list[dict[str, Any]]:
    """Bounds the broker holds queues to, whoever declared them.

    A portal's server-named queue (``amq.gen-…``) is bounded in length and bytes, oldest dropped (a full
    queue refusing publishes would stall every service's outbox), and deleted after 30 unused minutes, so an
    abandoned consumer cannot fill the broker. A parking queue has an explicit delivery limit and a
    dead-letter route to ``parking.exhausted``, so a parked message that keeps failing is kept, not looped.
    """
    return [
        {
            "vhost": vhost,
            "name": "passpro-portal-queues",
            "pattern": r"^amq\.gen-",
            "apply-to": "queues",
            "priority": 0,
            "definition": {
                "max-length": PORTAL_QUEUE_MAX_LENGTH,
                "max-length-bytes": PORTAL_QUEUE_MAX_BYTES,
                "overflow": "drop-head",
                "expires": PORTAL_QUEUE_EXPIRES_MS,
            },
        },
        {
            "vhost": vhost,
            "name": "passpro-parking",
            "pattern": r"\.parking$",
            "apply-to": "queues",
            "priority": 0,
            "definition": {
                "delivery-limit": PARKING_DELIVERY_LIMIT,
                "dead-letter-exchange": routing.PARKING_EXCHANGE,
                "dead-letter-routing-key": EXHAUSTED_QUEUE,
                "dead-letter-strategy": "at-least-once",
                "overflow": "reject-publish",
            },
        },
    ]


def definitions(vhosts: tuple[str, ...] = (routing.VHOST, TEST_VHOST)) -> dict[str, Any]:
    """The definitions document for ``vhosts`` (the stack's and the test suite's, identical)."""
    users, permissions, topic_permissions, exchanges, queues, bindings = [], [], [], [], [], []
    policy_list: list[dict[str, Any]] = []
    for account in accounts():
        users.append(
            {
                "name": account.name,
                "password_hash": _hash_password(account.password),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": account.tags,
            }
        )
    for vhost in vhosts:
        for account in accounts():
            permissions.append(
                {
                    "user": account.name,
                    "vhost": vhost,
                    "configure": account.configure,
                    "write": account.write,
                    "read": account.read,
                }
            )
            for topic in account.topics:
                topic_permissions.append(
                    {
                        "user": account.name,
                        "vhost": vhost,
                        "exchange": topic.exchange,
                        "write": topic.write,
                        "read": topic.read,
                    }
                )
        policy_list += policies(vhost)
        queues.append(
            {
                "name": EXHAUSTED_QUEUE,
                "vhost": vhost,
                "durable": True,
                "auto_delete": False,
                "arguments": {"x-queue-type": "quorum"},
            }
        )
        bindings.append(
            {
                "source": routing.PARKING_EXCHANGE,
                "vhost": vhost,
                "destination": EXHAUSTED_QUEUE,
                "destination_type": "queue",
                "routing_key": EXHAUSTED_QUEUE,
                "arguments": {},
            }
        )
        for name, kind in (
            (routing.COMMANDS_EXCHANGE, "topic"),
            (routing.EVENTS_EXCHANGE, "topic"),
            (routing.SCHOOLS_EXCHANGE, "topic"),
            (routing.PARKING_EXCHANGE, "direct"),
            (routing.REPLAY_EXCHANGE, "headers"),
            *((routing.retry_exchange(service), "headers") for service in routing.SERVICES),
            *((routing.retry_return_exchange(spec.name), "fanout") for spec in routing.QUEUES),
        ):
            exchanges.append(
                {
                    "name": name,
                    "vhost": vhost,
                    "type": kind,
                    "durable": True,
                    "auto_delete": False,
                    "internal": False,
                    "arguments": {},
                }
            )
        for spec in routing.QUEUES:
            parking = routing.parking_queue(spec.name)
            queues.append(
                {
                    "name": spec.name,
                    "vhost": vhost,
                    "durable": True,
                    "auto_delete": False,
                    "arguments": queue_arguments(spec.name),
                }
            )
            queues.append(
                {
                    "name": parking,
                    "vhost": vhost,
                    "durable": True,
                    "auto_delete": False,
                    "arguments": {"x-queue-type": "quorum"},
                }
            )
            bindings.append(
                {
                    "source": routing.PARKING_EXCHANGE,
                    "vhost": vhost,
                    "destination": parking,
                    "destination_type": "queue",
                    "routing_key": parking,
                    "arguments": {},
                }
            )
            bindings.append(
                {
                    "source": routing.REPLAY_EXCHANGE,
                    "vhost": vhost,
                    "destination": spec.name,
                    "destination_type": "queue",
                    "routing_key": "",
                    "arguments": replay_binding(spec.name),
                }
            )
            bindings.append(
                {
                    "source": routing.retry_return_exchange(spec.name),
                    "vhost": vhost,
                    "destination": spec.name,
                    "destination_type": "queue",
                    "routing_key": "",
                    "arguments": {},
                }
            )
            for delay, retry in zip(routing.RETRY_DELAYS, spec.retries, strict=True):
                queues.append(
                    {
                        "name": retry,
                        "vhost": vhost,
                        "durable": True,
                        "auto_delete": False,
                        "arguments": retry_queue_arguments(spec.name, delay),
                    }
                )
                bindings.append(
                    {
                        "source": routing.retry_exchange(spec.service),
                        "vhost": vhost,
                        "destination": retry,
                        "destination_type": "queue",
                        "routing_key": "",
                        "arguments": retry_binding(retry),
                    }
                )
            for key in spec.bindings:
                bindings.append(
                    {
                        "source": spec.exchange,
                        "vhost": vhost,
                        "destination": spec.name,
                        "destination_type": "queue",
                        "routing_key": key,
                        "arguments": {},
                    }
                )
    return {
        "rabbit_version": "3.10.8",
        "users": users,
        "vhosts": [{"name": v} for v in vhosts],
        "permissions": permissions,
        "topic_permissions": topic_permissions,
        "parameters": [],
        "policies": policy_list,
        "exchanges": exchanges,
        "queues": queues,
        "bindings": bindings,
    }


if __name__ == "__main__":
    print(json.dumps(definitions(), indent=2))
