"""The broker's bindings are the one declaration of what a service consumes; its handlers follow them."""

from __future__ import annotations

import importlib
import inspect

import pytest

from contracts import routing


def _bound(service: str, exchange: str) -> set[str]:
    return {key for spec in routing.queues_of(service) if spec.exchange == exchange for key in spec.bindings}


def _public_names() -> set[str]:
    return set(routing.COMMANDS) | {key.partition(".")[2] for key in routing.EVENTS}


@pytest.mark.parametrize("service", routing.SERVICES)
def test_a_service_handles_each_event_it_is_bound_to_with_a_coroutine_of_its_handlers(service: str) -> None:
    definition = importlib.import_module(f"services.{service}.app").SERVICE
    handlers = importlib.import_module(f"services.{service}.handlers")

    assert set(definition.events) == _bound(service, routing.EVENTS_EXCHANGE)
    for key, handler in definition.events.items():
        assert inspect.iscoroutinefunction(handler), key
        assert getattr(handlers, key.partition(".")[2]) is handler, key


@pytest.mark.parametrize("service", routing.SERVICES)
def test_no_handler_is_written_for_a_message_the_service_is_not_bound_to(service: str) -> None:
    """A coroutine named after a public message but left out of the bindings would never run."""
    handlers = importlib.import_module(f"services.{service}.handlers")
    definition = importlib.import_module(f"services.{service}.app").SERVICE
    named = {
        name for name, value in vars(handlers).items() if inspect.iscoroutinefunction(value) and name in _public_names()
    }
    handled = set(definition.commands) | {key.partition(".")[2] for key in definition.events}

    assert named <= handled, named - handled


@pytest.mark.parametrize("service", routing.SERVICES)
def test_a_service_receives_the_commands_it_owns_and_handles_only_those(service: str) -> None:
    definition = importlib.import_module(f"services.{service}.app").SERVICE
    owned = {key for key, owner in routing.COMMAND_OWNERS.items() if owner == service}

    # Each owned command in both forms: ``<command>`` and a school portal's ``<command>.<uai>``.
    assert _bound(service, routing.COMMANDS_EXCHANGE) == {
        *owned,
        *(f"{key}.*" for key in owned),
        *routing.BROADCAST_COMMANDS,
    }
    assert set(definition.commands) == owned
