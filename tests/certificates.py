"""Certificates a test makes for itself: an authority and a server certificate for 127.0.0.1/localhost (openssl)."""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Authority:
    ca_file: Path
    cert_file: Path
    key_file: Path
    """The server's certificate and key, signed by ``ca_file``."""

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def _openssl(*arguments: str | Path) -> None:
    subprocess.run(["openssl", *map(str, arguments)], check=True, capture_output=True)


def make_authority(directory: Path, name: str = "passpro-test") -> Authority:
    """A fresh authority in ``directory`` and a server certificate it signed for 127.0.0.1 and localhost."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_file = directory / f"{name}-ca.key", directory / f"{name}-ca.pem"
    key_file, request, cert_file = directory / f"{name}.key", directory / f"{name}.csr", directory / f"{name}.pem"
    extensions = directory / f"{name}.ext"
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        f"/CN={name} authority",
        "-keyout",
        ca_key,
        "-out",
        ca_file,
    )
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", key_file, "-out", request)
    extensions.write_text(
        "subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\nbasicConstraints = CA:FALSE\n"
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        request,
        "-CA",
        ca_file,
        "-CAkey",
        ca_key,
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        extensions,
        "-out",
        cert_file,
    )
    return Authority(ca_file, cert_file, key_file)
