"""The test suite runs against the real broker and database that ``make test`` starts (test vhost and database)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

TEST_VHOST = "passpro_test"
AMQP_HOST = os.environ.get("PASSPRO_TEST_AMQP", "amqp://127.0.0.1:5672")
PORTAL_URL = f"amqp://portal:portal@{AMQP_HOST.split('://', 1)[1]}/{TEST_VHOST}"
ADMIN_URL = f"amqp://passpro-admin:passpro-admin@{AMQP_HOST.split('://', 1)[1]}/{TEST_VHOST}"
TEST_DATABASE_URL = os.environ.get(
    "PASSPRO_TEST_DATABASE_URL", "postgresql://passpro:passpro@127.0.0.1:5432/passpro_test"
)
"""The administrator's: schema drops and checks (a member of every service role)."""
TEST_SERVICES_DATABASE_URL = urlunsplit(
    urlsplit(TEST_DATABASE_URL)._replace(netloc=urlsplit(TEST_DATABASE_URL).netloc.rpartition("@")[2])
)
"""The services': naming no user, each connects as its own role (``passpro_<service>``)."""
