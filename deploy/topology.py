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
from dataclasses import dataclass
from typing import Any

from contracts import routing

DELIVERY_LIMIT = 10
"""Deliveries of one message before the broker parks it (quorum queues have no default in 3.10)."""

ADMIN_USER = "passpro-admin"
PORTAL_USER = "portal"
TEST_VHOST = "passpro_test"


@dataclass(frozen=True)
class Account:
    name: str
    password: str
    tags: str
    configure: str
    write: str
    read: str


def _password(user: str) -> str:
    """Local-stack passwords default to the account name; deployments set them by environment."""
    env = "PASSPRO_" + user.upper().replace("-", "_") + "_PASSWORD"
    return os.environ.get(env, user)


def _alternatives(names: list[str]) -> str:
    return "^(" + "|".join(n.replace(".", r"\.") for n in sorted(names)) + ")$"


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
                # It publishes its events and parks the messages it cannot read.
                write=_alternatives([routing.EVENTS_EXCHANGE, routing.PARKING_EXCHANGE]),
                read=_alternatives(own),
            )
        )
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


def replay_binding(name: str) -> dict[str, str]:
    """A replayed message reaches the queue ``name`` only, keeping its routing key for the consumer's dispatch."""
    return {"x-match": "all", routing.REPLAY_HEADER: name}


def definitions(vhosts: tuple[str, ...] = (routing.VHOST, TEST_VHOST)) -> dict[str, Any]:
    """The definitions document for ``vhosts`` (the stack's and the test suite's, identical)."""
    users, permissions, exchanges, queues, bindings = [], [], [], [], []
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
        for name, kind in (
            (routing.COMMANDS_EXCHANGE, "topic"),
            (routing.EVENTS_EXCHANGE, "topic"),
            (routing.PARKING_EXCHANGE, "direct"),
            (routing.REPLAY_EXCHANGE, "headers"),
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
        "parameters": [],
        "policies": [],
        "exchanges": exchanges,
        "queues": queues,
        "bindings": bindings,
    }


if __name__ == "__main__":
    print(json.dumps(definitions(), indent=2))
