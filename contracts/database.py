"""The names the services and the deployments share for PostgreSQL: each service's role and its password's variable."""

from __future__ import annotations

ROLE_PREFIX = "passpro_"


def role_of(service: str) -> str:
    """The PostgreSQL role that owns ``service``'s schema and nothing else (``passpro_enrollment``…)."""
    return f"{ROLE_PREFIX}{service}"


def role_password_variable(service: str) -> str:
    """Where a deployment keeps the password of ``service``'s role (``PASSPRO_ENROLLMENT_DATABASE_PASSWORD``…)."""
    return f"PASSPRO_{service.upper()}_DATABASE_PASSWORD"
