"""Client TLS for the database and SMTP connections: which certificates to trust and which one to show."""

from __future__ import annotations

import ssl
from pathlib import Path

VERIFY_MODES = ("require", "verify-ca", "verify-full")
"""PostgreSQL's names, used for every connection: encrypt only, also check the chain, also check the host name."""


def client_context(
    mode: str = "verify-full",
    *,
    ca_file: Path | None = None,
    cert_file: Path | None = None,
    key_file: Path | None = None,
) -> ssl.SSLContext:
    """A client context: the system's authorities unless ``ca_file`` names the deployment's own.

    ``cert_file``/``key_file`` are this service's certificate, for servers that authenticate clients by it.
    """
    if mode not in VERIFY_MODES:
        raise ValueError(f"TLS mode {mode!r}: one of {', '.join(VERIFY_MODES)}")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file) if ca_file else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if mode != "verify-full":
        context.check_hostname = False
    if mode == "require":
        context.verify_mode = ssl.CERT_NONE
    if cert_file is not None:
        context.load_cert_chain(str(cert_file), str(key_file) if key_file else None)
    return context
