"""The crash switch (PASSPRO_CRASH_AT): how it reads its value, that it is inert unset, and that it dies as kill -9."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.runtime import crash

ROOT = Path(__file__).resolve().parents[3]


def test_unset_or_blank_means_no_crash() -> None:
    assert crash.parse(None) is None
    assert crash.parse("") is None
    assert crash.parse("   ") is None


def test_a_point_alone_fires_the_first_time() -> None:
    assert crash.parse("relay.after_confirm") == crash.Target("relay.after_confirm", 1)


def test_a_count_after_the_at_sign_says_which_time_fires() -> None:
    assert crash.parse("notifications.after_250@3") == crash.Target("notifications.after_250", 3)
    assert crash.parse(" consumer.after_commit@12 ") == crash.Target("consumer.after_commit", 12)


@pytest.mark.parametrize("value", ["consumer.after_comit", "after_250", "relay.after_confirm.", "@2"])
def test_a_misspelt_point_is_refused_at_start(value: str) -> None:
    with pytest.raises(ValueError, match="unknown crash point"):
        crash.parse(value)


@pytest.mark.parametrize(
    "value",
    [
        "relay.after_confirm@",
        "relay.after_confirm@0",
        "relay.after_confirm@-1",
        "relay.after_confirm@two",
        "relay.after_confirm@1@2",
    ],
)
def test_a_count_that_is_not_a_positive_whole_number_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="after '@'"):
        crash.parse(value)


def test_every_point_the_code_calls_is_known_to_the_switch() -> None:
    called = set()
    for path in (ROOT / "services").rglob("*.py"):
        text = path.read_text()
        for part in text.split('crash.point("')[1:]:
            called.add(part.split('"')[0])

    assert called == crash.POINTS


def test_unset_the_points_do_nothing_in_this_process() -> None:
    assert os.environ.get(crash.ENV) is None
    for name in sorted(crash.POINTS):
        crash.point(name)  # would end this test run with 137 if it fired


def _run(code: str, switch: str | None) -> subprocess.CompletedProcess[str]:
    # Unbuffered output would hide whether the crash flushes anything.
    env = {k: v for k, v in os.environ.items() if k not in (crash.ENV, "PYTHONUNBUFFERED")}
    if switch is not None:
        env[crash.ENV] = switch
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


REACH_THREE_TIMES = (
    "from services.runtime import crash\n"
    "for i in range(3):\n"
    "    print('buffered', i)\n"
    "    crash.point('relay.after_confirm')\n"
    "    crash.point('consumer.after_commit')\n"
    "print('survived')\n"
)


def test_the_nth_time_the_point_is_reached_the_process_exits_137_naming_it_without_flushing() -> None:
    done = _run(REACH_THREE_TIMES, "relay.after_confirm@2")

    assert done.returncode == 137
    assert done.stderr == "passpro crash point relay.after_confirm reached (time 2): exiting with 137\n"
    # stdout is a pipe here, so print() buffers: like kill -9, the crash flushes nothing.
    assert done.stdout == ""


def test_other_points_than_the_one_armed_do_not_fire() -> None:
    done = _run(REACH_THREE_TIMES, "notifications.after_250")

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-1] == "survived"


def test_without_the_switch_the_process_runs_to_its_end() -> None:
    done = _run(REACH_THREE_TIMES, None)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.count("buffered") == 3


def test_a_misspelt_switch_stops_the_process_at_start() -> None:
    done = _run(REACH_THREE_TIMES, "relay.after_confrm")

    assert done.returncode == 1
    assert "unknown crash point 'relay.after_confrm'" in done.stderr
