"""The AsyncAPI document: built from the code, it lists every public routing key."""

import json
from pathlib import Path
from typing import Any

from contracts.asyncapi import build_asyncapi, main
from contracts.routing import COMMANDS, EVENTS


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_the_document_is_asyncapi_3_for_passpro() -> None:
    document = build_asyncapi()

    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "Passpro"
    assert document["info"]["version"] == "1.0.0"


def test_the_document_lists_every_routing_key() -> None:
    document = build_asyncapi()

    addresses = {channel["address"] for channel in document["channels"].values()}

    assert addresses == set(COMMANDS) | set(EVENTS)


def test_portals_send_commands_and_services_send_events() -> None:
    document = build_asyncapi()
    sent = {
        _resolve(document, operation["channel"]["$ref"])["address"]: operation
        for operation in document["operations"].values()
    }

    assert all(operation["action"] == "send" for operation in sent.values())
    assert all(sent[key]["tags"] == [{"name": "portal"}] for key in COMMANDS)
    assert all(sent[key]["tags"] == [{"name": key.partition(".")[0]}] for key in EVENTS)


def test_every_reference_resolves() -> None:
    document = build_asyncapi()

    for ref in _refs(document):
        assert _resolve(document, ref) is not None, ref


def test_the_module_writes_the_document_as_json(tmp_path: Path) -> None:
    output = tmp_path / "asyncapi.json"

    assert main([str(output)]) == 0

    assert json.loads(output.read_text(encoding="utf-8")) == build_asyncapi()
