"""``python -m deploy.provision``: a deployment's job making every service's database role and schema.

Apart from ``deploy.database`` because it reads the services' own settings (TLS, logins), which the
operators' tools, users of ``deploy.database``, must not import.
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit

import asyncpg

from contracts import routing
from contracts.database import role_of, role_password_variable
from deploy.database import ensure_service_roles, ensure_service_schemas
from services.runtime.database import DatabaseLogin
from services.runtime.settings import ServiceSettings


async def provision(login: DatabaseLogin) -> list[str]:
    """Every service's role and schema in ``login``'s database, as its administrator (a superuser).

    What ``infra-up`` does for the local stack, for a deployment: the compose one-shot service and the
    Kubernetes Job run it before the services start. Returns the roles made or updated.
    """
    conn = await asyncpg.connect(**login.arguments())
    try:
        admin, name = await conn.fetchval("SELECT current_user"), await conn.fetchval("SELECT current_database()")
        await ensure_service_roles(conn, admin, (name,))
        await ensure_service_schemas(conn)
    finally:
        await conn.close()
    return [role_of(service) for service in routing.SERVICES]


def main() -> None:
    """``python -m deploy.provision``: the administrator's login and every role's password from the environment.

    A deployment names every password: the local stack's fallback (the role's name) is refused here.
    """
    settings = ServiceSettings()
    needed = [
        "PASSPRO_DATABASE_USER",
        "PASSPRO_DATABASE_PASSWORD",
        *(role_password_variable(service) for service in routing.SERVICES),
    ]
    missing = [name for name in needed if not os.environ.get(name)]
    if missing or urlsplit(settings.database_url).username:
        raise SystemExit("set " + ", ".join(missing or ["PASSPRO_DATABASE_URL without a user"]))
    roles = asyncio.run(provision(settings.database_login("administrator")))
    print(f"database roles ready: {', '.join(roles)}")


if __name__ == "__main__":
    main()
