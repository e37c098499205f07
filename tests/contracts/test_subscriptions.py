"""The broker's bindings and the services' handlers say the same thing."""

from __future__ import annotations

import importlib

import pytest

from contracts import routing


def _bound(service: str, exchange: str) -> set[str]:
    return {key for spec in routing.queues_of(service) if spec.exchange == exchange for key in spec.bindings}


@pytest.mark.parametrize("service", routing.SERVICES)
def test_a_service_is_bound_to_exactly_the_events_it_handles(service: str) -> None:
    definition = importlib.import_module(f"services.{service}.app").SERVICE

    assert _bound(service, routing.EVENTS_EXCHANGE) == set(definition.events)


@pytest.mark.parametrize("service", routing.SERVICES)
def test_a_service_receives_the_commands_it_owns_and_handles_only_those(service: str) -> None:
    definition = importlib.import_module(f"services.{service}.app").SERVICE
    owned = {key for key, owner in routing.COMMAND_OWNERS.items() if owner == service}

    # Each owned command in both forms: ``<command>`` and a school portal's ``<command>.<uai>``.
    assert _bound(service, routing.COMMANDS_EXCHANGE) == {*owned, *(f"{key}.*" for key in owned),
                                                          *routing.BROADCAST_COMMANDS}
    assert set(definition.commands) <= owned
