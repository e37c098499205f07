"""The AsyncAPI 3.0 document of the whole Passpro system, built from the contract models and routing names."""

import inspect
import json
import sys
from pathlib import Path
from typing import Any

from contracts.base import Command, Message
from contracts.routing import (
    COMMANDS,
    COMMANDS_EXCHANGE,
    EVENTS,
    EVENTS_EXCHANGE,
    SERVICES,
    VHOST,
    handlers_of,
)

__all__ = ["build_asyncapi", "main"]

DESCRIPTION = (
    "Passpro is the back end of the académie de Créteil's Passpro post-3ème procedure. Pupils in 3ème "
    "who consider a vocational formation (CAP, CAPA, 2nde professionnelle, 2nde technologique hôtellerie) "
    "are registered by their origin school, which gives an opinion and a comment per formation. Formations "
    "are grouped in domains; each pupil gets one information interview per domain at a reception lycée, "
    "which reports on it and gives its own opinion per formation. The two opinions are crossed into a final "
    "opinion that becomes a priority bonus in Affelnet, the national assignment software, once the family "
    "confirms the wish. Portals publish commands on the `passpro.commands` topic exchange (routing key = "
    "command name); five services (enrollment, scheduling, opinions, notifications, affelnet_export) publish "
    "events on the `passpro.events` topic exchange (routing key `<service>.<event>`). Every command that is "
    "carried out yields an event whose `causation_id` is its `command_id`; every command that is not yields "
    "exactly one `<service>.command_rejected`. Bodies are UTF-8 JSON, messages are persistent and their AMQP "
    "`message_id` is the command or event id."
)

_AMQP_BINDING_VERSION = "0.3.0"


def _channel_id(routing_key: str, *, command: bool) -> str:
    return ("command-" if command else "event-") + routing_key.replace(".", "-")


def _summary(model: type[Message]) -> str:
    doc = inspect.getdoc(model) or model.__name__
    return doc.splitlines()[0]


def _exchange(name: str) -> dict[str, Any]:
    return {"name": name, "type": "topic", "durable": True, "autoDelete": False, "vhost": VHOST}


def _hoist(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    for name, definition in schema.pop("$defs", {}).items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different JSON schemas are named {name!r}")
    return schema


def build_asyncapi() -> dict[str, Any]:
    """One AsyncAPI 3.0.0 document: a channel per public routing key, the messages and their schemas."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}

    routes: list[tuple[str, type[Message], bool]] = [
        *((key, model, True) for key, model in COMMANDS.items()),
        *((key, model, False) for key, model in EVENTS.items()),
    ]
    for key, model, is_command in routes:
        name = model.__name__
        if name not in messages:
            payload = _hoist(model.model_json_schema(ref_template="#/components/schemas/{model}"), schemas)
            answers = "command_id" if issubclass(model, Command) else "causation_id"
            message: dict[str, Any] = {
                "name": name,
                "title": name,
                "summary": _summary(model),
                "contentType": "application/json",
                "payload": payload,
                "correlationId": {
                    "description": "The command this message answers, or itself for a command.",
                    "location": f"$message.payload#/{answers}",
                },
                "bindings": {"amqp": {"bindingVersion": _AMQP_BINDING_VERSION}},
            }
            messages[name] = message
        channel_id = _channel_id(key, command=is_command)
        exchange = COMMANDS_EXCHANGE if is_command else EVENTS_EXCHANGE
        channels[channel_id] = {
            "address": key,
            "title": key,
            "description": f"Routing key `{key}` on the `{exchange}` exchange.",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": _exchange(exchange),
                    "bindingVersion": _AMQP_BINDING_VERSION,
                }
            },
        }
        if is_command:
            handled_by = ", ".join(handlers_of(key))
            sender = "portal"
            description = f"A portal publishes `{key}`; carried out by {handled_by}."
        else:
            sender = key.split(".", 1)[0]
            description = f"The {sender} service publishes `{key}`."
        operations[("send-" if is_command else "publish-") + key.replace(".", "-")] = {
            "action": "send",
            "title": f"{sender} sends {key}",
            "summary": _summary(model),
            "description": description,
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"}],
            "tags": [{"name": sender}],
            "bindings": {
                "amqp": {"deliveryMode": 2, "mandatory": True, "bindingVersion": _AMQP_BINDING_VERSION},
            },
        }

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Passpro",
            "version": "1.0.0",
            "description": DESCRIPTION,
            "tags": [{"name": "portal"}, *({"name": service} for service in SERVICES)],
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:5672",
                "protocol": "amqp",
                "pathname": f"/{VHOST}",
                "description": "The local stack's RabbitMQ broker, vhost `passpro`.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def main(argv: list[str]) -> int:
    """`python -m contracts.asyncapi OUTPUT_PATH`: write the document as JSON."""
    if len(argv) != 1:
        print("usage: python -m contracts.asyncapi OUTPUT_PATH", file=sys.stderr)
        return 2
    output = Path(argv[0])
    output.write_text(json.dumps(build_asyncapi(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
