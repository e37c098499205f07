"""Settings every service reads from the environment (PASSPRO_*)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.database import role_of, role_password_variable
from services.runtime.database import DatabaseLogin
from services.runtime.failover import nodes


class ServiceSettings(BaseSettings):
    """The variables of the public configuration table, plus each service's own knobs."""

    model_config = SettingsConfigDict(env_prefix="PASSPRO_", extra="ignore")

    amqp_url: str = "amqp://127.0.0.1:5672/passpro"
    amqp_user: str | None = Field(None, description="broker account; defaults to the service's name")
    amqp_password: str | None = None
    database_url: str = Field(
        "postgresql://127.0.0.1:5432/passpro",
        description="the PostgreSQL server and database; a URL naming no user gets the service's own role",
    )
    database_user: str | None = Field(None, description="database role; defaults to passpro_<service>")
    database_password: str | None = Field(
        None, description="the role's password; else PASSPRO_<SERVICE>_DATABASE_PASSWORD, else the role's name",
    )
    campaign_file: Path | None = None
    clock: str = "wall"
    health_host: str = "127.0.0.1"
    health_port: int = 8080
    prefetch: int = 32
    batch_size: int = Field(16, ge=1, description="valid deliveries of a queue handled together in one transaction")
    graceful_timeout: float = 30.0
    db_pool_size: int = 20
    affelnet_url: str = "http://127.0.0.1:8090"
    affelnet_token: str = "passpro-local"  # noqa: S105 - the local receiver's; set PASSPRO_AFFELNET_TOKEN elsewhere
    affelnet_concurrency: int = 16
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
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
            return DatabaseLogin(self.database_url, None, None)
        user = self.database_user or role_of(service)
        password = (self.database_password or os.environ.get(role_password_variable(service)) or user)
        return DatabaseLogin(self.database_url, user, password)

    def broker_url(self, service: str) -> str:
        """The broker URL with this service's account, unless the URL already names one.

        A cluster is given as its nodes' URLs separated by commas; each gets the account.
        """
        return ",".join(self._with_account(url, service) for url in nodes(self.amqp_url))

    def _with_account(self, url: str, service: str) -> str:
        parts = urlsplit(url)
        if parts.username:
            return url
        user = self.amqp_user or service
        password = self.amqp_password or user
        netloc = f"{user}:{password}@{parts.hostname}:{parts.port or 5672}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

