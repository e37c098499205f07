"""How a service finds its own database role: from its name, unless the URL names a user."""

from __future__ import annotations

import base64

import pytest

from deploy.database import scram_verifier
from services.runtime.settings import ServiceSettings


def test_a_url_naming_no_user_gives_the_services_own_role_with_its_name_as_local_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PASSPRO_SCHEDULING_DATABASE_PASSWORD", raising=False)
    settings = ServiceSettings(database_url="postgresql://127.0.0.1:5432/passpro")

    login = settings.database_login("scheduling")

    assert (login.url, login.user, login.password) == (
        "postgresql://127.0.0.1:5432/passpro",
        "passpro_scheduling",
        "passpro_scheduling",
    )


def test_the_services_password_variable_is_read_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSPRO_OPINIONS_DATABASE_PASSWORD", "s3cret-opinions")
    settings = ServiceSettings(database_url="postgresql://db.example:5432/passpro")

    login = settings.database_login("opinions")

    assert login.password == "s3cret-opinions"
    assert "s3cret" not in repr(login) and "s3cret" not in login.url


def test_a_url_naming_a_user_is_used_as_it_is() -> None:
    url = "postgresql://someone:pw@127.0.0.1:5432/passpro"

    login = ServiceSettings(database_url=url).database_login("enrollment")

    assert (login.url, login.user, login.password) == (url, None, None)
    assert login.arguments() == {"dsn": url}


def test_the_scram_verifier_carries_the_salt_and_never_the_password() -> None:
    salt = bytes(range(16))

    verifier = scram_verifier("pencil", salt)

    assert verifier.startswith(f"SCRAM-SHA-256$4096:{base64.b64encode(salt).decode()}$")
    assert "pencil" not in verifier and verifier != scram_verifier("pencil")
