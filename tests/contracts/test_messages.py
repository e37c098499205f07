"""Public messages: round-trips, strictness, bounds, and the routing names that carry them."""

import json
from typing import Any, get_args

import pytest
from pydantic import BaseModel, ValidationError

from contracts.base import Channel, ChannelName, Command, Event, Message, RejectionReason
from contracts.commands import DeclareInterviewSlots, RegisterCandidacy, SubmitInterviewReport
from contracts.events import CommandRejected, InterviewBooked
from contracts.routing import (
    ADVANCE_CLOCK,
    BROADCAST_COMMANDS,
    COMMAND_OWNERS,
    COMMANDS,
    COMMANDS_EXCHANGE,
    EVENT_NAMES,
    EVENTS,
    EVENTS_EXCHANGE,
    PURGE_CAMPAIGN,
    QUEUES,
    ROUTING_KEY_TO_MODEL,
    SERVICES,
    command_key,
    event_key,
    handlers_of,
    parking_queue,
    queues_of,
)
from tests.contracts.samples import SAMPLES

ALL_MODELS = sorted({*COMMANDS.values(), *EVENTS.values()}, key=lambda model: model.__name__)

# The fields of the public interface, version 1, besides the envelope: they keep these exact names.
PUBLIC_FIELDS: dict[str, set[str]] = {
    "register_candidacy": {"pupil", "origin_uai", "referent", "formation_code", "origin_opinion", "origin_comment"},
    "withdraw_candidacy": {"ine", "formation_code", "reason"},
    "declare_interview_slots": {"domain_code", "place", "slots"},
    "cancel_interview_slots": {"domain_code", "starts_at", "reason"},
    "submit_interview_report": {"interview_id", "attended", "report", "opinions"},
    "request_new_interview": {"ine", "domain_code"},
    "confirm_wish": {"ine", "formation_code", "family_confirmed", "wish_entered_on"},
    "advance_clock": {"to"},
    # Extension for operators (not sent by portals): the campaign's personal data deleted once it is over.
    "purge_campaign": set(),
    "enrollment.candidacy_registered": {"ine", "formation_code", "domain_code", "origin_uai", "origin_opinion"},
    "enrollment.candidacy_withdrawn": {"ine", "formation_code", "domain_code"},
    "scheduling.interview_booked": {
        "interview_id",
        "ine",
        "domain_code",
        "reception_uai",
        "starts_at",
        "ends_at",
        "place",
        "formation_codes",
    },
    "scheduling.interview_cancelled": {"interview_id", "ine", "domain_code", "reason"},
    "scheduling.capacity_shortfall": {"domain_code", "waiting_pupils"},
    "opinions.final_opinion_computed": {
        "ine",
        "formation_code",
        "origin_opinion",
        "reception_opinion",
        "final_opinion",
    },
    "opinions.report_overdue": {"interview_id", "reception_uai", "due_on"},
    "notifications.convocation_sent": {"ine", "interview_id", "recipients"},
    "notifications.recap_sent": {"ine", "domain_code", "recipients"},
    "affelnet_export.bonus_exported": {"ine", "formation_code", "final_opinion", "bonus_points"},
    "scheduling.slots_declared": {"reception_uai", "domain_code", "slots_added"},
    "scheduling.slots_cancelled": {"reception_uai", "domain_code", "slots_cancelled", "interviews_moved"},
    "scheduling.interview_requested": {"ine", "domain_code"},
    # Extension (R15, R17): the alarm when pupils still wait as the window closes.
    "scheduling.interviews_at_risk": {"domain_code", "waiting_pupils", "last_booking_day"},
    "opinions.interview_reported": {"interview_id", "ine", "domain_code", "attended"},
    "affelnet_export.wish_confirmed": {"ine", "formation_code", "wish_entered_on"},
    **{event_key(service, "clock_advanced"): {"to"} for service in SERVICES},
    **{event_key(service, "campaign_purged"): {"rows_deleted"} for service in SERVICES},
    **{
        event_key(service, "command_rejected"): {"command_id", "command", "reason", "message", "errors"}
        for service in SERVICES
    },
}


def _register(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(SAMPLES[RegisterCandidacy].model_dump_json())
    for dotted, value in changes.items():
        target = body
        *parents, last = dotted.split(".")
        for parent in parents:
            target = target[parent]
        target[last] = value
    return body


def test_every_public_message_has_a_sample() -> None:
    assert set(SAMPLES) == set(ALL_MODELS)


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_every_message_survives_a_json_round_trip(model: type[Message]) -> None:
    sample = SAMPLES[model]

    decoded = model.model_validate_json(sample.model_dump_json())

    assert decoded == sample


@pytest.mark.parametrize("key", sorted(PUBLIC_FIELDS))
def test_every_public_field_keeps_its_name(key: str) -> None:
    assert PUBLIC_FIELDS[key] <= set(ROUTING_KEY_TO_MODEL[key].model_fields)


def test_every_public_routing_key_is_carried() -> None:
    assert set(ROUTING_KEY_TO_MODEL) == set(PUBLIC_FIELDS)


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_unknown_fields_are_rejected(model: type[Message]) -> None:
    body = json.loads(SAMPLES[model].model_dump_json())
    body["surprise"] = 1

    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)

    assert [error["type"] for error in caught.value.errors()] == ["extra_forbidden"]


def test_unknown_fields_of_nested_models_are_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterCandidacy.model_validate(_register(**{"pupil.nickname": "Lélé"}))

    assert caught.value.errors()[0]["loc"] == ("pupil", "nickname")


def test_a_2_mb_comment_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterCandidacy.model_validate(_register(origin_comment="x" * 2_000_000))

    assert caught.value.errors()[0]["loc"] == ("origin_comment",)


@pytest.mark.parametrize(
    "field",
    ["pupil.ine", "pupil.last_name", "pupil.class_level", "referent.name", "origin_uai", "formation_code"],
)
def test_oversized_strings_are_rejected(field: str) -> None:
    with pytest.raises(ValidationError):
        RegisterCandidacy.model_validate(_register(**{field: "x" * 10_000}))


def test_r8_a_blank_comment_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterCandidacy.model_validate(_register(origin_comment="  \n "))

    assert "must not be empty" in caught.value.errors()[0]["msg"]


@pytest.mark.parametrize("field", ["pupil.last_name", "pupil.first_name", "referent.name"])
def test_blank_names_are_rejected(field: str) -> None:
    with pytest.raises(ValidationError):
        RegisterCandidacy.model_validate(_register(**{field: " "}))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pupil.last_name", "Du\u0000pont"),
        ("pupil.ine", "0000000001A\u0000"),
        ("origin_uai", "0930122C\n"),
        ("formation_code", "cap\x1b[0m"),
        ("referent.name", "\x07"),
        ("origin_comment", "Motivée\x7f"),
    ],
)
def test_control_characters_are_rejected(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        RegisterCandidacy.model_validate(_register(**{field: value}))


def test_free_text_keeps_its_line_breaks_and_tabs() -> None:
    command = RegisterCandidacy.model_validate(_register(origin_comment="Ligne 1\r\nLigne 2\tfin"))

    assert command.origin_comment == "Ligne 1\r\nLigne 2\tfin"


def test_validation_errors_never_echo_the_pupils_data() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterCandidacy.model_validate(_register(**{"referent.email": "Léa Martin, secret"}))

    assert "Léa Martin" not in str(caught.value)


def test_a_malformed_referent_email_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterCandidacy.model_validate(_register(**{"referent.email": "durand.ac-creteil.fr"}))

    assert caught.value.errors()[0]["loc"] == ("referent", "email")


def test_ine_and_uai_shapes_are_left_to_the_services() -> None:
    command = RegisterCandidacy.model_validate(_register(**{"pupil.ine": "abc", "origin_uai": "nowhere"}))

    assert (command.pupil.ine, command.origin_uai) == ("abc", "nowhere")


def test_r3_the_class_level_is_free_text_for_the_eligibility_rule() -> None:
    command = RegisterCandidacy.model_validate(_register(**{"pupil.class_level": "2nde_gt"}))

    assert command.pupil.class_level == "2nde_gt"


def test_the_channel_defaults_to_the_portal() -> None:
    body = _register()
    del body["channel"]

    assert RegisterCandidacy.model_validate(body).channel == "portal"


def test_an_unknown_channel_is_rejected() -> None:
    with pytest.raises(ValidationError):
        RegisterCandidacy.model_validate(_register(channel="fax"))


def test_the_channel_names_and_the_channel_enum_agree() -> None:
    assert set(get_args(ChannelName)) == {channel.value for channel in Channel}


def test_instants_without_an_offset_are_rejected() -> None:
    body = json.loads(SAMPLES[DeclareInterviewSlots].model_dump_json())
    body["slots"][0]["starts_at"] = "2013-04-02T09:00:00"

    with pytest.raises(ValidationError):
        DeclareInterviewSlots.model_validate(body)


@pytest.mark.parametrize(
    "starts_at",
    ["0001-01-01T00:00:00+14:00", "0001-01-01T23:59:59Z", "9999-12-31T00:00:00Z", "9999-12-30T23:00:00-12:00"],
)
def test_instants_too_close_to_the_ends_of_the_calendar_are_rejected(starts_at: str) -> None:
    body = json.loads(SAMPLES[DeclareInterviewSlots].model_dump_json())
    body["slots"][0]["starts_at"] = starts_at

    with pytest.raises(ValidationError, match="between 0001-01-02 and 9999-12-30"):
        DeclareInterviewSlots.model_validate(body)


@pytest.mark.parametrize(
    ("field", "value"),
    [("duration_minutes", 4), ("duration_minutes", 481), ("capacity", 0), ("capacity", 501)],
)
def test_slot_sizes_are_bounded(field: str, value: int) -> None:
    body = json.loads(SAMPLES[DeclareInterviewSlots].model_dump_json())
    body["slots"][0][field] = value

    with pytest.raises(ValidationError):
        DeclareInterviewSlots.model_validate(body)


def test_at_most_200_slots_per_declaration() -> None:
    body = json.loads(SAMPLES[DeclareInterviewSlots].model_dump_json())
    body["slots"] = body["slots"] * 201

    with pytest.raises(ValidationError):
        DeclareInterviewSlots.model_validate(body)


def test_r21_an_absent_pupil_is_reported_without_report_or_opinions() -> None:
    body = json.loads(SAMPLES[SubmitInterviewReport].model_dump_json())
    body["attended"] = False
    del body["report"], body["opinions"]

    command = SubmitInterviewReport.model_validate(body)

    assert (command.report, command.opinions) == ("", [])


def test_r28_an_unconfirmed_wish_is_invalid() -> None:
    model = COMMANDS["confirm_wish"]
    body = json.loads(SAMPLES[model].model_dump_json())
    body["family_confirmed"] = False

    with pytest.raises(ValidationError):
        model.model_validate(body)


def test_an_interview_ends_after_it_starts() -> None:
    body = json.loads(SAMPLES[InterviewBooked].model_dump_json())
    body["ends_at"] = body["starts_at"]

    with pytest.raises(ValidationError):
        InterviewBooked.model_validate(body)


def test_messages_are_immutable() -> None:
    command = SAMPLES[RegisterCandidacy]

    with pytest.raises(ValidationError):
        command.formation_code = "cap-patissier"  # type: ignore[misc]


def test_a_rejection_cuts_what_it_echoes_instead_of_failing() -> None:
    body = json.loads(SAMPLES[CommandRejected].model_dump_json())
    body["command"] = "k" * 1000
    body["errors"] = [{"field": "f" * 1000, "message": "m"}] * 500

    rejection = CommandRejected.model_validate(body)

    assert len(rejection.command) == 255
    assert len(rejection.errors) == 100
    assert len(rejection.errors[0].field) == 200


def test_a_rejection_may_carry_no_command_id() -> None:
    body = json.loads(SAMPLES[CommandRejected].model_dump_json())
    body["command_id"] = None
    body["causation_id"] = None

    assert CommandRejected.model_validate(body).command_id is None


def test_the_rejection_reasons_are_the_public_codes() -> None:
    assert {reason.value for reason in RejectionReason} == {
        "invalid",
        "unknown_campaign",
        "invalid_ine",
        "invalid_uai",
        "not_eligible",
        "unknown_formation",
        "unknown_domain",
        "registration_not_open",
        "registration_closed",
        "unauthorized",
        "unknown_candidacy",
        "unknown_interview",
        "opinion_locked",
        "outside_interview_window",
        "report_incomplete",
        "already_reported",
        "interview_not_held",
        "wish_deadline_passed",
        "clock_not_virtual",
        "campaign_not_finished",  # extension: operators' purge_campaign before the campaign is over
        "outside_planning_window",
        "no_interview_possible",
        "unknown_slot",
    }


def _undescribed(model: type[BaseModel]) -> list[str]:
    schema = model.model_json_schema()
    found = []
    for owner in [schema, *schema.get("$defs", {}).values()]:
        for name, prop in owner.get("properties", {}).items():
            if not prop.get("description"):
                found.append(f"{owner.get('title')}.{name}")
    return found


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_every_field_has_a_description(model: type[Message]) -> None:
    assert _undescribed(model) == []
    assert model.__doc__


def test_commands_and_events_have_their_base() -> None:
    assert all(issubclass(model, Command) for model in COMMANDS.values())
    assert all(issubclass(model, Event) for model in EVENTS.values())


def test_routing_keys_are_unique_across_commands_and_events() -> None:
    assert not set(COMMANDS) & set(EVENTS)
    assert len(ROUTING_KEY_TO_MODEL) == len(COMMANDS) + len(EVENTS)


def test_every_event_routing_key_starts_with_its_service() -> None:
    for key in EVENTS:
        service, _, name = key.partition(".")
        assert service in SERVICES, key
        assert name and "." not in name, key


def test_every_event_model_has_a_name_and_a_routing_key() -> None:
    assert set(EVENT_NAMES) == set(EVENTS.values())


def test_every_service_answers_the_clock_and_may_reject() -> None:
    for service in SERVICES:
        assert event_key(service, "clock_advanced") in EVENTS
        assert event_key(service, "command_rejected") in EVENTS


def test_every_command_has_an_owner() -> None:
    for key in COMMANDS:
        assert key in COMMAND_OWNERS or key in BROADCAST_COMMANDS, key
    assert set(COMMAND_OWNERS) <= set(COMMANDS)
    assert set(COMMAND_OWNERS.values()) <= set(SERVICES)
    assert not set(BROADCAST_COMMANDS) & set(COMMAND_OWNERS)


def test_broadcast_commands_reach_every_service() -> None:
    assert handlers_of(ADVANCE_CLOCK) == SERVICES
    assert handlers_of(PURGE_CAMPAIGN) == SERVICES
    assert handlers_of("register_candidacy") == ("enrollment",)


def test_a_command_model_knows_its_routing_key() -> None:
    assert all(command_key(model) == key for key, model in COMMANDS.items())


def test_event_keys_name_a_known_service() -> None:
    with pytest.raises(ValueError):
        event_key("billing", "invoice_sent")


def test_queue_names_are_unique_and_have_a_parking_queue() -> None:
    names = [spec.name for spec in QUEUES]

    assert len(names) == len(set(names))
    assert all(spec.parking == parking_queue(spec.name) == f"{spec.name}.parking" for spec in QUEUES)


def test_every_service_has_a_command_queue_and_an_event_queue_when_it_consumes_events() -> None:
    for service in SERVICES:
        queues = {spec.exchange: spec for spec in queues_of(service)}
        assert queues[COMMANDS_EXCHANGE].name == f"{service}.commands"
        if EVENTS_EXCHANGE in queues:
            assert queues[EVENTS_EXCHANGE].name == f"{service}.events"
            assert queues[EVENTS_EXCHANGE].bindings


def test_every_command_queue_receives_its_commands_in_both_key_forms_and_the_broadcast_ones() -> None:
    for spec in QUEUES:
        if spec.exchange == COMMANDS_EXCHANGE:
            owned = {key for key, owner in COMMAND_OWNERS.items() if owner == spec.service}
            per_school = {f"{key}.*" for key in owned}
            assert set(spec.bindings) == owned | per_school | set(BROADCAST_COMMANDS), spec.name


def test_every_command_reaches_exactly_its_handlers() -> None:
    for key in COMMANDS:
        bound = {spec.service for spec in QUEUES if spec.exchange == COMMANDS_EXCHANGE and key in spec.bindings}
        assert bound == set(handlers_of(key)), key


def test_event_subscriptions_bind_public_keys_of_other_services() -> None:
    for spec in QUEUES:
        if spec.exchange == EVENTS_EXCHANGE:
            assert spec.bindings, spec.name
            for key in spec.bindings:
                assert key in EVENTS, key
                assert not key.startswith(f"{spec.service}."), key
