"""The local stack's processes: started as their own user when root, recorded by PID, waited for, stopped by PID."""

from __future__ import annotations

import os
import pwd
import signal
import socket
import time
from pathlib import Path

from deploy.local.settings import settings


def say(text: str) -> None:
    print(f"[passpro] {text}", flush=True)


def is_root() -> bool:
    return os.geteuid() == 0


def chown(path: Path, user: str) -> None:
    if is_root():
        entry = pwd.getpwnam(user)
        for p in [path, *path.rglob("*")]:
            os.chown(p, entry.pw_uid, entry.pw_gid)


def as_user(user: str, argv: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if is_root() else argv


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise SystemExit(f"[passpro] {what} did not come up within {timeout:.0f} s; see {settings().log}")


def stop_pid(pid: int, name: str, timeout: float = 40.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.1)
    if pid_alive(pid):
        say(f"{name} (pid {pid}) did not stop on SIGTERM; killing it")
        os.kill(pid, signal.SIGKILL)
