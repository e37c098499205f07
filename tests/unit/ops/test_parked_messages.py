"""Reading parked messages: where and why each failed, how to replay it, and a preview without personal data."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contracts import routing
from ops.parked import DEAD_LETTERED, PARKED_BY_SERVICE, describe, mask_ine, preview, replay_headers

INE = "1234567890A"
LAST_NAME = "Lefèvre"
FIRST_NAME = "Inès"
EMAIL = "referente.durand@example.org"
REFERENT = "Mme Durand"
COMMENT = "Élève motivée, a fait un stage d'observation en cuisine."
BIRTH_DATE = "1998-05-14"
PERSONAL = (INE, LAST_NAME, FIRST_NAME, EMAIL, REFERENT, COMMENT, BIRTH_DATE)


def registration(command_id: str) -> bytes:
    return json.dumps(
        {
            "command_id": command_id,
            "campaign": "2013",
            "actor_uai": "0930122C",
            "channel": "portal",
            "pupil": {
                "ine": INE,
                "last_name": LAST_NAME,
                "first_name": FIRST_NAME,
                "birth_date": BIRTH_DATE,
                "class_level": "3eme",
            },
            "origin_uai": "0930122C",
            "referent": {"name": REFERENT, "email": EMAIL},
            "formation_code": "cap-cuisine",
            "origin_opinion": "favorable",
            "origin_comment": COMMENT,
        }
    ).encode()


def test_a_registration_preview_shows_its_identifiers_and_a_masked_ine_only() -> None:
    command_id = str(uuid.uuid4())

    shown = preview(registration(command_id), "register_candidacy")

    assert shown.startswith("register_candidacy ")
    assert f"command_id={command_id}" in shown
    assert "campaign=2013" in shown and "origin_uai=0930122C" in shown and "formation_code=cap-cuisine" in shown
    assert "ine=********90A" in shown
    assert "origin_comment" in shown and "referent" in shown
    assert not [value for value in PERSONAL if value in shown]


def test_a_body_that_is_not_json_is_described_by_its_size_only() -> None:
    body = f"{LAST_NAME} {FIRST_NAME}, not json".encode()

    assert preview(body, "register_candidacy") == f"register_candidacy not JSON ({len(body)} bytes)"
    assert preview(b"\xff\xfe", None) == "not JSON (2 bytes)"
    listed = json.dumps([LAST_NAME]).encode()
    assert preview(listed, None) == f"JSON list, not an object ({len(listed)} bytes)"


def test_an_identifier_field_holding_something_else_than_an_identifier_is_hidden() -> None:
    body = json.dumps(
        {"formation_code": f"{FIRST_NAME} {LAST_NAME}", "actor_uai": EMAIL, "ine": LAST_NAME, "command_id": COMMENT}
    ).encode()

    shown = preview(body, "register_candidacy")

    assert "formation_code=(hidden)" in shown and "actor_uai=(hidden)" in shown
    assert "ine=(hidden)" in shown and "command_id=(hidden)" in shown
    assert not [value for value in PERSONAL if value in shown]


def test_a_field_name_the_contracts_do_not_know_is_counted_not_named() -> None:
    shown = preview(json.dumps({f"{FIRST_NAME} {LAST_NAME}": "x", "campaign": "2013"}).encode(), None)

    assert shown == "campaign=2013 1 unknown field(s)"


def test_an_ine_is_masked_to_its_last_three_characters() -> None:
    assert mask_ine(INE) == "********90A"
    assert mask_ine(LAST_NAME) == "(hidden)"
    assert mask_ine(1234567890) == "(hidden)"


FIELD_NAMES = st.sampled_from(
    sorted({name for model in routing.ROUTING_KEY_TO_MODEL.values() for name in model.model_fields} | {"ine", "?"})
)
# Accented letters appear in no field name, routing key or identifier: any of them in the preview was echoed.
FREE_TEXT = st.text(alphabet="ÀÉÈÇàéèçÔôÏï ", min_size=1, max_size=30)
JSON_VALUES = st.recursive(
    FREE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELD_NAMES, inner, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(FIELD_NAMES | FREE_TEXT, JSON_VALUES, max_size=8))
def test_no_free_text_of_a_body_reaches_the_preview(body: dict[str, object]) -> None:
    shown = preview(json.dumps(body).encode(), "register_candidacy")

    assert not set(shown) & set("ÀÉÈÇàéèçÔôÏï")


def parked_by_service(message_id: str) -> dict[str, Any]:
    """The properties the outbox relay gives a message a consumer could not read (services/runtime)."""
    return {
        "message_id": f"parked:enrollment.commands:{message_id}",
        "headers": {
            "x-passpro-reason": "the body is not a JSON object",
            "x-passpro-queue": "enrollment.commands",
            "x-passpro-routing-key": "register_candidacy",
            "x-passpro-message-id": message_id,
            "x-passpro-parked-at": "2013-02-01T08:00:03.512000+01:00",
        },
    }


def test_a_message_the_service_parked_names_its_queue_routing_key_reason_and_original_id() -> None:
    message_id = str(uuid.uuid4())

    parked = describe(parked_by_service(message_id), b"\xff not json", "enrollment.commands.parking")

    assert parked.id == f"parked:enrollment.commands:{message_id}"
    assert parked.kind == PARKED_BY_SERVICE
    assert (parked.queue, parked.routing_key, parked.original_id) == (
        "enrollment.commands",
        "register_candidacy",
        message_id,
    )
    assert parked.reason == "the body is not a JSON object"
    assert parked.failed_at == datetime.fromisoformat("2013-02-01T08:00:03.512+01:00")
    assert parked.matches(message_id) and parked.matches(parked.id) and not parked.matches(str(uuid.uuid4()))


def test_a_message_the_service_could_not_read_is_not_replayed() -> None:
    parked = describe(parked_by_service(str(uuid.uuid4())), b"\xff not json", "enrollment.commands.parking")

    assert parked.refusal() is not None and "not a JSON object" in str(parked.refusal())


def dead_lettered(command_id: str, first: object, latest: object) -> dict[str, Any]:
    """The properties of a message the broker dead-lettered from a quorum queue past its delivery limit."""
    return {
        "message_id": command_id,
        "correlation_id": command_id,
        "headers": {
            "x-death": [
                {
                    "count": 2,
                    "reason": "delivery_limit",
                    "queue": "enrollment.commands",
                    "time": latest,
                    "exchange": "passpro.commands",
                    "routing-keys": ["register_candidacy"],
                },
                {
                    "count": 1,
                    "reason": "delivery_limit",
                    "queue": "enrollment.commands",
                    "time": first,
                    "exchange": "passpro.commands",
                    "routing-keys": ["register_candidacy"],
                },
            ],
            "x-first-death-exchange": "passpro.commands",
            "x-first-death-queue": "enrollment.commands",
            "x-first-death-reason": "delivery_limit",
        },
    }


def test_a_dead_lettered_message_reads_the_same_from_the_management_api_and_from_amqp() -> None:
    command_id = str(uuid.uuid4())
    first, latest = datetime(2013, 2, 12, 8, 0, tzinfo=UTC), datetime(2013, 2, 12, 9, 0, tzinfo=UTC)
    body = registration(command_id)

    from_api = describe(
        dead_lettered(command_id, int(first.timestamp()), int(latest.timestamp())), body, "enrollment.commands.parking"
    )
    from_amqp = describe(dead_lettered(command_id, first, latest), body, "enrollment.commands.parking")

    assert from_api == from_amqp
    assert from_api.kind == DEAD_LETTERED
    assert (from_api.id, from_api.original_id) == (command_id, command_id)
    assert (from_api.queue, from_api.routing_key) == ("enrollment.commands", "register_candidacy")
    assert from_api.reason == "delivery_limit (2 times)"
    assert from_api.failed_at == first
    assert from_api.refusal() is None


def test_a_message_without_an_id_is_known_by_the_hash_of_its_body() -> None:
    properties = dead_lettered(str(uuid.uuid4()), 0, 0)
    properties.pop("message_id")

    parked = describe(properties, b"{}", "enrollment.commands.parking")

    assert parked.id == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    assert parked.original_id is None


def test_a_message_that_claims_another_queue_than_its_parking_queue_is_not_replayed() -> None:
    parked = describe(dead_lettered(str(uuid.uuid4()), 0, 0), b"{}", "scheduling.commands.parking")

    assert parked.refusal() is not None


def test_a_message_without_failure_headers_is_not_replayed() -> None:
    parked = describe({"message_id": "m-1"}, b"{}", "enrollment.commands.parking")

    assert parked.kind == "unknown" and parked.refusal() is not None


def test_a_replay_drops_the_parking_bookkeeping_keeps_the_rest_and_names_the_target_queue() -> None:
    headers = {
        **dead_lettered("c", 0, 0)["headers"],
        **parked_by_service("m")["headers"],
        "x-delivery-count": 3,
        "x-last-death-queue": "enrollment.commands",
        "traceparent": "00-abc-01",
    }

    assert replay_headers(headers, "enrollment.commands") == {
        "traceparent": "00-abc-01",
        routing.REPLAY_HEADER: "enrollment.commands",
    }
