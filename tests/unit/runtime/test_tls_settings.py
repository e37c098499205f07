"""The TLS and authentication settings turned into each client's arguments: broker URL, asyncpg's ssl, SMTP."""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from services.runtime.settings import ServiceSettings


def test_amqps_gets_the_tls_files_in_the_query_and_the_tls_port() -> None:
    settings = ServiceSettings(
        amqp_url="amqps://rabbit.example/passpro",
        amqp_password="pw",
        amqp_ca_file=Path("/etc/passpro/tls/ca.pem"),
        amqp_cert_file=Path("/etc/passpro/tls/scheduling.pem"),
        amqp_key_file=Path("/etc/passpro/tls/scheduling.key"),
    )

    url = urlsplit(settings.broker_url("scheduling"))

    assert (url.scheme, url.username, url.password, url.hostname, url.port) == (
        "amqps",
        "scheduling",
        "pw",
        "rabbit.example",
        5671,
    )
    assert parse_qs(url.query) == {
        "cafile": ["/etc/passpro/tls/ca.pem"],
        "certfile": ["/etc/passpro/tls/scheduling.pem"],
        "keyfile": ["/etc/passpro/tls/scheduling.key"],
    }


def test_external_authentication_puts_no_account_in_the_url_on_any_node() -> None:
    settings = ServiceSettings(
        amqp_url="amqps://a:5671/passpro,amqps://b:5671/passpro",
        amqp_auth="external",
        amqp_cert_file=Path("/c.pem"),
        amqp_key_file=Path("/c.key"),
    )

    urls = [urlsplit(url) for url in settings.broker_url("opinions").split(",")]

    assert [(u.hostname, u.username, u.password) for u in urls] == [("a", None, None), ("b", None, None)]
    assert all(parse_qs(u.query)["auth"] == ["EXTERNAL"] for u in urls)


def test_a_plain_url_is_left_without_a_query() -> None:
    url = ServiceSettings(amqp_url="amqp://127.0.0.1:5672/passpro").broker_url("enrollment")

    assert url == "amqp://enrollment:enrollment@127.0.0.1:5672/passpro"


def test_database_tls_unset_leaves_the_url_in_charge() -> None:
    login = ServiceSettings(database_url="postgresql://db/passpro?sslmode=require").database_login("opinions")

    assert "ssl" not in login.arguments()


@pytest.mark.parametrize(
    ("mode", "hostname", "verify"),
    [
        ("verify-full", True, ssl.CERT_REQUIRED),
        ("verify-ca", False, ssl.CERT_REQUIRED),
        ("require", False, ssl.CERT_NONE),
    ],
)
def test_database_tls_modes_become_a_context_that_never_falls_back(mode: str, hostname: bool, verify: int) -> None:
    settings = ServiceSettings(database_tls=mode)  # type: ignore[arg-type]

    context = settings.database_login("opinions").arguments()["ssl"]

    assert isinstance(context, ssl.SSLContext)
    assert (context.check_hostname, context.verify_mode) == (hostname, verify)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_a_database_ca_file_alone_means_verify_full() -> None:
    ca = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")

    context = ServiceSettings(database_ca_file=ca).database_tls_option()

    assert isinstance(context, ssl.SSLContext) and context.check_hostname


def test_smtp_modes() -> None:
    none = ServiceSettings().smtp_options()
    starttls = ServiceSettings(smtp_tls="starttls", smtp_user="u", smtp_password="p").smtp_options()
    implicit = ServiceSettings(smtp_tls="implicit").smtp_options()

    assert none == {"use_tls": False, "start_tls": False}
    assert (starttls["use_tls"], starttls["start_tls"], starttls["username"], starttls["password"]) == (
        False,
        True,
        "u",
        "p",
    )
    assert (implicit["use_tls"], implicit["start_tls"], "username" in implicit) == (True, False, False)
    assert isinstance(implicit["tls_context"], ssl.SSLContext)
