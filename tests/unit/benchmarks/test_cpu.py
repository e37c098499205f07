"""The benchmarks' CPU accounting: readings from /proc, a run's share, the printed ceiling, every broker node."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import cpu
from deploy.local.settings import settings


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The stack's state under ``tmp_path`` (PASSPRO_VAR), its settings read afresh; the broker's part in rabbitmq/."""
    monkeypatch.setenv("PASSPRO_VAR", str(tmp_path))
    (tmp_path / "rabbitmq").mkdir()
    settings.cache_clear()
    yield tmp_path / "rabbitmq"
    settings.cache_clear()


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_the_benchmark_counts_its_own_time_and_its_reaped_children() -> None:
    before = cpu.stack_cpu()
    _spin(0.2)
    child = multiprocessing.get_context("fork").Process(target=_spin, args=(0.2,))
    child.start()
    child.join()
    used = cpu.spent(before, cpu.stack_cpu())
    assert used["benchmark"] >= 0.35


def test_a_part_that_restarted_counts_from_zero_not_below() -> None:
    assert cpu.spent({"rabbitmq": 40.0, "enrollment": 3.0}, {"rabbitmq": 2.5, "enrollment": 5.0}) == {
        "rabbitmq": 0.0,
        "enrollment": 2.0,
    }


def test_the_report_gives_each_part_per_unit_the_total_and_the_ceiling() -> None:
    text = cpu.report(
        "CPU per candidacy:",
        {"notifications": 20.0, "rabbitmq": 5.0, "idle part": 0.0},
        1000,
        "candidacy",
        elapsed=25.0,
    )
    lines = text.splitlines()
    assert lines[0] == "CPU per candidacy:"
    assert lines[1].split()[:2] == ["notifications", "20.00"]
    assert lines[2].split()[:2] == ["rabbitmq", "5.00"]
    assert not any("idle part" in line for line in lines)
    cores = cpu.os.cpu_count() or 1
    assert lines[-1].split()[:2] == ["total", "25.00"]
    assert lines[-1].endswith(f"at most {1000 * cores / 25:.0f} candidacy/s")


def _spin_then_wait(seconds: float, spun: Any, release: Any) -> None:
    _spin(seconds)
    spun.set()
    release.wait(30)


def test_processes_named_apart_count_under_their_name_not_the_benchmarks() -> None:
    context = multiprocessing.get_context("fork")
    spun, release = context.Event(), context.Event()
    hop = context.Process(target=_spin_then_wait, args=(0.4, spun, release))
    before = cpu.stack_cpu()
    hop.start()
    try:
        assert spun.wait(30)
        used = cpu.spent(before, cpu.stack_cpu(apart={"relay hops": [hop.pid]}))
    finally:
        release.set()
        hop.join()
    assert used["relay hops"] >= 0.35
    assert used["benchmark"] < 0.3


def test_under_a_three_node_cluster_every_nodes_vm_is_found_by_its_pid_file(
    var: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three spinning processes stand in for the nodes' Erlang VMs, each behind the pid file its node writes
    # (var/rabbitmq/node-<k>/rabbit.pid, beside the rabbitmq.conf that records the cluster).
    monkeypatch.setenv("PASSPRO_CLUSTER", "3")
    settings.cache_clear()
    vms = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import time\nend = time.process_time() + 0.3\n"
                "while time.process_time() < end: pass\nprint('spun', flush=True)\ntime.sleep(30)",
            ],
            stdout=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    try:
        for k, vm in enumerate(vms, start=1):
            home = var / f"node-{k}"
            home.mkdir()
            (home / "rabbitmq.conf").write_text("listeners.tcp.default = 127.0.0.1:5672\n")
            (home / "rabbit.pid").write_text(f"{vm.pid}\n")
        for vm in vms:
            assert vm.stdout is not None and vm.stdout.readline() == b"spun\n"
        used = cpu.stack_cpu()
    finally:
        for vm in vms:
            vm.kill()
            vm.wait()
    assert "rabbitmq" not in used
    assert [used[f"rabbitmq-{k}"] >= 0.25 for k in (1, 2, 3)] == [True, True, True]


def test_a_single_node_keeps_its_one_part(var: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PASSPRO_CLUSTER", raising=False)
    settings.cache_clear()
    (var / "rabbit.pid").write_text(f"{os.getppid()}\n")
    assert list(cpu.brokers()) == ["rabbitmq"]
