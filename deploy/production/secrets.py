"""The deployment's secrets, from the environment: the broker's definitions with its accounts, and Kubernetes Secrets.

Nothing here has a default: a missing secret, or one left at the example's placeholder, stops the
command with the names of the variables to set (never their values).
"""

from __future__ import annotations

import json
import os
from typing import Any

from contracts import routing
from contracts.database import role_password_variable
from deploy import topology
from deploy.production import spec

BROKER_ACCOUNTS = "passpro-broker-accounts"
"""Secret: one key per broker account, its password."""
RABBITMQ = "passpro-rabbitmq"
"""Secret: the definitions the nodes load at boot, and the Erlang cookie they share."""
DATABASE = "passpro-database"
"""Secret: ``password`` the administrator's (the provisioning job's), and one key per service, its role's."""
SMTP = "passpro-smtp"
AFFELNET = "passpro-affelnet"
COOKIE_KEY = "erlang-cookie"


class MissingSecrets(SystemExit):
    def __init__(self, names: list[str]) -> None:
        super().__init__(f"set these variables (see deploy/production/.env.example): {', '.join(names)}")


def read(names: list[str]) -> dict[str, str]:
    """The values of ``names`` in the environment, refusing any that is unset, empty or the example's placeholder."""
    missing = [name for name in names if os.environ.get(name, "").strip() in ("", spec.PLACEHOLDER)]
    if missing:
        raise MissingSecrets(missing)
    return {name: os.environ[name] for name in names}


def definitions() -> dict[str, Any]:
    """The production vhost's definitions; the topology takes each account's password from its variable."""
    read([spec.password_env(name) for name in spec.account_names()])
    return topology.definitions((routing.VHOST,))


def _secret(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "passpro"}},
        "stringData": data,
    }


def kubernetes() -> list[dict[str, Any]]:
    """The Secrets the Kubernetes manifests refer to, consistent with each other by construction."""
    values = read(spec.secret_variables())
    return [
        _secret(BROKER_ACCOUNTS, {name: values[spec.password_env(name)] for name in spec.account_names()}),
        _secret(
            RABBITMQ, {spec.DEFINITIONS_FILE: json.dumps(definitions(), indent=1), COOKIE_KEY: values[spec.COOKIE_ENV]}
        ),
        _secret(
            DATABASE,
            {
                "password": values[spec.DB_PASSWORD_ENV],
                **{service: values[role_password_variable(service)] for service in routing.SERVICES},
            },
        ),
        _secret(AFFELNET, {"token": values[spec.AFFELNET_TOKEN_ENV]}),
        _secret(SMTP, {"password": values[spec.SMTP_PASSWORD_ENV]}),
    ]
