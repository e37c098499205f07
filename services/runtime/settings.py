"""Settings every service reads from the environment (PASSPRO_*)."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.database import role_of, role_password_variable
from services.runtime.database import DatabaseLogin
from services.runtime.failover import nodes
from services.runtime.tls import client_context

PLAIN_SSLMODES = ("disable", "allow", "prefer")
"""asyncpg's modes that may run unencrypted: handed over as they are."""


class ServiceSettings(BaseSettings):
    """The variables of the public configuration table, plus each service's own knobs."""

    model_config = SettingsConfigDict(env_prefix="PASSPRO_", extra="ignore")

    amqp_url: str = "amqp://127.0.0.1:5672/passpro"
    amqp_user: str | None = Field(None, description="broker account; defaults to the service's name")
    amqp_password: str | None = None
    amqp_auth: Literal["plain", "external"] = Field(
        "plain",
        description="external: the broker names the account after the client certificate (no password)",
    )
    amqp_ca_file: Path | None = Field(None, description="authorities that sign the broker's certificate (amqps://)")
    amqp_cert_file: Path | None = Field(None, description="this service's certificate, for amqps://")
    amqp_key_file: Path | None = None
    database_url: str = Field(
        "postgresql://127.0.0.1:5432/passpro",
        description="the PostgreSQL server and database; a URL naming no user gets the service's own role",
    )
    database_user: str | None = Field(None, description="database role; defaults to passpro_<service>")
    database_password: str | None = Field(
        None,
        description="the role's password; else PASSPRO_<SERVICE>_DATABASE_PASSWORD, else the role's name",
    )
    database_tls: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = Field(
        None,
        description="PostgreSQL's sslmode; unset: the URL's ?sslmode=, else prefer",
    )
    database_ca_file: Path | None = Field(None, description="authorities that sign the database's certificate")
    database_cert_file: Path | None = Field(None, description="this service's certificate (cert authentication)")
    database_key_file: Path | None = None
    campaign_file: Path | None = None
    clock: str = "wall"
    health_host: str = "127.0.0.1"
    health_port: int = 8080
    liveness_grace: float = Field(
        30.0,
        description="seconds a process may go without one of its consumers before /health/live says 503",
    )
    prefetch: int = 32
    batch_size: int = Field(16, ge=1, description="valid deliveries of a queue handled together in one transaction")
    batch_linger: float = Field(
        0.02,
        ge=0.0,
        description="seconds a batch not yet full waits for more deliveries before its transaction starts",
    )
    graceful_timeout: float = 30.0
    db_pool_size: int = 20
    affelnet_url: str = "http://127.0.0.1:8090"
    affelnet_token: str = "passpro-local"  # noqa: S105 - the local receiver's; set PASSPRO_AFFELNET_TOKEN elsewhere
    affelnet_concurrency: int = 16
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_tls: Literal["none", "starttls", "implicit"] = Field(
        "none",
        description="starttls: required upgrade (port 587); implicit: TLS from the start (465)",
    )
    smtp_ca_file: Path | None = Field(None, description="authorities that sign the relay's certificate")
    smtp_user: str | None = Field(None, description="SMTP AUTH login; only ever sent over TLS")
    smtp_password: str | None = None
    mail_from: str = "passpro@ac-creteil.fr"
    mail_domain: str = "ac-creteil.fr"
    operator_user: str = Field("passpro-admin", description="the broker account whose commands operators send")
    operators_mailbox: str | None = Field(None, description="the SAIO operators' mailbox: shortfall mails (R15)")
    ops_token: str = Field(
        "passpro-ops",  # the local stack's; set PASSPRO_OPS_TOKEN elsewhere
        description="bearer token of operators' reads that carry personal data (GET /read/...)",
    )

    def database_login(self, service: str) -> DatabaseLogin:
        """This service's own role on the database, unless the URL already names a user (then that one).

        Like the broker accounts: the role is ``passpro_<service>`` and its password comes from
        ``PASSPRO_DATABASE_PASSWORD`` or ``PASSPRO_<SERVICE>_DATABASE_PASSWORD``, else (local stack) the role's
        name. The password travels beside the URL, never inside it, so a logged URL carries none.
        """
        parts = urlsplit(self.database_url)
        if parts.username:
            return DatabaseLogin(self.database_url, None, None, self.database_tls_option())
        user = self.database_user or role_of(service)
        password = self.database_password or os.environ.get(role_password_variable(service)) or user
        return DatabaseLogin(self.database_url, user, password, self.database_tls_option())

    def database_tls_option(self) -> ssl.SSLContext | str | None:
        """asyncpg's ``ssl``: a context once a mode checks anything or a file is named, else the mode itself."""
        files = (self.database_ca_file, self.database_cert_file)
        mode = self.database_tls
        if mode in PLAIN_SSLMODES or (mode is None and not any(files)):
            return mode
        return client_context(
            mode or "verify-full",
            ca_file=self.database_ca_file,
            cert_file=self.database_cert_file,
            key_file=self.database_key_file,
        )

    def smtp_options(self) -> dict[str, Any]:
        """``aiosmtplib.SMTP``'s TLS and login arguments; a login is refused on a connection without TLS."""
        if self.smtp_user and self.smtp_tls == "none":
            raise ValueError(
                "PASSPRO_SMTP_USER needs PASSPRO_SMTP_TLS=starttls or implicit: "
                "the password would cross the network in clear"
            )
        options: dict[str, Any] = {
            "use_tls": self.smtp_tls == "implicit",
            # none: never upgrade, so a relay cannot push a certificate nobody checks
            "start_tls": self.smtp_tls == "starttls",
        }
        if self.smtp_tls != "none":
            options["tls_context"] = client_context(ca_file=self.smtp_ca_file)
        if self.smtp_user:
            options.update(username=self.smtp_user, password=self.smtp_password or "")
        return options

    def broker_url(self, service: str) -> str:
        """The broker URL with this service's account, unless the URL already names one.

        A cluster is given as its nodes' URLs separated by commas; each gets the account.
        """
        return ",".join(self._with_account(url, service) for url in nodes(self.amqp_url))

    def _with_account(self, url: str, service: str) -> str:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        # The client (aiormq) reads its TLS files and mechanism from the URL's query.
        for key, path in (
            ("cafile", self.amqp_ca_file),
            ("certfile", self.amqp_cert_file),
            ("keyfile", self.amqp_key_file),
        ):
            if path is not None:
                query.setdefault(key, str(path))
        if self.amqp_auth == "external":
            query.setdefault("auth", "EXTERNAL")
        port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
        if parts.username:
            netloc = parts.netloc
        elif query.get("auth", "").upper() == "EXTERNAL":
            netloc = f"{parts.hostname}:{port}"
        else:
            user = self.amqp_user or service
            password = self.amqp_password or user
            netloc = f"{user}:{password}@{parts.hostname}:{port}"
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment))
