"""A JSON-schema snapshot per public message: a breaking change fails here until it is made deliberately."""

import json
import os
from pathlib import Path

import pytest

from contracts.routing import ROUTING_KEY_TO_MODEL

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("PASSPRO_UPDATE_SNAPSHOTS") == "1"
HOW_TO_UPDATE = (
    "If the change is deliberate (documented, old messages still accepted or clearly rejected), "
    "regenerate the snapshots with: PASSPRO_UPDATE_SNAPSHOTS=1 pytest tests/contracts"
)


def _render(schema: object) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("key", sorted(ROUTING_KEY_TO_MODEL))
def test_the_message_schema_matches_its_snapshot(key: str) -> None:
    path = SNAPSHOTS / f"{key}.json"
    current = _render(ROUTING_KEY_TO_MODEL[key].model_json_schema())

    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(current, encoding="utf-8")
        return

    if not path.exists():
        pytest.fail(f"no schema snapshot for {key} ({path.name}). {HOW_TO_UPDATE}")
    if json.loads(path.read_text(encoding="utf-8")) != json.loads(current):
        pytest.fail(f"the JSON schema of {key} differs from {path.name}. {HOW_TO_UPDATE}")


def test_no_snapshot_outlives_its_message() -> None:
    stale = sorted(path.name for path in SNAPSHOTS.glob("*.json") if path.stem not in ROUTING_KEY_TO_MODEL)

    if UPDATE:
        for name in stale:
            (SNAPSHOTS / name).unlink()
        return

    assert not stale, f"snapshots of messages that no longer exist: {stale}. {HOW_TO_UPDATE}"
