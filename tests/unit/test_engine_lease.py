"""Telling a dead engine from a live one by the owner name in its lease: host, pid, start time."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil

from engine.execution.queue import engine_owner_name, owner_is_dead


def test_this_process_is_alive_under_its_own_name() -> None:
    assert not owner_is_dead(engine_owner_name())


def test_a_pid_that_ended_is_dead() -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host, _pid, started, suffix = engine_owner_name().split(":")
    assert owner_is_dead(f"{host}:{ended.stdout.strip()}:{started}:{suffix}")


def test_a_reused_pid_is_dead_its_start_time_differs() -> None:
    host, pid, started, suffix = engine_owner_name().split(":")
    assert int(pid) == os.getpid()
    assert owner_is_dead(f"{host}:{pid}:{float(started) - 3600:.2f}:{suffix}")


def test_an_owner_on_another_host_or_of_an_older_format_counts_as_alive() -> None:
    _host, pid, started, suffix = engine_owner_name().split(":")
    assert not owner_is_dead(f"another-machine:{pid}:{started}:{suffix}")
    assert not owner_is_dead(f"{_host}:{os.getpid()}:{suffix}")          # name without a start time
    assert not owner_is_dead("not an owner name")


def test_a_zombie_is_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    process = psutil.Process(child.pid)
    started = process.create_time()
    deadline = time.monotonic() + 30
    while process.status() != psutil.STATUS_ZOMBIE:     # exited, not yet reaped
        assert time.monotonic() < deadline
        time.sleep(0.01)
    host, _pid, _started, suffix = engine_owner_name().split(":")
    try:
        assert owner_is_dead(f"{host}:{child.pid}:{started:.2f}:{suffix}")
    finally:
        child.wait()
