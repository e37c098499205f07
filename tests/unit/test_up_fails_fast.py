"""`make up` stops waiting as soon as a service exits at start, and says which, with its exit code and its error."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local import stack

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_CAMPAIGN = ROOT / "contracts" / "campaigns" / "2013.toml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def spawn(processes: list[subprocess.Popen[bytes]], argv: list[str], log: Path, **env: str) -> stack.Starting:
    """A real child process writing to its log, as `up` starts a service."""
    log_start = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env={"PYTHONPATH": str(ROOT), **env}
        )
    processes.append(proc)
    return stack.Starting(name=log.stem, url="", log=log, log_start=log_start, process=proc)


def never_ready(processes: list[subprocess.Popen[bytes]], log: Path) -> stack.Starting:
    starting = spawn(processes, [sys.executable, "-c", "import time; time.sleep(120)"], log)
    return stack.Starting(
        name=starting.name, url=f"http://127.0.0.1:{free_port()}/health/ready", log=log, process=starting.process
    )


def test_a_service_exiting_on_an_invalid_campaign_file_stops_the_wait_at_once(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    text = BUNDLED_CAMPAIGN.read_text(encoding="utf-8")
    first_domain = text.index('domain = "', text.index("[[formations]]"))
    end = text.index("\n", first_domain)
    campaign = tmp_path / "2014.toml"
    campaign.write_text(text[:first_domain] + 'domain = "ebenisteri"' + text[end:], encoding="utf-8")
    log = tmp_path / "enrollment.log"
    log.write_text("a line of an earlier run\n", encoding="utf-8")
    slow = never_ready(processes, tmp_path / "scheduling.log")
    enrollment = spawn(
        processes,
        [sys.executable, "-m", "services.enrollment"],
        log,
        PASSPRO_CAMPAIGN_FILE=str(campaign),
        PASSPRO_HEALTH_PORT=str(free_port()),
    )
    enrollment = stack.Starting(
        name="enrollment",
        url=f"http://127.0.0.1:{free_port()}/health/ready",
        log=log,
        log_start=enrollment.log_start,
        process=enrollment.process,
    )

    began = time.monotonic()
    with pytest.raises(SystemExit) as stopped:
        stack.await_ready([slow, enrollment], timeout=90)
    waited = time.monotonic() - began

    report = str(stopped.value)
    assert waited < 30, f"waited {waited:.0f} s for a service that had exited"
    assert report.startswith(f"[passpro] enrollment exited at start with code 2; last lines of {log}:")
    assert "unknown domain 'ebenisteri': it is not declared in [[domains]]" in report
    assert str(campaign) in report
    assert "earlier run" not in report
    assert "scheduling" not in report
    assert slow.process is not None and slow.process.poll() is None


def test_only_the_last_lines_of_the_log_are_shown(tmp_path: Path, processes: list[subprocess.Popen[bytes]]) -> None:
    script = "import sys\nfor i in range(100): print(f'line {i}')\nsys.exit(3)"
    starting = spawn(processes, [sys.executable, "-c", script], tmp_path / "opinions.log")
    with pytest.raises(SystemExit) as stopped:
        stack.await_ready([starting], timeout=90, ready=lambda url: False)
    lines = str(stopped.value).splitlines()
    assert lines[0].startswith("[passpro] opinions exited at start with code 3")
    assert lines[1:] == [f"  line {i}" for i in range(100 - stack.START_ERROR_LINES, 100)]


def test_a_process_an_earlier_up_started_is_watched_through_its_pid_file(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    gone = spawn(processes, [sys.executable, "-c", "print('bye')"], tmp_path / "notifications.log")
    assert gone.process is not None
    gone.process.wait(timeout=30)
    pid_file = tmp_path / "notifications.pid"
    pid_file.write_text(f"{gone.process.pid}\n")
    earlier = stack.Starting(name="notifications", url="", log=gone.log, log_start=gone.log_start, pid_file=pid_file)
    with pytest.raises(SystemExit, match=r"^\[passpro\] notifications exited at start; last lines of .*\n  bye$"):
        stack.await_ready([earlier], timeout=90, ready=lambda url: False)


def test_every_service_is_waited_for_until_ready(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]], capsys: pytest.CaptureFixture[str]
) -> None:
    servers = []
    for name in ("enrollment", "affelnet_export"):
        port = free_port()
        server = spawn(
            processes, [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], tmp_path / f"{name}.log"
        )
        servers.append(
            stack.Starting(name=name, url=f"http://127.0.0.1:{port}/", log=server.log, process=server.process)
        )
    stack.await_ready(servers, timeout=60)
    out = capsys.readouterr().out
    assert "[passpro] enrollment ready (http://127.0.0.1:" in out
    assert "[passpro] affelnet_export ready (http://127.0.0.1:" in out


def test_a_service_neither_ready_nor_exited_is_named_after_the_timeout(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    slow = never_ready(processes, tmp_path / "scheduling.log")
    with pytest.raises(SystemExit, match=r"scheduling: not ready within 1 s; see .*scheduling\.log"):
        stack.await_ready([slow], timeout=1)
