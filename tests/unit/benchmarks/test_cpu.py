"""The benchmarks' CPU accounting: readings from /proc, a run's share, the printed ceiling."""

from __future__ import annotations

import multiprocessing
import time

from deploy import cpu


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
        "rabbitmq": 0.0, "enrollment": 2.0}


def test_the_report_gives_each_part_per_unit_the_total_and_the_ceiling() -> None:
    text = cpu.report("CPU per candidacy:", {"notifications": 20.0, "rabbitmq": 5.0, "idle part": 0.0},
                      1000, "candidacy", elapsed=25.0)
    lines = text.splitlines()
    assert lines[0] == "CPU per candidacy:"
    assert lines[1].split()[:2] == ["notifications", "20.00"]
    assert lines[2].split()[:2] == ["rabbitmq", "5.00"]
    assert not any("idle part" in line for line in lines)
    cores = cpu.os.cpu_count() or 1
    assert lines[-1].split()[:2] == ["total", "25.00"]
    assert lines[-1].endswith(f"at most {1000 * cores / 25:.0f} candidacy/s")
