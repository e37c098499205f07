"""Production deployment files, generated from the broker topology and the routing names: compose and Kubernetes.

``python -m deploy.production`` writes them next to this module; a contract test fails when the
committed copies are stale, so a new service, queue or account reaches both without hand edits.
"""

from __future__ import annotations

from pathlib import Path

from deploy.production import broker, compose, kubernetes, spec

HERE = Path(__file__).resolve().parent


def files() -> dict[str, str]:
    """Each generated file's path under ``deploy/production`` and its text."""
    generated = {
        "compose.yaml": spec.dump(compose.document()),
        ".env.example": compose.env_example(),
        compose.CONFIG_FILE: spec.HEADER + broker.compose_conf(),
        compose.PLUGINS_FILE: broker.enabled_plugins(kubernetes=False),
        "kubernetes/kustomization.yaml": spec.dump(kubernetes.kustomization()),
    }
    for name, objects in kubernetes.FILES.items():
        generated[f"kubernetes/{name}"] = spec.dump(*objects())
    return generated


def write(root: Path = HERE) -> list[Path]:
    written = []
    for name, text in files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
