"""Mail over TLS with a login: the notifications' SMTP options against a relay that demands STARTTLS and AUTH."""

from __future__ import annotations

import socket
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.runtime.settings import ServiceSettings
from tests.certificates import Authority, make_authority

USER, PASSWORD = "passpro-relay", uuid.uuid4().hex


@dataclass
class Relay:
    """An outgoing relay as an académie runs one: STARTTLS before anything, then AUTH, then the mail."""

    received: list[dict[str, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login if session.authenticated else None
        self.received.append({"tls": session.ssl is not None, "login": login, "recipients": list(envelope.rcpt_tos)})
        return "250 OK"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=data)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return make_authority(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def relay(authority: Authority) -> Iterator[tuple[Relay, int]]:
    handler, port = Relay(), free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=authority.server_context(),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticate,
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def settings(port: int, **overrides: Any) -> ServiceSettings:
    return ServiceSettings(smtp_host="127.0.0.1", smtp_port=port, **overrides)


def mail() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "passpro@ac-creteil.fr", "ce.0940001a@ac-creteil.fr", "t"
    message.set_content("Convocation")
    return message


async def send(options: ServiceSettings) -> None:
    # The same call as the notifications sender's.
    async with aiosmtplib.SMTP(
        hostname=options.smtp_host, port=options.smtp_port, timeout=20, **options.smtp_options()
    ) as smtp:
        await smtp.send_message(mail())


async def test_starttls_and_login_deliver_the_mail_encrypted(relay: tuple[Relay, int], authority: Authority) -> None:
    handler, port = relay
    await send(
        settings(port, smtp_tls="starttls", smtp_ca_file=authority.ca_file, smtp_user=USER, smtp_password=PASSWORD)
    )
    assert handler.received == [{"tls": True, "login": USER.encode(), "recipients": ["ce.0940001a@ac-creteil.fr"]}]


async def test_a_relay_certificate_from_another_authority_is_refused(relay: tuple[Relay, int], tmp_path: Path) -> None:
    handler, port = relay
    stranger = make_authority(tmp_path, "stranger")
    with pytest.raises((aiosmtplib.SMTPException, ssl.SSLError)) as refused:
        await send(
            settings(port, smtp_tls="starttls", smtp_ca_file=stranger.ca_file, smtp_user=USER, smtp_password=PASSWORD)
        )
    assert "certificate verify failed" in str(refused.value).lower()
    assert handler.received == []


async def test_without_tls_the_relay_refuses_the_mail(relay: tuple[Relay, int]) -> None:
    handler, port = relay
    with pytest.raises(aiosmtplib.SMTPException) as refused:
        await send(settings(port))
    assert "STARTTLS" in str(refused.value)
    assert handler.received == []


async def test_a_wrong_password_is_refused_over_tls(relay: tuple[Relay, int], authority: Authority) -> None:
    handler, port = relay
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await send(
            settings(port, smtp_tls="starttls", smtp_ca_file=authority.ca_file, smtp_user=USER, smtp_password="not-it")
        )
    assert handler.received == []


def test_a_login_without_tls_is_refused_before_any_connection() -> None:
    with pytest.raises(ValueError, match="PASSPRO_SMTP_TLS"):
        settings(1, smtp_user=USER, smtp_password=PASSWORD).smtp_options()
