"""The compose deployment: a three-node RabbitMQ cluster, PostgreSQL and N replicas of each service, on one host."""

from __future__ import annotations

from typing import Any

from contracts import routing
from contracts.database import role_password_variable
from deploy.production import broker, spec

CONFIG_FILE = "rabbitmq/compose.conf"
PLUGINS_FILE = "rabbitmq/enabled_plugins"
DEFINITIONS_VOLUME = "rabbitmq-definitions"
RENDER = "rabbitmq-definitions"
"""The one-shot service that writes the broker's definitions before any node boots."""
DATABASE_ROLES = "database-roles"
"""The one-shot service that makes each service's database role and schema before any service starts."""


def _required(variable: str) -> str:
    return f"${{{variable}:?set {variable} in deploy/production/.env}}"


def _image() -> dict[str, Any]:
    return {
        "image": f"${{PASSPRO_IMAGE:-{spec.IMAGE}}}",
        "build": {"context": "../..", "dockerfile": "deploy/production/Dockerfile"},
    }


def _amqp_url() -> str:
    return ",".join(
        f"amqp://{broker.compose_node(i)}:{broker.AMQP_PORT}/{routing.VHOST}" for i in range(1, spec.RABBITMQ_NODES + 1)
    )


def _render() -> dict[str, Any]:
    return {
        **_image(),
        "command": [
            "python",
            "-m",
            "deploy.production",
            "definitions",
            "--out",
            f"{spec.DEFINITIONS_DIR}/{spec.DEFINITIONS_FILE}",
        ],
        # A fresh named volume belongs to root; the nodes read the file as their own user.
        "user": "0:0",
        "environment": {spec.password_env(name): _required(spec.password_env(name)) for name in spec.account_names()},
        "volumes": [f"{DEFINITIONS_VOLUME}:{spec.DEFINITIONS_DIR}"],
        "restart": "no",
    }


def _node(index: int) -> dict[str, Any]:
    host = broker.compose_node(index)
    node: dict[str, Any] = {
        "image": spec.RABBITMQ_IMAGE,
        "hostname": host,
        "environment": {"RABBITMQ_NODENAME": f"rabbit@{host}"},
        # The Erlang cookie must be a file only its owner reads; compose mounts secrets as root's.
        "entrypoint": [
            "sh",
            "-c",
            "install -m 0400 -o rabbitmq -g rabbitmq /run/secrets/erlang_cookie "
            "/var/lib/rabbitmq/.erlang.cookie && exec docker-entrypoint.sh rabbitmq-server",
        ],
        "configs": [
            {"source": "rabbitmq_conf", "target": broker.CONF_D},
            {"source": "rabbitmq_plugins", "target": broker.ENABLED_PLUGINS},
        ],
        "secrets": ["erlang_cookie"],
        "volumes": [f"{host}-data:/var/lib/rabbitmq", f"{DEFINITIONS_VOLUME}:{spec.DEFINITIONS_DIR}:ro"],
        "depends_on": {RENDER: {"condition": "service_completed_successfully"}},
        "healthcheck": {
            "test": ["CMD", "rabbitmq-diagnostics", "-q", "check_running"],
            "interval": "10s",
            "timeout": "10s",
            "retries": 6,
            "start_period": "60s",
        },
        "restart": "unless-stopped",
    }
    if index == 1:
        # Portals and operators reach the cluster through the first node; the services know all three.
        node["ports"] = [
            f"${{PASSPRO_COMPOSE_AMQP_PORT:-5672}}:{broker.AMQP_PORT}",
            f"127.0.0.1:${{PASSPRO_COMPOSE_MANAGEMENT_PORT:-15672}}:{broker.MANAGEMENT_PORT}",
        ]
    return node


def _postgres() -> dict[str, Any]:
    return {
        "image": spec.POSTGRES_IMAGE,
        "environment": {
            "POSTGRES_USER": spec.DB_USER,
            "POSTGRES_DB": spec.DB_NAME,
            "POSTGRES_PASSWORD_FILE": "/run/secrets/db_password",
        },
        "secrets": ["db_password"],
        "volumes": ["postgres-data:/var/lib/postgresql/data"],
        "healthcheck": {
            "test": ["CMD", "pg_isready", "-U", spec.DB_USER, "-d", spec.DB_NAME],
            "interval": "5s",
            "timeout": "5s",
            "retries": 10,
        },
        "restart": "unless-stopped",
    }


def _database_roles() -> dict[str, Any]:
    return {
        **_image(),
        "command": spec.DATABASE_ROLES_COMMAND,
        "environment": {
            "PASSPRO_DATABASE_URL": spec.database_url("postgres"),
            **spec.database_roles_environment(),
            "PASSPRO_DATABASE_PASSWORD": _required(spec.DB_PASSWORD_ENV),
            **{name: _required(name) for name in spec.database_password_variables()},
        },
        "depends_on": {"postgres": {"condition": "service_healthy"}},
        "restart": "no",
    }


def _service(service: str) -> dict[str, Any]:
    password = role_password_variable(service)
    environment = {
        **spec.service_environment(service),
        "PASSPRO_AMQP_URL": _amqp_url(),
        "PASSPRO_AMQP_PASSWORD": _required(spec.password_env(service)),
        "PASSPRO_DATABASE_URL": spec.database_url("postgres"),
        password: _required(password),
        **{name: _required(name) for name in spec.OUTSIDE.get(service, {})},
        **{setting: _required(variable) for setting, variable in spec.SECRET_SETTINGS.get(service, {}).items()},
    }
    ready = f"http://127.0.0.1:{spec.HEALTH_PORT}/health/ready"
    return {
        **_image(),
        "environment": environment,
        "depends_on": {
            "postgres": {"condition": "service_healthy"},
            DATABASE_ROLES: {"condition": "service_completed_successfully"},
            **{broker.compose_node(i): {"condition": "service_healthy"} for i in range(1, spec.RABBITMQ_NODES + 1)},
        },
        "healthcheck": {
            # The image has no curl: urlopen raises on a 503, which fails the check.
            "test": ["CMD", "python", "-c", f"import urllib.request; urllib.request.urlopen('{ready}', timeout=3)"],
            "interval": "10s",
            "timeout": "5s",
            "retries": 3,
            "start_period": "30s",
        },
        "stop_grace_period": f"{spec.GRACE_SECONDS}s",
        "deploy": {"replicas": spec.REPLICAS[service], "resources": {"limits": {"memory": "512M"}}},
        "restart": "unless-stopped",
    }


def document() -> dict[str, Any]:
    services: dict[str, Any] = {RENDER: _render()}
    services.update({broker.compose_node(i): _node(i) for i in range(1, spec.RABBITMQ_NODES + 1)})
    services["postgres"] = _postgres()
    services[DATABASE_ROLES] = _database_roles()
    services.update({spec.dashed(service): _service(service) for service in routing.SERVICES})
    return {
        "name": "passpro",
        "services": services,
        "configs": {"rabbitmq_conf": {"file": f"./{CONFIG_FILE}"}, "rabbitmq_plugins": {"file": f"./{PLUGINS_FILE}"}},
        "secrets": {
            "erlang_cookie": {"environment": spec.COOKIE_ENV},
            "db_password": {"environment": spec.DB_PASSWORD_ENV},
        },
        "volumes": {
            name: {}
            for name in [
                DEFINITIONS_VOLUME,
                "postgres-data",
                *(f"{broker.compose_node(i)}-data" for i in range(1, spec.RABBITMQ_NODES + 1)),
            ]
        },
    }


def env_example() -> str:
    """The ``.env`` to copy and fill: every secret at the placeholder the commands refuse."""
    lines = [
        "# Copy to deploy/production/.env (next to compose.yaml), then replace every value marked change-me:",
        "# `python -m deploy.production definitions` and `secrets` refuse to run while one is left.",
        "# Passwords end up in URLs: use letters and digits only (e.g. `openssl rand -hex 24`).",
        "# Generated by `python -m deploy.production`: edit the generator, not this file.",
        "",
        f"PASSPRO_IMAGE={spec.IMAGE}",
        "PASSPRO_COMPOSE_AMQP_PORT=5672",
        "PASSPRO_COMPOSE_MANAGEMENT_PORT=15672",
        "",
        "# Broker accounts, one per service, the portals' and the operators'",
        *(f"{spec.password_env(name)}={spec.PLACEHOLDER}" for name in spec.account_names()),
        "",
        f"{spec.COOKIE_ENV}={spec.PLACEHOLDER}",
        "",
        "# Database: the administrator (used by the database-roles job only), then one role per service",
        f"{spec.DB_PASSWORD_ENV}={spec.PLACEHOLDER}",
        *(f"{name}={spec.PLACEHOLDER}" for name in spec.database_password_variables()),
        "",
        f"{spec.AFFELNET_TOKEN_ENV}={spec.PLACEHOLDER}",
        f"{spec.SMTP_PASSWORD_ENV}={spec.PLACEHOLDER}",
        "",
        "# Outside systems",
        *(f"{name}={value}" for settings in spec.OUTSIDE.values() for name, value in settings.items()),
        "",
    ]
    return "\n".join(lines)
