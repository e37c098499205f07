"""Where the operators' command finds the broker, its management API and the services (PASSPRO_*)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts import routing

CHECKOUT = Path(__file__).resolve().parents[1]
"""The repository the command runs from, on a developer's machine: where the local stack keeps ``var/``."""
LOCAL_HEALTH_BASE_PORT = 8081
"""The local stack gives the services ports 8081, 8082, … in the order of ``routing.SERVICES``."""


def local_service_urls(base_port: int | None = None) -> dict[str, str]:
    """The first replica of each service on the local stack (PASSPRO_HEALTH_BASE_PORT moves them all)."""
    if base_port is None:
        base_port = int(os.environ.get("PASSPRO_HEALTH_BASE_PORT", LOCAL_HEALTH_BASE_PORT))
    return {name: f"http://127.0.0.1:{base_port + i}" for i, name in enumerate(routing.SERVICES)}


class OpsSettings(BaseSettings):
    """Defaults are the local stack's; every value can come from the environment."""

    model_config = SettingsConfigDict(env_prefix="PASSPRO_", extra="ignore")

    management_url: str = "http://127.0.0.1:15672"
    admin_user: str = "passpro-admin"
    admin_password: str = "passpro-admin"  # noqa: S105 - the local stack's; set PASSPRO_ADMIN_PASSWORD elsewhere
    ops_token: str = Field(
        "passpro-ops",  # the local stack's; set PASSPRO_OPS_TOKEN elsewhere (the services check the same)
        description="bearer token for the services' views that carry personal data (planning sheets)",
    )
    vhost: str = routing.VHOST
    amqp_host: str = Field("127.0.0.1:5672", description="host:port of the broker, for replays")
    service_urls: dict[str, str] = Field(
        default_factory=local_service_urls,
        description='each service\'s health/read address, as JSON: {"enrollment": "http://…", …}',
    )

    var: Path = Field(
        CHECKOUT / "var",
        description="the local stack's state (PASSPRO_VAR): the simulator's report and mails",
    )

    campaign_file: Path | None = Field(
        None,
        description="the campaign file the services run (PASSPRO_CAMPAIGN_FILE), for schools' names",
    )

    @property
    def admin_amqp_url(self) -> str:
        return f"amqp://{self.admin_user}:{self.admin_password}@{self.amqp_host}/{self.vhost}"
